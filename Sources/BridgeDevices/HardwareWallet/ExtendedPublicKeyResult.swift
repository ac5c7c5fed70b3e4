import BridgeCrypto

/// An extended public key the device exported, serialized and as its parts.
public struct ExtendedPublicKeyResult: Sendable, Equatable {
    /// BIP-32 serialization with the network's public version (xpub / tpub).
    public let xpub: String
    public let publicKey: PublicKey
    public let chainCode: [UInt8]
    /// The master key's fingerprint, as HWI prints it.
    public let masterFingerprint: UInt32

    public init(xpub: String, publicKey: PublicKey, chainCode: [UInt8], masterFingerprint: UInt32) {
        self.xpub = xpub
        self.publicKey = publicKey
        self.chainCode = chainCode
        self.masterFingerprint = masterFingerprint
    }
}
