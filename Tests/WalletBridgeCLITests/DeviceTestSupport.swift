import BridgeCore
import BridgeCrypto
import BridgeDevices
import BridgeSimulator
import BridgeUSB
import Foundation
import TestVectors
@testable import WalletBridgeCLI

/// Shared inputs of the device-command tests: the Speculos-seed known answers and recorded replies, the EIP-712
/// "Mail" example, and fake HID environments backed by simulated Ledgers.
enum DeviceTestSupport {
    static let simulated = ["--transport", "sim:ledger"]
    static let ethPath = "m/44'/60'/0'/0/0"
    /// app-ethereum's device address for the Speculos seed at m/44'/60'/0'/0/0 (speculos_seed_known_answers.json).
    static let speculosEthAddress = "0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D"

    /// The recorded entry `name` of `recorded_eth_app_1_22_0.json` or `recorded_btc_app_2_4_6.json`.
    static func recorded(_ file: String, _ name: String) throws -> JSONValue {
        guard let entry = try TestVectors.json("ledger/\(file)").arrayValue?.first(where: { $0["name"]?.stringValue == name }) else {
            throw MissingVector(name: name)
        }
        return entry
    }

    struct MissingVector: Error, CustomStringConvertible {
        let name: String
        var description: String { "no vector named \(name)" }
    }

    /// The EIP-712 "Mail" case of crypto/eip712.json: typed data and its hashes.
    static func mail() throws -> JSONValue {
        let cases = try TestVectors.json("crypto/eip712.json").array("cases")
        guard let mail = cases.first(where: { $0["name"] == "mail" }) else { throw MissingVector(name: "mail") }
        return mail
    }

    /// The compressed form of an uncompressed public key in hex, as `address` prints it.
    static func compressedHex(ofUncompressed hex: String) throws -> String {
        guard let bytes = Hex.decode(hex) else { throw MissingVector(name: "public key \(hex)") }
        return Hex.encodePrefixed(try PublicKey(serialized: bytes).compressed)
    }

    /// A HID environment listing `devices`, each Ledger a simulated Ledger with its own settings and each Trezor a
    /// simulated Trezor One (the Ledger settings do not apply to it). Every open of a device reaches the same
    /// simulator, as reopening a real one after an app switch does.
    static func environment(_ devices: [(info: HIDDeviceInfo, settings: LedgerSimulatorSettings)]) -> DeviceEnvironment {
        let simulators = devices.map { try? SimulatedLedger(configuration: $0.settings.configuration) }
        var trezorOne = SimulatedTrezor.Configuration()
        trezorOne.model = .one
        let trezors = devices.map { $0.info.family == .trezor ? try? SimulatedTrezor(configuration: trezorOne) : nil }
        return DeviceEnvironment(
            listHIDDevices: { devices.map(\.info) },
            openHIDLink: { info throws(DeviceError) in
                guard let index = devices.firstIndex(where: { $0.info == info }) else {
                    throw .disconnected("no device at \(info.path)")
                }
                if let trezor = trezors[index] { return SimulatedTrezorLink(device: trezor) }
                guard let simulator = simulators[index] else { throw .disconnected("no device at \(info.path)") }
                return SimulatedLedgerLink(device: simulator)
            }
        )
    }

    static func ledger(_ node: String, productID: UInt16 = 0x4015) -> HIDDeviceInfo {
        HIDDeviceInfo(path: "/dev/\(node)", vendorID: 0x2C97, productID: productID, family: .ledger,
                      model: LedgerModel.name(forProductID: productID), interfaceNumber: 0, usagePage: 0xFFA0)
    }

    static func trezorOne(_ node: String) -> HIDDeviceInfo {
        HIDDeviceInfo(path: "/dev/\(node)", vendorID: 0x534C, productID: 0x0001, family: .trezor, model: "one",
                      interfaceNumber: 0, usagePage: 0xFF00)
    }

    /// The settings of a simulated Ledger with another seed than Speculos's, to tell two devices apart.
    static var otherSeed: LedgerSimulatorSettings {
        var settings = LedgerSimulatorSettings()
        settings.mnemonic = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
        return settings
    }

    /// The Ethereum address of the "abandon ... about" seed at m/44'/60'/0'/0/0, derived here with BridgeCrypto.
    static func otherSeedAddress() throws -> String {
        let seed = try Mnemonic(phrase: otherSeed.mnemonic ?? "").seed(passphrase: "")
        let key = try ExtendedKey.master(seed: seed).derived(try DerivationPath(parsing: ethPath))
        return EthereumAddress(publicKey: key.publicKey).checksummed
    }
}
