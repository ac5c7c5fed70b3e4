import BridgeCrypto
import BridgeDevices

/// Typed readers for the values device commands take; a bad value is a usage error naming what is accepted.
extension ParsedArguments {
    /// The value of `--name` looked up among `choices` (in the order help lists them); nil when absent.
    func choice<Value>(_ name: String, from choices: [(String, Value)]) throws(UsageError) -> Value? {
        guard let text = value(name) else { return nil }
        guard let match = choices.first(where: { $0.0 == text }) else {
            throw UsageError("--\(name) must be one of \(choices.map(\.0).joined(separator: ", ")), got '\(text)'",
                             about: commandLine)
        }
        return match.1
    }

    /// `--name` as a BIP-32 path (`m/44'/60'/0'/0/0`).
    func derivationPath(_ name: String) throws(UsageError) -> DerivationPath {
        let text = try requiredValue(name)
        do {
            return try DerivationPath(parsing: text)
        } catch {
            throw UsageError("--\(name) '\(text)': \(error.message)", about: commandLine)
        }
    }

    /// `--coin eth|btc`, default eth (CONTRACT.md).
    func coin() throws(UsageError) -> Coin {
        try choice("coin", from: Coin.allCases.map { ($0.rawValue, $0) }) ?? .eth
    }

    /// `--script p2pkh|p2sh-p2wpkh|p2wpkh`, Bitcoin only; nil takes the default of the path's purpose.
    func scriptType(for coin: Coin) throws(UsageError) -> BitcoinScriptType? {
        let script = try choice("script", from: BitcoinScriptType.allCases.map { ($0.rawValue, $0) })
        if script != nil, coin != .btc {
            throw UsageError("--script applies to --coin btc only", about: commandLine)
        }
        return script
    }

    /// `--network main|test`, default main.
    func network() throws(UsageError) -> BitcoinNetwork {
        try choice("network", from: BitcoinNetwork.allCases.map { ($0.rawValue, $0) }) ?? .main
    }
}

extension CommandOption {
    /// `--path P`, required by every command that derives a key.
    static let derivationPath = CommandOption.value(
        "path", "P", help: "The BIP-32 path of the key, e.g. m/44'/60'/0'/0/0 (' or h marks a hardened index).", required: true)
    static let coin = CommandOption.value("coin", "eth|btc", help: "The coin whose address format and signing rules apply.", default: "eth")
    static let script = CommandOption.value(
        "script", "TYPE",
        help: "Bitcoin script type: p2pkh, p2sh-p2wpkh or p2wpkh. Default from the path's purpose: 44' p2pkh, 49' p2sh-p2wpkh, 84' p2wpkh, otherwise p2pkh.")
    static let network = CommandOption.value(
        "network", "main|test", help: "Bitcoin network: main (xpub, bc1/1/3 addresses) or test (tpub, tb1/m/n/2 addresses).",
        default: "main")
}
