import BridgeCore
import BridgeDevices
import BridgeSimulator
import Testing

extension InteropSuite {
    /// trezorctl 0.20 (the current `trezor` package) and 0.13 against `TrezorEmulatorServer` on loopback: the seven
    /// commands of issue 12 on a simulated Safe 5 and Trezor One, and on a PIN-protected One answered through the PIN
    /// matrix (trezorctl reads the positions from standard input). Answers are checked against keys derived from the
    /// seed here.
    @Suite("trezorctl against the simulated Trezor", .serialized)
    struct TrezorctlInteropTests {
        static let tools = [VendorTool.trezorctl020, .trezorctl013]
        static let message = "Approve order 42: 1,250.00 USD"

        /// A served simulator for one test.
        final class Served {
            let device: SimulatedTrezor
            let server: TrezorEmulatorServer
            let path: String

            init(_ configure: (inout SimulatedTrezor.Configuration) -> Void) throws {
                var configuration = SimulatedTrezor.Configuration()
                configure(&configuration)
                device = try SimulatedTrezor(configuration: configuration)
                server = TrezorEmulatorServer(device: device, port: 0)
                path = "udp:127.0.0.1:\(try server.start())"
            }

            deinit { server.stop() }
        }

        /// One trezorctl command with JSON output; `pin` is typed at the matrix prompt when the device asks.
        func trezorctl(_ tool: VendorTool, _ served: Served, _ arguments: [String], pin: String = "") throws -> JSONValue {
            let run = try tool.run(["-p", served.path, "-j"] + arguments, input: pin.isEmpty ? "" : pin + "\n")
            #expect(run.status == 0, "\(tool) \(arguments.joined(separator: " ")): \(run)")
            return try KnownKeys.json(run)
        }

        /// The seven commands; `beforeEach` runs before each (a PIN-protected One is locked again each time).
        func sevenCommands(_ tool: VendorTool, _ served: Served, pin: String = "", beforeEach: () -> Void = {}) throws {
            let seed = KnownKeys.trezorSeed
            beforeEach()
            let features = try trezorctl(tool, served, ["get-features"], pin: pin)
            #expect(features["label"]?.stringValue == "SLIP-0014")
            #expect(features["model"]?.stringValue == (served.device.configuration.model == .one ? "1" : "Safe 5"))
            beforeEach()
            #expect(try trezorctl(tool, served, ["ping", "walletbridge"], pin: pin).stringValue == "walletbridge")
            beforeEach()
            let ethereum = try trezorctl(tool, served, ["ethereum", "get-address", "-n", "m/44'/60'/0'/0/0"], pin: pin)
            #expect(ethereum.stringValue == (try KnownKeys.ethereumAddress(seed, "m/44'/60'/0'/0/0")))
            beforeEach()
            let bitcoin = try trezorctl(tool, served, ["btc", "get-address", "-n", "m/84'/0'/0'/0/0", "-t", "segwit"], pin: pin)
            #expect(bitcoin.stringValue == (try KnownKeys.segwitAddress(seed, "m/84'/0'/0'/0/0")))
            beforeEach()
            let node = try trezorctl(tool, served, ["btc", "get-public-node", "-n", "m/44'/0'/0'"], pin: pin)
            #expect(node["xpub"]?.stringValue == (try KnownKeys.xpub(seed, "m/44'/0'/0'")))
            beforeEach()
            let signed = try trezorctl(tool, served, ["ethereum", "sign-message", "-n", "m/44'/60'/0'/0/0", Self.message], pin: pin)
            let ethereumAddress = try KnownKeys.ethereumAddress(seed, "m/44'/60'/0'/0/0")
            #expect(signed["address"]?.stringValue == ethereumAddress)
            #expect(KnownKeys.isPersonalSignature(signed["signature"]?.stringValue ?? "", of: Self.message, by: ethereumAddress))
            beforeEach()
            let btcSigned = try trezorctl(tool, served, ["btc", "sign-message", "-n", "m/84'/0'/0'/0/0", "-t", "segwit", Self.message], pin: pin)
            let segwitAddress = try KnownKeys.segwitAddress(seed, "m/84'/0'/0'/0/0")
            #expect(btcSigned["address"]?.stringValue == segwitAddress)
            #expect(KnownKeys.isBitcoinSignature(btcSigned["signature"]?.stringValue ?? "", of: Self.message, by: segwitAddress))
        }

        @Test("the seven commands on a simulated Safe 5 and Trezor One",
              .enabled(if: Self.tools.allSatisfy(\.isInstalled), "trezorctl 0.20 and 0.13 are not installed: run `make interop-tools` (PyPI)"),
              arguments: Self.tools, [SimulatedTrezor.Model.safe5, .one])
        func sevenCommands(_ tool: VendorTool, _ model: SimulatedTrezor.Model) throws {
            let served = try Served { $0.model = model }
            try sevenCommands(tool, served)
            // Each command's screens were shown: the message on the signing screens, the addresses only when asked.
            #expect(served.device.screensShown.contains { $0.shows(Self.message) })
        }

        @Test("a PIN-protected Trezor One, locked before every command, is answered through the matrix",
              .enabled(if: Self.tools.allSatisfy(\.isInstalled), "trezorctl 0.20 and 0.13 are not installed: run `make interop-tools` (PyPI)"),
              arguments: Self.tools)
        func pinProtectedOne(_ tool: VendorTool) throws {
            let served = try Served {
                $0.model = .one
                $0.pin = "1234"
                // Positions equal digits, so the typed positions are the PIN (`simulate trezor --pin-layout 123456789`).
                $0.pinLayout = Array(1...9)
            }
            try sevenCommands(tool, served, pin: "1234") { served.device.lock() }
            #expect(!served.device.isLocked)
            // The matrix was on the screen each time it was asked.
            #expect(served.device.screensShown.filter { $0.name == "pin_matrix" }.count >= 5)
        }
    }
}
