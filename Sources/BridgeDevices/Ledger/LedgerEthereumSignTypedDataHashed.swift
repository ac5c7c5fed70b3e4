import BridgeCrypto

/// SIGN EIP-712 in hashed ("v0") mode (`E0 0C 00 00 Lc path | domainSeparator(32) | hashStruct(message)(32)`): the
/// device shows only the two hashes and signs keccak256(0x1901 || domain || message).
///
/// Needs the app's "Blind signing" setting: without it the app answers 6A80 at once, mapped to
/// ``DeviceError/settingsRefuse(message:hint:)`` with the hashed-mode hint. App >= 1.5.0 (app-ethereum
/// `doc/ethapp.adoc`; `src/features/sign_message_eip712_v0/cmd_sign_message_eip712.c`; ledgerjs
/// `signEIP712HashedMessage`; ../shared/reference/ledger.md section 4.5).
public struct LedgerEthereumSignTypedDataHashed: APDUOperation {
    public typealias Output = EthereumSignature

    public let path: DerivationPath
    public let domainHash: [UInt8]
    public let messageHash: [UInt8]
    public var context: LedgerStatusWord.Context

    /// `context` gets `typedDataMode = .hashed` whatever is passed, so 6A80 names the "Blind signing" setting.
    public init(path: DerivationPath, domainHash: [UInt8], messageHash: [UInt8],
                context: LedgerStatusWord.Context = LedgerEthereum.context) {
        self.path = path
        self.domainHash = domainHash
        self.messageHash = messageHash
        self.context = context
        self.context.typedDataMode = .hashed
    }

    public mutating func start() throws(DeviceError) -> APDUCommand {
        guard domainHash.count == 32 else { throw .badArgument("The EIP-712 domain hash is \(domainHash.count) bytes; expected 32") }
        guard messageHash.count == 32 else {
            throw .badArgument("The EIP-712 message hash is \(messageHash.count) bytes; expected 32")
        }
        return try APDUCommand(cla: LedgerEthereum.cla, ins: LedgerEthereum.insSignEIP712, p1: 0x00, p2: 0x00,
                               data: try path.ledgerEncoded() + domainHash + messageHash)
    }

    public mutating func handle(_ response: APDUResponse) throws(DeviceError) -> APDUStep<EthereumSignature> {
        .finished(try LedgerEthereum.signature(from: try response.requireOK(context), "SIGN EIP-712 (hashed) reply"))
    }
}
