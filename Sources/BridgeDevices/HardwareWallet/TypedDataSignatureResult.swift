import BridgeCrypto

/// An EIP-712 signature with the hashes the device signed, so the caller can check them against its own.
public struct TypedDataSignatureResult: Sendable, Equatable {
    public let signature: EthereumSignature
    public let address: EthereumAddress
    public let domainHash: [UInt8]
    public let messageHash: [UInt8]?
    public let digest: [UInt8]

    public init(signature: EthereumSignature, address: EthereumAddress, domainHash: [UInt8], messageHash: [UInt8]?, digest: [UInt8]) {
        self.signature = signature
        self.address = address
        self.domainHash = domainHash
        self.messageHash = messageHash
        self.digest = digest
    }
}
