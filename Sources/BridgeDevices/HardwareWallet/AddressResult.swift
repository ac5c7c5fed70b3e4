import BridgeCrypto

/// An address the device derived, with the public key (and chain code, where the device gives one) behind it.
public struct AddressResult: Sendable, Equatable {
    /// EIP-55 for Ethereum; Base58Check or Bech32 for Bitcoin.
    public let address: String
    public let path: DerivationPath
    public let publicKey: PublicKey
    public let chainCode: [UInt8]?

    public init(address: String, path: DerivationPath, publicKey: PublicKey, chainCode: [UInt8]? = nil) {
        self.address = address
        self.path = path
        self.publicKey = publicKey
        self.chainCode = chainCode
    }
}
