import BridgeCrypto

/// SIGN ETH PERSONAL MESSAGE (`E0 08 P1 00`): EIP-191 personal_sign of `message` with the key at `path`.
///
/// The first APDU (P1 `00`) carries `path | message length (4, BE) | the first message bytes`, the next ones (P1 `80`)
/// more message bytes; every APDU body is at most 150 bytes, as ledgerjs hw-app-eth `signPersonalMessage` cuts them.
/// Intermediate chunks answer a bare 9000; the last one answers `v | r | s` once the user approves (6985 if they
/// reject). app-ethereum `src/features/sign_message/cmd_sign_message.c`; ../shared/reference/ledger.md section 4.4.
public struct LedgerEthereumSignPersonalMessage: APDUOperation {
    public typealias Output = EthereumSignature

    public let path: DerivationPath
    public let message: [UInt8]
    public var context: LedgerStatusWord.Context

    /// The APDU bodies, built by `start()`, and how many have been sent.
    private var chunks: [[UInt8]] = []
    private var sent = 0

    public init(path: DerivationPath, message: [UInt8], context: LedgerStatusWord.Context = LedgerEthereum.context) {
        self.path = path
        self.message = message
        self.context = context
    }

    public mutating func start() throws(DeviceError) -> APDUCommand {
        guard let length = UInt32(exactly: message.count) else {
            throw .badArgument("The message is \(message.count) bytes; the Ledger Ethereum app takes at most 2^32 - 1")
        }
        let header = try path.ledgerEncoded() + withUnsafeBytes(of: length.bigEndian, Array.init)
        let firstCount = min(message.count, LedgerEthereum.chunkSize - header.count)
        var chunks = [header + message[..<firstCount]]
        var offset = firstCount
        while offset < message.count {
            let end = min(offset + LedgerEthereum.chunkSize, message.count)
            chunks.append(Array(message[offset..<end]))
            offset = end
        }
        self.chunks = chunks
        sent = 0
        return try nextCommand()
    }

    public mutating func handle(_ response: APDUResponse) throws(DeviceError) -> APDUStep<EthereumSignature> {
        guard sent > 0 else { throw .protocolError("SIGN PERSONAL MESSAGE got a reply before its first command") }
        guard sent == chunks.count else {
            try LedgerEthereum.expectAcknowledgement(response, context: context, "SIGN PERSONAL MESSAGE reply to chunk \(sent)")
            return .send(try nextCommand())
        }
        return .finished(try LedgerEthereum.signature(from: try response.requireOK(context), "SIGN PERSONAL MESSAGE reply"))
    }

    private mutating func nextCommand() throws(DeviceError) -> APDUCommand {
        let command = try APDUCommand(cla: LedgerEthereum.cla, ins: LedgerEthereum.insSignPersonalMessage,
                                      p1: sent == 0 ? 0x00 : 0x80, data: chunks[sent])
        sent += 1
        return command
    }
}
