import BridgeCore
import BridgeCrypto
import Foundation
import Testing

/// What the default seeds must answer, derived here with BridgeCrypto (never read back from the simulator), so a
/// tool's answer is checked against the seed itself.
enum KnownKeys {
    /// SLIP-0014's "all all ..." seed, the simulated Trezor's default.
    static let trezorSeed = "all all all all all all all all all all all all"

    static func key(_ seed: String, _ path: String, passphrase: String = "") throws -> ExtendedKey {
        try ExtendedKey.master(seed: try Mnemonic(phrase: seed).seed(passphrase: passphrase))
            .derived(try DerivationPath(parsing: path))
    }

    static func ethereumAddress(_ seed: String, _ path: String) throws -> String {
        EthereumAddress(publicKey: try key(seed, path).publicKey).checksummed
    }

    static func segwitAddress(_ seed: String, _ path: String, network: BitcoinNetwork = .main) throws -> String {
        BitcoinAddress.address(for: try key(seed, path).publicKey, script: .p2wpkh, network: network)
    }

    static func xpub(_ seed: String, _ path: String) throws -> String {
        try key(seed, path).neutered.xpub(network: .main)
    }

    /// The master key's fingerprint as HWI prints it (8 hex digits).
    static func fingerprint(_ seed: String) throws -> String {
        let master = try ExtendedKey.master(seed: try Mnemonic(phrase: seed).seed())
        return String(format: "%08x", master.fingerprint)
    }

    /// Whether `signature` (65 bytes r || s || v, hex) is `address`'s EIP-191 signature of `message`.
    static func isPersonalSignature(_ signature: String, of message: String, by address: String) -> Bool {
        guard let bytes = Hex.decode(signature.hasPrefix("0x") ? String(signature.dropFirst(2)) : signature), let parsed = try? EthereumSignature(bytes: bytes),
              let signer = try? parsed.recoverSigner(digest: PersonalMessage.hash(Array(message.utf8)))
        else { return false }
        return signer.checksummed == address
    }

    /// Whether `signature` (base64) is a valid Bitcoin message signature of `message` by `address`.
    static func isBitcoinSignature(_ signature: String, of message: String, by address: String,
                                   network: BitcoinNetwork = .main) -> Bool {
        guard let bytes = Data(base64Encoded: signature) else { return false }
        return BitcoinMessage.verify(signature: Array(bytes), message: Array(message.utf8), address: address, network: network)
    }

    /// The JSON document a tool printed after any prompt text (trezorctl prints the PIN matrix prompt first).
    static func json(_ run: VendorTool.Run) throws -> JSONValue {
        let text = run.output
        guard let start = text.firstIndex(where: { $0 == "{" || $0 == "[" || $0 == "\"" }) else {
            throw ToolFailure(run: run)
        }
        do {
            return try JSONValue(parsing: String(text[start...]).trimmingCharacters(in: .whitespacesAndNewlines))
        } catch {
            throw ToolFailure(run: run)
        }
    }

    struct ToolFailure: Error, CustomStringConvertible {
        let run: VendorTool.Run
        var description: String { "the tool printed no JSON document: \(run)" }
    }
}
