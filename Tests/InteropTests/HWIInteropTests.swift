import BridgeCore
import BridgeCrypto
import BridgeDevices
import BridgeSimulator
import Foundation
import Testing

extension InteropSuite {
    /// HWI 3.2 (`hwi --emulators`) against the simulators on the emulators' fixed addresses (udp:127.0.0.1:21324 with its
    /// debug link on 21325, tcp:127.0.0.1:9999), so these tests run one at a time; HWI's own trezorlib
    /// (hwilib.devices.trezorlib.debuglink) and ledgercomm through the same environment's Python. Answers are checked
    /// against keys derived from the seeds here.
    @Suite("HWI and ledgercomm against the simulators", .serialized,
           .enabled(if: VendorTool.hwi.isInstalled, "HWI is not installed: run `make interop-tools` (PyPI)"))
    struct HWIInteropTests {
        static let trezorPath = "udp:127.0.0.1:21324"
        static let ledgerPath = "tcp:127.0.0.1:9999"
        static let message = "Approve order 42: 1,250.00 USD"

        /// A simulated Trezor served where `hwi --emulators` looks for one, for the length of `body`.
        func withTrezor(_ configure: (inout SimulatedTrezor.Configuration) -> Void = { _ in },
                        _ body: (SimulatedTrezor) throws -> Void) throws {
            var configuration = SimulatedTrezor.Configuration()
            configure(&configuration)
            let device = try SimulatedTrezor(configuration: configuration)
            let server = TrezorEmulatorServer(device: device, port: 21324)
            try server.start()
            defer { server.stop() }
            try body(device)
        }

        /// A simulated Ledger with `app` open where `hwi --emulators` looks for Speculos.
        func withLedger(app: SimulatedLedger.App, _ body: (SimulatedLedger) throws -> Void) throws {
            let device = try SimulatedLedger(configuration: SimulatedLedger.Configuration(app: app))
            let server = SpeculosServer(device: device, port: 9999)
            try server.start()
            defer { server.stop() }
            try body(device)
        }

        /// `hwi --emulators ARGUMENTS` with a zero exit, as JSON.
        func hwi(_ arguments: [String]) throws -> JSONValue {
            let run = try VendorTool.hwi.run(["--emulators"] + arguments)
            #expect(run.status == 0, "hwi \(arguments.joined(separator: " ")): \(run)")
            return try KnownKeys.json(run)
        }

        func trezor(_ arguments: [String]) throws -> JSONValue {
            try hwi(["-t", "trezor", "-d", Self.trezorPath] + arguments)
        }

        /// The enumerate entry of `type`.
        func enumerated(_ type: String) throws -> JSONValue {
            let devices = try hwi(["enumerate"]).arrayValue ?? []
            return try #require(devices.first { $0["type"]?.stringValue == type }, "hwi enumerate found no \(type): \(devices)")
        }

        /// Python in HWI's environment (its own trezorlib, ledgercomm), printing one JSON document.
        func python(_ script: String) throws -> JSONValue {
            let run = try VendorTool.hwiPython.run(["-c", script])
            #expect(run.status == 0, "python: \(run)")
            return try KnownKeys.json(run)
        }

        // MARK: - Trezor

        @Test("Trezor: enumerate, getxpub, getdescriptors, getkeypool, signmessage, displayaddress")
        func trezorBasics() throws {
            let seed = KnownKeys.trezorSeed
            try withTrezor { device in
                let entry = try enumerated("trezor")
                #expect(entry["fingerprint"]?.stringValue == (try KnownKeys.fingerprint(seed)))
                #expect(entry["label"]?.stringValue == "SLIP-0014")
                #expect(try trezor(["getxpub", "m/84h/0h/0h"])["xpub"]?.stringValue == (try KnownKeys.xpub(seed, "m/84'/0'/0'")))
                let descriptors = try trezor(["getdescriptors", "--account", "0"])
                let receive = descriptors["receive"]?.arrayValue?.compactMap(\.stringValue) ?? []
                let segwitAccount = "wpkh([5c9e228d/84h/0h/0h]\(try KnownKeys.xpub(seed, "m/84'/0'/0'"))/0/*)"
                #expect(receive.contains { $0.hasPrefix(segwitAccount) })
                let keypool = try trezor(["getkeypool", "0", "2"]).arrayValue ?? []
                #expect(keypool.count == 2)
                let signature = try trezor(["signmessage", Self.message, "m/84h/0h/0h/0/0"])["signature"]?.stringValue ?? ""
                let address = try KnownKeys.segwitAddress(seed, "m/84'/0'/0'/0/0")
                #expect(KnownKeys.isBitcoinSignature(signature, of: Self.message, by: address))
                #expect(try trezor(["displayaddress", "--path", "m/84h/0h/0h/0/0"])["address"]?.stringValue == address)
                // The address was on the device's screen; the message on the signing screens.
                #expect(device.screensShown.contains { $0.name == "show_address" && $0.lines == [address] })
                #expect(device.screensShown.contains { $0.shows(Self.message) })
            }
        }

        @Test("Trezor: displayaddress of a 2-of-2 multisig descriptor, as P2SH, P2SH-P2WSH and P2WSH")
        func trezorMultisig() throws {
            let seed = KnownKeys.trezorSeed
            let paths = ["m/48'/0'/0'/2'", "m/48'/0'/1'/2'"]
            let keys = try paths.map { try KnownKeys.key(seed, $0) }
            let fingerprint = try KnownKeys.fingerprint(seed)
            let cosigners = zip(paths, keys).map { path, key in
                "[\(fingerprint)\(path.dropFirst().replacingOccurrences(of: "'", with: "h"))]\(key.neutered.xpub(network: .main))/0/0"
            }
            // The redeem script over the keys at /0/0, in the descriptor's order (multi, not sortedmulti).
            let pubkeys = try keys.map { try $0.derived(DerivationPath(parsing: "m/0/0")).publicKey.compressed }
            let script = [0x52] + pubkeys.flatMap { [0x21] + $0 } + [0x52, 0xAE] as [UInt8]
            let expected = [
                ("sh(multi(2,\(cosigners.joined(separator: ","))))", Base58.encodeCheck([0x05] + Hash.hash160(script))),
                ("sh(wsh(multi(2,\(cosigners.joined(separator: ",")))))",
                 Base58.encodeCheck([0x05] + Hash.hash160([0x00, 0x20] + Hash.sha256(script)))),
                ("wsh(multi(2,\(cosigners.joined(separator: ","))))",
                 try SegwitAddress(hrp: "bc", witnessVersion: 0, program: Hash.sha256(script)).string),
            ]
            try withTrezor { _ in
                for (descriptor, address) in expected {
                    let shown = try trezor(["displayaddress", "--desc", descriptor])["address"]?.stringValue
                    #expect(shown == address, "\(descriptor)")
                }
            }
        }

        @Test("Trezor with --approve debuglink: HWI presses YES on the debug link, and the screen showed the message")
        func trezorDebugLinkPresses() throws {
            try withTrezor({ $0.userPressesButtons = false }) { device in
                let signature = try trezor(["signmessage", Self.message, "m/84h/0h/0h/0/0"])["signature"]?.stringValue ?? ""
                let address = try KnownKeys.segwitAddress(KnownKeys.trezorSeed, "m/84'/0'/0'/0/0")
                #expect(KnownKeys.isBitcoinSignature(signature, of: Self.message, by: address))
                #expect(device.screensShown.last?.lines == [Self.message])
            }
        }

        @Test("Trezor One with a PIN: promptpin, the positions read off the matrix on screen, sendpin")
        func trezorOnePIN() throws {
            try withTrezor({
                $0.model = .one
                $0.pin = "1234"
            }) { device in
                #expect(try enumerated("trezor")["needs_pin_sent"]?.boolValue == true)
                #expect(try trezor(["promptpin"])["success"]?.boolValue == true)
                let layout = try #require(device.pinMatrixOnScreen, "no PIN matrix on the screen")
                let positions = String("1234".compactMap { digit in
                    layout.firstIndex(of: UInt8(String(digit))!).map { Character(String($0 + 1)) }
                })
                #expect(try trezor(["sendpin", positions])["success"]?.boolValue == true)
                #expect(!device.isLocked)
                #expect(try enumerated("trezor")["fingerprint"]?.stringValue == (try KnownKeys.fingerprint(KnownKeys.trezorSeed)))
            }
        }

        @Test("Trezor: togglepassphrase (ApplySettings), wipe, then trezorlib.debuglink's load_device: the answers follow")
        func trezorWipeAndLoad() throws {
            let abandon = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
            try withTrezor { device in
                #expect(try trezor(["togglepassphrase"])["success"]?.boolValue == true)
                #expect(try TrezorFeatures(device).passphraseProtection == true)
                #expect(try trezor(["-p", "", "togglepassphrase"])["success"]?.boolValue == true)
                #expect(try TrezorFeatures(device).passphraseProtection == false)

                #expect(try trezor(["wipe"])["success"]?.boolValue == true)
                #expect(!device.isInitialized)
                #expect(try enumerated("trezor")["code"]?.numberValue?.text == "-18")

                let loaded = try python("""
                    import json
                    from hwilib.devices.trezorlib.transport.udp import UdpTransport
                    from hwilib.devices.trezorlib.debuglink import TrezorClientDebugLink, load_device
                    client = TrezorClientDebugLink(UdpTransport("127.0.0.1:21324"), _init_device=True)
                    client.init_device()
                    load_device(client, "\(abandon)", pin=None, passphrase_protection=False, label="reloaded")
                    client.init_device()
                    client.debug.open()
                    state = client.debug.state()
                    print(json.dumps({"label": client.features.label, "initialized": client.features.initialized,
                                      "mnemonic": state.mnemonic_secret.decode()}))
                    """)
                #expect(loaded["label"]?.stringValue == "reloaded" && loaded["initialized"]?.boolValue == true)
                #expect(loaded["mnemonic"]?.stringValue == abandon)
                #expect(try trezor(["getxpub", "m/84h/0h/0h"])["xpub"]?.stringValue == (try KnownKeys.xpub(abandon, "m/84'/0'/0'")))
            }
        }

        @Test("Trezor One and Safe 5: setup refused while initialized, wipe, HWI's setup_device (ResetDevice, new PIN, entropy, backup screens), setup refused again", arguments: [SimulatedTrezor.Model.one, .safe5])
        func trezorSetupAfterWipe(model: SimulatedTrezor.Model) throws {
            try withTrezor({ $0.model = model }) { device in
                let refusal = try hwi(["-t", "trezor", "-d", Self.trezorPath, "-i", "setup"])
                #expect(refusal["code"]?.numberValue?.text == "-10")
                #expect(refusal["error"]?.stringValue == "Device is already initialized. Use wipe first and try again")
                #expect(try trezor(["wipe"])["success"]?.boolValue == true)

                // HWI's own test (test/test_trezor.py `test_setup_wipe`): the new PIN's positions read off the matrix
                // through the debug link (a Trezor One), the host's entropy, then the device's backup screens.
                let created = try python("""
                    import json
                    from types import MethodType
                    from hwilib.devices.trezor import TrezorClient
                    def get_pin(self, code=None):
                        return self.debuglink.encode_pin(self.pin)
                    t_client = TrezorClient("\(Self.trezorPath)", "test")
                    t_client.client.ui.get_pin = MethodType(get_pin, t_client.client.ui)
                    t_client.client.ui.pin = "1234"
                    result = t_client.setup_device(label="HWI Trezor")
                    t_client.client.debug.open()
                    state = t_client.client.debug.state()
                    print(json.dumps({"result": result, "mnemonic": state.mnemonic_secret.decode()}))
                    """)
                #expect(created["result"]?.boolValue == true)
                let mnemonic = try #require(created["mnemonic"]?.stringValue)
                #expect(mnemonic.split(separator: " ").count == (model == .one ? 24 : 12), "trezorlib's strength: 256 bits on the One, 128 on the others")
                #expect(device.isInitialized)
                #expect(try enumerated("trezor")["label"]?.stringValue == "HWI Trezor")
                #expect(try trezor(["getxpub", "m/84h/0h/0h"])["xpub"]?.stringValue == (try KnownKeys.xpub(mnemonic, "m/84'/0'/0'")))
                if model == .one {
                    #expect(device.screensShown.contains { $0.title == "Please re-enter new PIN:" })
                    #expect(device.screensShown.filter { $0.name == "reset_word" }.count == 48, "24 words written down, then checked")
                } else {
                    #expect(device.screensShown.contains { $0.name == "backup_words" && $0.lines.count == 12 })
                }
                let again = try hwi(["-t", "trezor", "-d", Self.trezorPath, "-i", "setup"])
                #expect(again["code"]?.numberValue?.text == "-10")
            }
        }

        // MARK: - Ledger

        @Test("Ledger (Bitcoin app): enumerate, getxpub, getdescriptors, signmessage, displayaddress")
        func ledgerBasics() throws {
            let seed = SimulatedLedger.Configuration.speculosMnemonic
            try withLedger(app: .bitcoin) { _ in
                let entry = try enumerated("ledger")
                #expect(entry["fingerprint"]?.stringValue == (try KnownKeys.fingerprint(seed)))
                let ledger = ["-t", "ledger", "-d", Self.ledgerPath]
                #expect(try hwi(ledger + ["getxpub", "m/84h/0h/0h"])["xpub"]?.stringValue == (try KnownKeys.xpub(seed, "m/84'/0'/0'")))
                let receive = try hwi(ledger + ["getdescriptors", "--account", "0"])["receive"]?.arrayValue?.compactMap(\.stringValue) ?? []
                let accountXpub = try KnownKeys.xpub(seed, "m/84'/0'/0'")
                #expect(receive.contains { $0.contains(accountXpub) })
                let address = try KnownKeys.segwitAddress(seed, "m/84'/0'/0'/0/0")
                let signature = try hwi(ledger + ["signmessage", Self.message, "m/84h/0h/0h/0/0"])["signature"]?.stringValue ?? ""
                #expect(KnownKeys.isBitcoinSignature(signature, of: Self.message, by: address))
                #expect(try hwi(ledger + ["displayaddress", "--path", "m/84h/0h/0h/0/0"])["address"]?.stringValue == address)
            }
        }

        @Test("ledgercomm: the app's name and version, and the Ethereum app's address at m/44'/60'/0'/0/0")
        func ledgercomm() throws {
            let seed = SimulatedLedger.Configuration.speculosMnemonic
            try withLedger(app: .ethereum) { _ in
                let answer = try python("""
                    import json
                    from ledgercomm import Transport
                    transport = Transport(interface="tcp", server="127.0.0.1", port=9999, debug=False)
                    sw, app = transport.exchange(cla=0xB0, ins=0x01, p1=0x00, p2=0x00, cdata=b"")
                    path = b"\\x05" + b"".join(i.to_bytes(4, "big") for i in [0x8000002C, 0x8000003C, 0x80000000, 0, 0])
                    sw2, address = transport.exchange(cla=0xE0, ins=0x02, p1=0x00, p2=0x00, cdata=path)
                    transport.close()
                    name_length = app[1]
                    print(json.dumps({"sw": sw, "app": app[2:2 + name_length].decode(), "sw2": sw2,
                                      "address": address[1 + address[0] + 1:][:40].decode()}))
                    """)
                #expect(answer["sw"]?.numberValue?.text == "36864" && answer["sw2"]?.numberValue?.text == "36864")
                #expect(answer["app"]?.stringValue == "Ethereum")
                let expected = try KnownKeys.ethereumAddress(seed, "m/44'/60'/0'/0/0")
                #expect(answer["address"]?.stringValue == String(expected.dropFirst(2)))
            }
        }
    }
}

/// The simulated Trezor's Features, read in process (what `get-features` would print).
private struct TrezorFeatures {
    let passphraseProtection: Bool?

    init(_ device: SimulatedTrezor) throws {
        var reassembler = TrezorV1Reassembler()
        var features: TrezorProto.Features?
        for packet in TrezorV1Framing.packets(for: TrezorWireMessage(TrezorProto.GetFeatures())) {
            for answer in device.receive(packet: packet) {
                if let message = try reassembler.append(answer) { features = try message.decode(TrezorProto.Features.self) }
            }
        }
        passphraseProtection = features?.passphraseProtection
    }
}
