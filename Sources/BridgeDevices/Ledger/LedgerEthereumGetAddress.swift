import BridgeCore
import BridgeCrypto

/// An Ethereum account as the Ledger app returns it.
public struct LedgerEthereumAddress: Sendable, Equatable {
    /// The uncompressed secp256k1 public key at the path.
    public let publicKey: PublicKey
    /// The address of `publicKey` (checked against the text the device sent).
    public let address: EthereumAddress
    /// The BIP-32 chain code at the path, when it was asked for.
    public let chainCode: [UInt8]?

    public init(publicKey: PublicKey, address: EthereumAddress, chainCode: [UInt8]?) {
        self.publicKey = publicKey
        self.address = address
        self.chainCode = chainCode
    }
}

/// GET ETH PUBLIC ADDRESS (`E0 02 P1 P2 Lc path [chainId(8, BE)]`).
///
/// P1 `01` shows the address and waits for the user to confirm (6985 when they cancel); P2 `01` also returns the chain
/// code. The optional chain id only changes how the address is shown. Reply: `41 | 65-byte uncompressed key | 28 |
/// 40 ASCII hex digits (no 0x) | [32-byte chain code]` (app-ethereum `src/features/get_public_key/cmd_get_public_key.c`,
/// `set_result_get_publicKey`; ../shared/reference/ledger.md section 4.1).
public struct LedgerEthereumGetAddress: APDUOperation {
    public typealias Output = LedgerEthereumAddress

    public let path: DerivationPath
    public let display: Bool
    public let returnChainCode: Bool
    public let chainID: UInt64?
    public var context: LedgerStatusWord.Context

    public init(path: DerivationPath, display: Bool = false, returnChainCode: Bool = false, chainID: UInt64? = nil,
                context: LedgerStatusWord.Context = LedgerEthereum.context) {
        self.path = path
        self.display = display
        self.returnChainCode = returnChainCode
        self.chainID = chainID
        self.context = context
    }

    public mutating func start() throws(DeviceError) -> APDUCommand {
        var data = try path.ledgerEncoded()
        if let chainID {
            data += withUnsafeBytes(of: chainID.bigEndian, Array.init)
        }
        return try APDUCommand(cla: LedgerEthereum.cla, ins: LedgerEthereum.insGetPublicAddress, p1: display ? 0x01 : 0x00,
                               p2: returnChainCode ? 0x01 : 0x00, data: data)
    }

    public mutating func handle(_ response: APDUResponse) throws(DeviceError) -> APDUStep<LedgerEthereumAddress> {
        .finished(try decode(try response.requireOK(context)))
    }

    /// Decodes the reply data (without the status word).
    func decode(_ data: [UInt8]) throws(DeviceError) -> LedgerEthereumAddress {
        var reader = LedgerReplyReader(data, what: "GET ETH PUBLIC ADDRESS reply")
        let keyLength = try reader.byte("public key length")
        guard keyLength == 65 else {
            throw .protocolError("GET ETH PUBLIC ADDRESS reply gives a public key of \(keyLength) bytes; expected 65 (uncompressed)")
        }
        let keyBytes = try reader.bytes(65, "public key")
        guard keyBytes[0] == 0x04 else {
            throw .protocolError("GET ETH PUBLIC ADDRESS reply has a public key starting with \(Hex.encode(keyBytes.prefix(1))), not 04")
        }
        let publicKey: PublicKey
        do {
            publicKey = try PublicKey(serialized: keyBytes)
        } catch {
            throw .protocolError("GET ETH PUBLIC ADDRESS reply has an invalid public key: \(error.message)")
        }
        let addressLength = try reader.byte("address length")
        guard addressLength == 40 else {
            throw .protocolError("GET ETH PUBLIC ADDRESS reply gives an address of \(addressLength) characters; expected 40 hex digits")
        }
        let addressText = try reader.text(length: 40, "address")
        let chainCode = returnChainCode ? try reader.bytes(32, "chain code") : nil
        try reader.expectEnd()

        // The device prints EIP-55 (or EIP-1191 for RSK chain ids), so only the digits are compared, not their case.
        let address = EthereumAddress(publicKey: publicKey)
        guard let sentBytes = Hex.decode(addressText), sentBytes == address.bytes else {
            throw .protocolError(
                "GET ETH PUBLIC ADDRESS reply says address 0x\(addressText), but its public key gives \(address.checksummed)")
        }
        return LedgerEthereumAddress(publicKey: publicKey, address: address, chainCode: chainCode)
    }
}
