import BridgeCore
import BridgeDevices
import BridgeUSB
import Foundation
import Glibc
import Synchronization
import Testing
@testable import WalletBridgeCLI

/// Choosing the device: none, one, several, `--device`, Trezor, and the `--transport` forms; HID devices are fakes
/// backed by simulated Ledgers, so no hardware is needed.
@Suite("Device selection")
struct DeviceSelectionTests {
    typealias Support = DeviceTestSupport

    func run(_ arguments: [String], devices: [(info: HIDDeviceInfo, settings: LedgerSimulatorSettings)]) async -> CLIRun {
        await DeviceEnvironment.$current.withValue(Support.environment(devices)) { await runCLI(arguments) }
    }

    let speculosSeed = LedgerSimulatorSettings()
    var address: [String] { ["address", "--path", Support.ethPath] }

    @Test("No device: code -1 with the hint to connect one or use the simulator")
    func noDevice() async throws {
        let result = await run(address, devices: [])
        #expect(result.exitCode == 1)
        #expect(result.errorCode == -1)
        #expect(result.hint.contains("--transport sim:ledger"))
        let listed = await run(["enumerate"], devices: [])
        #expect(listed.exitCode == 0)
        #expect(listed.stdout == "[]\n")
    }

    @Test("One device: used without --device")
    func singleDevice() async throws {
        let result = await run(address, devices: [(Support.ledger("hidraw3"), speculosSeed)])
        #expect(result.exitCode == 0, "\(result.stdout)")
        #expect(try result.json()["address"]?.stringValue == Support.speculosEthAddress)
    }

    @Test("Several devices: code -2 listing them; --device (id or path) picks one")
    func severalDevices() async throws {
        let devices = [(Support.ledger("hidraw3"), speculosSeed), (Support.ledger("hidraw7", productID: 0x5011), Support.otherSeed)]
        let ambiguous = await run(address, devices: devices)
        #expect(ambiguous.exitCode == 1)
        #expect(ambiguous.errorCode == -2)
        #expect(ambiguous.errorMessage.contains("hid:/dev/hidraw3 (ledger nanox)"))
        #expect(ambiguous.errorMessage.contains("hid:/dev/hidraw7 (ledger nanosp)"))
        #expect(ambiguous.hint.contains("--device"))

        let first = await run(address + ["--device", "hid:/dev/hidraw3"], devices: devices)
        #expect(try first.json()["address"]?.stringValue == Support.speculosEthAddress)
        let second = await run(address + ["--device", "/dev/hidraw7"], devices: devices)
        #expect(try second.json()["address"]?.stringValue == (try Support.otherSeedAddress()))
        #expect(try Support.otherSeedAddress() != Support.speculosEthAddress)

        let unknown = await run(address + ["--device", "hid:/dev/hidraw9"], devices: devices)
        #expect(unknown.errorCode == -1)
        #expect(unknown.errorMessage.contains("'hid:/dev/hidraw9'"))
        #expect(unknown.errorMessage.contains("hid:/dev/hidraw3, hid:/dev/hidraw7"))
    }

    @Test("enumerate lists every device in its own entry, a legacy-HID Trezor One among them; it is usable")
    func enumerateSeveral() async throws {
        var locked = LedgerSimulatorSettings()
        locked.locked = true
        let devices = [(Support.trezorOne("hidraw2"), speculosSeed), (Support.ledger("hidraw3"), speculosSeed),
                       (Support.ledger("hidraw4", productID: 0x6011), locked)]
        let result = await run(["enumerate"], devices: devices)
        #expect(result.exitCode == 0, "\(result.stdout)")
        let entries = try #require(try result.json().arrayValue)
        #expect(entries.map { $0["id"]?.stringValue } == ["hid:/dev/hidraw2", "hid:/dev/hidraw3", "hid:/dev/hidraw4"])
        #expect(entries.map { $0["type"]?.stringValue } == ["trezor", "ledger", "ledger"])
        #expect(entries.map { $0["model"]?.stringValue } == ["one", "nanox", "stax"])
        #expect(entries.map { $0["state"]?.stringValue } == ["ready", "ready", "locked"])
        #expect(entries.map { $0["transport"]?.stringValue } == ["hid", "hid", "hid"])
        #expect(entries[0]["app"]?["name"] == "Trezor One")
        #expect(entries[1]["app"]?["name"] == "Ethereum")
        #expect(entries[1]["path"] == "/dev/hidraw3")
        #expect(entries[2]["code"] == -5)

        // The simulated Trezor One has the "all all ..." seed (TrezorTestSupport.ethAddress).
        let trezor = await run(address + ["--device", "hid:/dev/hidraw2"], devices: devices)
        #expect(trezor.exitCode == 0, "\(trezor.stdout)")
        #expect(try trezor.json()["address"]?.stringValue == "0x73d0385F4d8E00C5e6504C6030F47BF6212736A8")
    }

    @Test("A Ledger on USB restarts when it switches apps: the command reopens it and goes on")
    func reopenedAfterAppSwitch() async throws {
        var bitcoinOpen = LedgerSimulatorSettings()
        bitcoinOpen.app = .bitcoin
        let base = Support.environment([(Support.ledger("hidraw3"), bitcoinOpen)])
        let opens = Mutex(0)
        let counting = DeviceEnvironment(listHIDDevices: base.listHIDDevices, openHIDLink: { info throws(DeviceError) in
            opens.withLock { $0 += 1 }
            return try base.openHIDLink(info)
        })
        let result = await DeviceEnvironment.$current.withValue(counting) { await runCLI(address) }
        #expect(result.exitCode == 0, "\(result.stdout)")
        #expect(try result.json()["address"]?.stringValue == Support.speculosEthAddress)
        #expect(result.stderr.contains("Closing the Bitcoin app"))
        // The first open, then one after quitting Bitcoin and one after opening Ethereum.
        #expect(opens.withLock { $0 } == 3)
    }

    @Test("After a restart the same Ledger is found again: by serial, by node, or as the only one of its model")
    func reappearance() throws {
        func ledger(_ node: String, _ productID: UInt16, serial: String?) -> HIDDeviceInfo {
            HIDDeviceInfo(path: "/dev/\(node)", vendorID: 0x2C97, productID: productID, family: .ledger,
                          model: LedgerModel.name(forProductID: productID), serialNumber: serial, interfaceNumber: 0, usagePage: 0xFFA0)
        }
        let original = ledger("hidraw3", 0x4011, serial: "A1")
        // Same serial under a new node and another PID (the app exposes other interfaces).
        #expect(try DeviceResolver.reappeared(original, among: [ledger("hidraw5", 0x5011, serial: "B2"), ledger("hidraw4", 0x4015, serial: "A1")]).path
            == "/dev/hidraw4")
        // No serials: the old node, else the only Nano X.
        let anonymous = ledger("hidraw3", 0x4011, serial: nil)
        #expect(try DeviceResolver.reappeared(anonymous, among: [ledger("hidraw3", 0x4015, serial: nil), ledger("hidraw4", 0x4015, serial: nil)]).path
            == "/dev/hidraw3")
        #expect(try DeviceResolver.reappeared(anonymous, among: [ledger("hidraw9", 0x4015, serial: nil), ledger("hidraw2", 0x5011, serial: nil)]).path
            == "/dev/hidraw9")
        #expect(throws: DeviceError.disconnected("the Ledger has not come back after switching apps")) {
            try DeviceResolver.reappeared(anonymous, among: [Support.trezorOne("hidraw1")])
        }
        #expect(throws: DeviceError.severalDevices(candidates: ["hid:/dev/hidraw7", "hid:/dev/hidraw8"])) {
            try DeviceResolver.reappeared(anonymous, among: [ledger("hidraw7", 0x4015, serial: nil), ledger("hidraw8", 0x4015, serial: nil)])
        }
    }

    @Test("Trezor transports: sim:trezor works, webusb with none is -1, udp with no emulator -3; unknown or malformed ones are usage errors")
    func transports() async throws {
        let simulated = await run(address + ["--transport", "sim:trezor"], devices: [])
        #expect(simulated.exitCode == 0, "\(simulated.stdout)")
        let webUSB = await run(address + ["--transport", "webusb"], devices: [])
        #expect(webUSB.errorCode == -1, "\(webUSB.stdout)")
        let udp = await run(address + ["--transport", "udp:127.0.0.1:\(try Self.closedPort())"], devices: [])
        #expect(udp.errorCode == -3, "\(udp.stdout)")
        for transport in ["usb", "tcp:127.0.0.1", "tcp:127.0.0.1:0", "tcp::9999", "tcp:localhost:99999", "sim:ledgr"] {
            let result = await run(address + ["--transport", transport], devices: [])
            #expect(result.exitCode == 2, "\(transport): \(result.stdout)")
            #expect(result.errorCode == -10, "\(transport)")
        }
    }

    @Test("The transport forms parse to what they name")
    func transportParsing() throws {
        #expect(try DeviceTransport(parsing: nil, commandLine: "x") == .usb)
        #expect(try DeviceTransport(parsing: "hid", commandLine: "x") == .hid)
        #expect(try DeviceTransport(parsing: "sim:ledger", commandLine: "x") == .simulatedLedger)
        #expect(try DeviceTransport(parsing: "tcp:127.0.0.1:9999", commandLine: "x") == .speculos(host: "127.0.0.1", port: 9999))
        #expect(try DeviceTransport(parsing: "tcp:[::1]:40000", commandLine: "x") == .speculos(host: "::1", port: 40000))
        #expect(try DeviceTransport(parsing: "tcp:speculos.local:9999", commandLine: "x") == .speculos(host: "speculos.local", port: 9999))
    }

    @Test("Nothing listening at tcp:HOST:PORT is a lost connection (code -3)")
    func nothingListening() async throws {
        let port = try Self.closedPort()
        let result = await run(address + ["--transport", "tcp:127.0.0.1:\(port)"], devices: [])
        #expect(result.exitCode == 1)
        #expect(result.errorCode == -3, "\(result.stdout)")
        let listed = await run(["enumerate", "--transport", "tcp:127.0.0.1:\(port)"], devices: [])
        #expect(listed.exitCode == 0)
        let entry = try #require(try listed.json().arrayValue?.first)
        #expect(entry["id"] == .string("tcp:127.0.0.1:\(port)"))
        #expect(entry["state"] == "error")
        #expect(entry["code"] == -3)
    }

    /// A loopback port nobody listens on: bound, read back, then released.
    static func closedPort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bind(fd, socketAddress, length) == 0 && getsockname(fd, socketAddress, &length) == 0
            }
        }
        guard bound else { throw POSIXError(.EADDRNOTAVAIL) }
        return UInt16(bigEndian: address.sin_port)
    }
}
