import BridgeCore
import BridgeCrypto
import BridgeDevices
import BridgeSimulator
import BridgeUSB
import Foundation
import TestVectors
@testable import WalletBridgeCLI

/// Shared inputs of the Trezor CLI tests: the "all all" seed's known answers (trezor.md section 5 and the upstream
/// fixtures in ../shared/vectors/trezor), runs with no terminal to ask a PIN on, and fake USB environments whose
/// devices are simulated Trezors.
enum TrezorTestSupport {
    static let seed = "all all all all all all all all all all all all"
    static let ethPath = "m/44'/60'/0'/0/0"
    /// trezor.md section 5, "Anchor values with all all".
    static let ethAddress = "0x73d0385F4d8E00C5e6504C6030F47BF6212736A8"
    static let btcSegwitPath = "m/84'/0'/0'/0/0"
    static let btcSegwitAddress = "bc1qannfxke2tfd4l7vhepehpvt05y83v3qsf6nfkk"
    static let xpubPath = "m/44'/0'/0'"
    static let xpub = "xpub6BiVtCpG9fQPxnPmHXG8PhtzQdWC2Su4qWu6XW9tpWFYhxydCLJGrWBJZ5H6qTAHdPQ7pQhtpjiYZVZARo14qHiay2fvrX996oEP42u8wZy"
    /// The master fingerprint of "all all" (the root fingerprint 5c9e228d of recorded_t1_firmware_1_14_2.json,
    /// `session_open_standard_wallet`).
    static let masterFingerprint = "5c9e228d"
    /// EthereumGetAddress at m/44'/60'/0'/0/0 with passphrase "TREZOR" (recorded_t1_firmware_1_14_2.json,
    /// `passphrase_session_ethereum_get_address`).
    static let ethAddressWithPassphraseTREZOR = "0xf061411b46fB8cCcdeb16855347a419a777A1f9A"
    static let message = "This is an example of a signed message."

    /// The key at `path` of the "all all" seed (empty passphrase), derived here with BridgeCrypto.
    static func key(_ path: String, passphrase: String = "") throws -> ExtendedKey {
        let seed = try Mnemonic(phrase: Self.seed).seed(passphrase: passphrase)
        return try ExtendedKey.master(seed: seed).derived(try DerivationPath(parsing: path))
    }

    /// The compressed public key at `path` as `address` prints it.
    static func publicKeyHex(_ path: String) throws -> String {
        Hex.encodePrefixed(try key(path).publicKey.compressed)
    }

    /// A test of `file` (ethereum/… or bitcoin/…) whose `name` or parameters match.
    static func fixture(_ file: String, where matches: (JSONValue) -> Bool) throws -> JSONValue {
        guard let test = try TestVectors.json("trezor/\(file)").array("tests").first(where: matches) else {
            throw DeviceTestSupport.MissingVector(name: file)
        }
        return test
    }

    /// ethereum/signmessage.json: "This is an example of a signed message." at m/44'/60'/0'/0/0.
    static func ethereumSignMessage() throws -> (signature: String, address: String) {
        let test = try fixture("ethereum/signmessage.json") {
            $0["parameters"]?["msg"]?.stringValue == message && $0["parameters"]?["path"]?.stringValue == ethPath
        }
        return ("0x" + (try TrezorTestSupport.value(test["result"]?["sig"]?.stringValue)),
                try TrezorTestSupport.value(test["result"]?["address"]?.stringValue))
    }

    /// bitcoin/signmessage.json, case segwit-native for Bitcoin: the signature as base64 (as the CLI prints it).
    static func bitcoinSignMessage() throws -> (signature: String, address: String) {
        let test = try fixture("bitcoin/signmessage.json") {
            $0["name"] == "segwit-native" && $0["parameters"]?["coin_name"] == "Bitcoin"
                && $0["parameters"]?["message"]?.stringValue == message
        }
        let signature = try TrezorTestSupport.value(Hex.decode(try TrezorTestSupport.value(test["result"]?["signature"]?.stringValue)))
        return (Data(signature).base64EncodedString(), try TrezorTestSupport.value(test["result"]?["address"]?.stringValue))
    }

    /// ethereum/sign_typed_data.json case `name`: its typed data, hashes and signature.
    static func typedData(_ name: String) throws -> (json: JSONValue, domainHash: String, messageHash: String?, signature: String) {
        let test = try fixture("ethereum/sign_typed_data.json") { $0["name"]?.stringValue == name }
        let parameters = try TrezorTestSupport.value(test["parameters"])
        return (try TrezorTestSupport.value(parameters["data"]), try TrezorTestSupport.value(parameters["domain_separator_hash"]?.stringValue),
                parameters["message_hash"]?.stringValue, try TrezorTestSupport.value(test["result"]?["sig"]?.stringValue))
    }

    /// `value`, or an error when it is missing (for expectations built outside a test body, where `#require` is
    /// not available).
    static func value<Value>(_ value: Value?, _ what: String = "a fixture value") throws -> Value {
        guard let value else { throw DeviceTestSupport.MissingVector(name: what) }
        return value
    }

    /// The system environment with nobody at a terminal: a PIN request without `--pin` fails (-5) instead of
    /// waiting for input, whatever the test runner's standard input is.
    static var nonInteractive: DeviceEnvironment {
        var environment = DeviceEnvironment.system
        environment.pinPrompt = .unavailable
        return environment
    }

    /// Runs the tool in-process in `environment` (default: ``nonInteractive``).
    static func run(_ arguments: [String], environment: DeviceEnvironment = nonInteractive) async -> CLIRun {
        await DeviceEnvironment.$current.withValue(environment) { await runCLI(arguments) }
    }

    /// A USB environment whose hidraw list holds `hid` and whose WebUSB list holds `webUSB`, each device a simulated
    /// Trezor with its own configuration; every open reaches the same simulator, as reopening a real device would.
    static func usbEnvironment(hid: [(HIDDeviceInfo, SimulatedTrezor.Configuration)] = [],
                               webUSB: [(WebUSBDeviceInfo, SimulatedTrezor.Configuration)] = [],
                               pinPrompt: TrezorPINPrompt = .unavailable) throws -> DeviceEnvironment {
        let hidDevices = try hid.map { ($0.0, try SimulatedTrezor(configuration: $0.1)) }
        let webUSBDevices = try webUSB.map { ($0.0, try SimulatedTrezor(configuration: $0.1)) }
        var environment = DeviceEnvironment(
            listHIDDevices: { hidDevices.map(\.0) },
            openHIDLink: { info throws(DeviceError) in
                guard let device = hidDevices.first(where: { $0.0 == info })?.1 else { throw .disconnected("no device at \(info.path)") }
                return SimulatedTrezorLink(device: device)
            })
        environment.listWebUSBDevices = { webUSBDevices.map(\.0) }
        environment.openWebUSBLink = { info throws(DeviceError) in
            guard let device = webUSBDevices.first(where: { $0.0 == info })?.1 else { throw .disconnected("no device at \(info.id)") }
            return SimulatedTrezorLink(device: device)
        }
        environment.pinPrompt = pinPrompt
        return environment
    }

    /// A simulator configuration for `model`, the other knobs as given.
    static func configuration(_ model: SimulatedTrezor.Model, pin: String? = nil, layout: [UInt8]? = nil) -> SimulatedTrezor.Configuration {
        var configuration = SimulatedTrezor.Configuration()
        configuration.model = model
        configuration.pin = pin
        configuration.pinLayout = layout
        return configuration
    }
}
