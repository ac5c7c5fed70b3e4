import BridgeCore
import BridgeCrypto
import Foundation
import Testing

/// The real USB paths through a Linux kernel: a VM (QEMU, software emulation, Debian's kernel) boots once and runs
/// Tests/VM/guest-usb.sh, where `walletbridge simulate ledger --usb` puts simulated Ledgers on the guest's USB bus
/// as configfs HID gadgets (dummy_hcd) and the project's own binary reaches them through usbhid, hidraw and hidapi,
/// as it would a Ledger on a desk. Each test checks one scenario's results against keys derived here from the seeds.
@Suite("Real kernel USB: gadget devices in a VM", .serialized,
       .enabled(if: VMRun.unavailableReason == nil, "\(VMRun.unavailableReason ?? "")"))
struct KernelUSBTests {
    /// The one boot, shared by every test; awaited, so the ~100 s it takes never holds a cooperative thread.
    static func vm() async throws -> VMRun {
        try await VMBoot.shared.result(script: "Tests/VM/guest-usb.sh").get()
    }

    static let speculosSeed = "glory promote mansion idle axis finger extra february uncover one trip resource lawn turtle enact monster seven myth punch hobby comfort wild raise skin"
    static let abandonSeed = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"

    static func key(_ seed: String, _ path: String) throws -> ExtendedKey {
        try ExtendedKey.master(seed: try Mnemonic(phrase: seed).seed()).derived(try DerivationPath(parsing: path))
    }

    static func address(_ seed: String) throws -> String {
        EthereumAddress(publicKey: try key(seed, "m/44'/60'/0'/0/0").publicKey).checksummed
    }

    /// A step that must have run; its JSON output.
    func step(_ name: String, status: Int? = 0) async throws -> JSONValue {
        let run = try await Self.vm()
        let step = try #require(run[name], "no result for \(name) in the VM's console:\n\(run.console.suffix(4000))")
        if let status {
            // A crash's backtrace went to the console as WBVM-STDERR lines (Tests/VM/guest-usb.sh `step`).
            let stderr = run.console.split(separator: "\n").filter { $0.contains("WBVM-STDERR \(name.replacingOccurrences(of: "/", with: " ")):") }
            #expect(step.status == status, "\(name): \(step)\n\(stderr.joined(separator: "\n"))")
        }
        return try JSONValue(parsing: step.output)
    }

    /// Checks that `step`'s personal-message signature over `message` and typed-data signature over
    /// Tests/VM/typed-data.json both come from `signer`.
    func expectSignatures(message step: String, _ message: String, typedData typedStep: String, by signer: String) async throws {
        let signed = try await self.step(step)
        let signature = try EthereumSignature(hex: try #require(signed["signature"]?.stringValue))
        #expect(try PersonalMessage.recoverSigner(message: Array(message.utf8), signature: signature).checksummed == signer)
        let typed = try await self.step(typedStep)
        let document = try JSONValue(parsing: try String(contentsOf: VMRun.repository.appendingPathComponent("Tests/VM/typed-data.json"), encoding: .utf8))
        let digest = try TypedData(json: document).digest()
        #expect(typed["digest"]?.stringValue == Hex.encodePrefixed(digest))
        let typedSignature = try EthereumSignature(hex: try #require(typed["signature"]?.stringValue))
        #expect(try typedSignature.recoverSigner(digest: digest).checksummed == signer)
    }

    @Test("the VM ran every scenario to its end (boot, scenarios and power-off timed)")
    func completed() async throws {
        let run = try await Self.vm()
        #expect(run.completed, "the guest script did not finish:\n\(run.console.suffix(4000))")
        #expect(run.steps.keys.contains { $0.hasPrefix("end/") }, "the last scenario printed its end line")
        print("VM suite: boot, scenarios and power-off in \(run.duration)")
    }

    @Test("enumerate: a gadget Ledger on the dashboard (2c97, hidraw, interface 0) is app-closed, then ready in the Ethereum app")
    func ledgerEnumerate() async throws {
        #expect(try await step("ledger/ready")["listening"]?.stringValue == "usb:2c97:4011")
        let dashboard = try #require(try await step("ledger/enumerate-dashboard").arrayValue?.first)
        #expect(dashboard["type"]?.stringValue == "ledger" && dashboard["model"]?.stringValue == "nanox")
        #expect(dashboard["transport"]?.stringValue == "hid")
        #expect(dashboard["path"]?.stringValue?.hasPrefix("/dev/hidraw") == true)
        #expect(dashboard["state"]?.stringValue == "app-closed")
        let ethereum = try #require(try await step("ledger/enumerate-ethereum").arrayValue?.first)
        #expect(ethereum["state"]?.stringValue == "ready")
        #expect(ethereum["app"]?["name"]?.stringValue == "Ethereum")
        #expect(try await step("ledger/enumerate-unplugged").arrayValue?.isEmpty == true, "SIGINT unplugs the gadget")
    }

    @Test("address (the host opens the Ethereum app: the device re-enumerates and the command completes on the new node), sign-message, sign-typed-data, xpub (a second switch) give the seed's answers")
    func ledgerCommands() async throws {
        let expected = try Self.address(Self.speculosSeed)
        #expect(try await step("ledger/address")["address"]?.stringValue == expected)

        try await expectSignatures(message: "ledger/sign-message", "VM over hidraw", typedData: "ledger/sign-typed-data", by: expected)

        let xpub = try await step("ledger/xpub")
        #expect(xpub["xpub"]?.stringValue == (try Self.key(Self.speculosSeed, "m/84'/0'/0'").neutered.xpub(network: .main)))
        let bitcoin = try #require(try await step("ledger/enumerate-bitcoin").arrayValue?.first)
        #expect(bitcoin["state"]?.stringValue == "app-closed" || bitcoin["app"]?["name"]?.stringValue == "Bitcoin")
    }

    @Test("unplugged from its UDC during a slow signature: -3 well within the deadline; plugged back, the next command works")
    func unplugMidExchange() async throws {
        let cut = try await step("unplug/sign-message", status: 1)
        #expect(cut["code"] == -3, "\(cut)")
        let elapsedStep = try #require(try await Self.vm()["unplug/elapsed-ms"])
        let elapsed = try #require(Int(elapsedStep.output))
        #expect(elapsed < 20_000, "the deadline was 20 s; the unplug came after 2 s")
        #expect(try await step("unplug/address-after-replug")["address"]?.stringValue == (try Self.address(Self.speculosSeed)))
    }

    @Test("two Ledgers: -2 naming both; --device picks each, each with its own seed")
    func twoLedgers() async throws {
        let several = try await step("two/address", status: 1)
        #expect(several["code"] == -2)
        let message = several["error"]?.stringValue ?? ""
        #expect(message.components(separatedBy: "hid:/dev/hidraw").count == 3, "both listed: \(message)")
        let run = try await Self.vm()
        let picked = run.steps.filter { $0.key.hasPrefix("two/address-hid:") }
        #expect(picked.count == 2)
        let addresses = Set(try picked.values.map { try JSONValue(parsing: $0.output)["address"]?.stringValue ?? "" })
        #expect(addresses == [try Self.address(Self.speculosSeed), try Self.address(Self.abandonSeed)])
    }

    @Test("a user who may not open the hidraw node: -12 with the udev hint")
    func permissionDenied() async throws {
        let denied = try await step("permission/address-as-nobody", status: 1)
        #expect(denied["code"] == -12)
        #expect(denied["hint"]?.stringValue?.contains("udev install") == true)
    }

    static let trezorSeed = "all all all all all all all all all all all all"

    @Test("a gadget Trezor (gadgetfs, WebUSB 1209:53c1) beside a gadget Ledger: enumerate lists both; address, xpub, sign-message, sign-typed-data over libusb give the seed's answers")
    func trezorCommands() async throws {
        #expect(try await step("trezor/ready")["listening"]?.stringValue == "usb:1209:53c1")
        let listed = try #require(try await step("trezor/enumerate-both").arrayValue)
        let ledger = try #require(listed.first { $0["type"]?.stringValue == "ledger" })
        let trezor = try #require(listed.first { $0["type"]?.stringValue == "trezor" })
        #expect(ledger["transport"]?.stringValue == "hid" && ledger["state"]?.stringValue == "ready")
        #expect(trezor["transport"]?.stringValue == "webusb" && trezor["model"]?.stringValue == "safe5")
        #expect(trezor["state"]?.stringValue == "ready")

        let expected = try Self.address(Self.trezorSeed)
        #expect(try await step("trezor/address")["address"]?.stringValue == expected)
        #expect(try await step("trezor/xpub")["xpub"]?.stringValue == (try Self.key(Self.trezorSeed, "m/84'/0'/0'").neutered.xpub(network: .main)))
        try await expectSignatures(message: "trezor/sign-message", "VM over WebUSB", typedData: "trezor/sign-typed-data", by: expected)
    }

    @Test("a second process while the first holds the Trezor's interface: -4; the first completes")
    func trezorBusy() async throws {
        let busy = try await step("trezor/second-process", status: 1)
        #expect(busy["code"] == -4, "\(busy)")
        #expect(try await step("trezor/first-process")["address"]?.stringValue == (try Self.address(Self.trezorSeed)))
    }

    @Test("the operator flow: the demo service holds a 1,500 USD transfer; alice and bob approve it on a gadget Ledger through hidraw; the CRM sees it completed")
    func operatorFlow() async throws {
        #expect(try await step("operator/transfer")["status"]?.stringValue == "pending_approval")
        let alice = try await step("operator/approve-alice")
        #expect(alice["status"]?.stringValue == "pending_approval" && alice["approvals_counted"] == 1)
        let bob = try await step("operator/approve-bob")
        #expect(bob["status"]?.stringValue == "completed" && bob["approvals_counted"] == 2)
        let order = try await step("operator/order")
        #expect(order["status"]?.stringValue == "completed")
        let approvers = order["approvals"]?.arrayValue?.compactMap { $0["operator"]?.stringValue }
        #expect(approvers == ["alice", "bob"])
    }

    @Test("enumerate --watch: added (dashboard), changed (the app switch a command makes), removed (unplugged), in order")
    func watchEvents() async throws {
        let run = try await Self.vm()
        let events = try (0..<run.steps.count).compactMap { run["watch/event-\($0)"] }.map { try JSONValue(parsing: $0.output) }
        let names = events.compactMap { $0["event"]?.stringValue }
        let added = try #require(names.firstIndex(of: "added"), "events: \(events)")
        // The app switch is a change into the Ethereum app; a probe that meets the command on the device may add a
        // passing change (busy) before it.
        let changed = try #require(events.indices.first { names[$0] == "changed" && events[$0]["device"]?["app"]?["name"]?.stringValue == "Ethereum" },
                                   "events: \(events)")
        let removed = try #require(names.lastIndex(of: "removed"), "events: \(events)")
        #expect(added < changed && changed < removed, "\(names)")
        #expect(events[added]["device"]?["state"]?.stringValue == "app-closed")
        #expect(names.last == "removed")
    }

    @Test("walletbridge-bench usb: wall time per exchange beside the bridge's CPU per exchange, through hidraw and libusb")
    func wireAgainstCPU() async throws {
        let run = try await Self.vm()
        let lines = run.steps.filter { $0.key.hasPrefix("bench/") }.sorted { $0.key < $1.key }.map(\.value)
        #expect(lines.allSatisfy { $0.status == 0 }, "\(lines)")
        #expect(lines.contains { $0.output.hasPrefix("Ledger /dev/hidraw") && $0.output.contains("bridge CPU per exchange") })
        #expect(lines.contains { $0.output.hasPrefix("Trezor ") && $0.output.contains("bridge CPU per exchange") })
        for line in lines { print("VM USB bench: \(line.output)") }
    }

    @Test("udev: a plugdev user gets -12 before `walletbridge udev install` and succeeds after it, with udevd running in the guest",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/lib/systemd/systemd-udevd"),
                   "no udevd to run in the guest: Debian's udev package (`make deps` installs it)"))
    func udevRules() async throws {
        let before = try await step("udev/address-before-rules", status: 1)
        #expect(before["code"] == -12, "\(before)")
        #expect(try await step("udev/install").objectValue != nil)
        #expect(try await step("udev/address-after-rules")["address"]?.stringValue == (try Self.address(Self.speculosSeed)))
    }

    @Test("a Trezor One on legacy HID firmware (534c:0001) as a configfs HID gadget: enumerated on hidraw, it answers through the report-id probe")
    func trezorOneLegacyHID() async throws {
        #expect(try await step("trezor-one/ready")["listening"]?.stringValue == "usb:534c:0001")
        let entry = try #require(try await step("trezor-one/enumerate").arrayValue?.first)
        #expect(entry["type"]?.stringValue == "trezor" && entry["transport"]?.stringValue == "hid")
        #expect(entry["model"]?.stringValue == "one")
        #expect(try await step("trezor-one/address")["address"]?.stringValue == (try Self.address(Self.trezorSeed)))
    }
}

