import BridgeCrypto

/// A message signature, per coin: what the device signed and the address it verifies against.
public enum MessageSignatureResult: Sendable, Equatable {
    /// EIP-191 personal_sign: r || s || v (27/28) and the signer's address.
    case ethereum(signature: EthereumSignature, address: EthereumAddress)
    /// BIP-137: the 65 bytes exactly as the device returned them, and the address they verify against.
    case bitcoin(signature: [UInt8], address: String)
}
