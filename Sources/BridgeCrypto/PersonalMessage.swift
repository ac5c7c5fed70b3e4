/// EIP-191 version 0x45 messages (`personal_sign`, `eth_sign`): the prefix keeps a signed message from ever being a
/// valid transaction.
// ethereum/EIPs EIPS/eip-191.md, "Version 0x45 (E)": 0x19 <0x45 (E)> <thereum Signed Message:\n" + len(message)> <data>.
public enum PersonalMessage {
    private static let header = Array("\u{19}Ethereum Signed Message:\n".utf8)

    /// 0x19 "Ethereum Signed Message:\n", the message's byte length in decimal, then the message.
    public static func prefixed(_ message: [UInt8]) -> [UInt8] {
        // The length counts bytes, not characters: "Grüße" is 7, not 5.
        header + Array(String(message.count).utf8) + message
    }

    /// keccak256 of the prefixed message: the digest that gets signed.
    public static func hash(_ message: [UInt8]) -> [UInt8] {
        Keccak256.hash(prefixed(message))
    }

    /// Signs `message` as `personal_sign` does.
    public static func sign(_ message: [UInt8], with key: PrivateKey) throws(CryptoError) -> EthereumSignature {
        try EthereumSignature.sign(digest: hash(message), with: key)
    }

    /// The address that signed `message` with `signature`. Compare it with the expected signer: recovery alone
    /// proves nothing.
    public static func recoverSigner(message: [UInt8], signature: EthereumSignature) throws(CryptoError) -> EthereumAddress {
        try signature.recoverSigner(digest: hash(message))
    }
}
