import BridgeCrypto
import FoundationEssentials

/// SIGN_MESSAGE `E1 10 00 P2 Lc n | path | varint messageLength | merkleRoot(32)`: the message is cut into 64-byte
/// chunks and only the Merkle root of the chunks is sent; the device reads each chunk through
/// GET_MERKLE_LEAF_PROOF and GET_PREIMAGE, shows the message, and signs SHA-256d of the BIP-137 preimage
/// (app-bitcoin-new `doc/bitcoin.md`, `src/handler/sign_message.c`; `command_builder.py sign_message`;
/// ../shared/reference/ledger.md 5.3). A rejection answers 6985 to the CONTINUE that delivers the last chunk.
public struct LedgerBitcoinSignMessage: APDUOperation {
    /// Chunk size fixed by the protocol (`command_builder.py`: "split message in 64-byte chunks").
    public static let chunkSize = 64

    public let path: DerivationPath
    public let message: [UInt8]
    private var interaction: LedgerBitcoinInteraction

    public init(path: DerivationPath, message: [UInt8], protocolVersion: UInt8 = LedgerBitcoin.currentProtocolVersion)
        throws(DeviceError)
    {
        self.path = path
        self.message = message
        let chunks = Self.chunks(of: message)
        var clientCommands = LedgerBitcoinClientCommands()
        clientCommands.addKnownList(chunks)
        let data = try LedgerBitcoinInteraction.encodedPath(path) + LedgerBitcoinVarint.encode(message.count)
            + MerkleTree(elements: chunks).root
        interaction = try LedgerBitcoinInteraction(
            .signMessage, data: data, protocolVersion: protocolVersion, clientCommands: clientCommands)
    }

    /// `message` in 64-byte chunks, the last one shorter; none for the empty message.
    public static func chunks(of message: [UInt8]) -> [[UInt8]] {
        stride(from: 0, to: message.count, by: chunkSize).map { Array(message[$0..<min($0 + chunkSize, message.count)]) }
    }

    /// How status words are reported (set `openApp` when B0 01 told it).
    public var statusContext: LedgerStatusWord.Context {
        get { interaction.statusContext }
        set { interaction.statusContext = newValue }
    }

    public func start() throws(DeviceError) -> APDUCommand { interaction.command }

    public mutating func handle(_ response: APDUResponse) throws(DeviceError) -> APDUStep<LedgerBitcoinMessageSignature> {
        switch try interaction.handle(response) {
        case .send(let next): .send(next)
        case .finished(let data): .finished(try LedgerBitcoinMessageSignature(bytes: data))
        }
    }
}

/// A message signature as the Bitcoin app returns it: `header(1) | r(32) | s(32)`, header = 27 + 4 + recovery id
/// (compressed key; app-bitcoin-new `src/handler/sign_message.c`). The bytes are kept exactly as received.
public struct LedgerBitcoinMessageSignature: Sendable, Equatable {
    /// The 65 bytes header ‖ r ‖ s.
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) throws(DeviceError) {
        guard bytes.count == 65 else {
            throw .protocolError("the Bitcoin app's message signature is \(bytes.count) bytes, not 65")
        }
        self.bytes = bytes
    }

    public var header: UInt8 { bytes[0] }
    public var r: [UInt8] { Array(bytes[1..<33]) }
    public var s: [UInt8] { Array(bytes[33..<65]) }
    /// The recovery id the header encodes (BIP-137: (header - 27) mod 4).
    public var recoveryID: Int { Int(header &- 27) % 4 }
    /// The Base64 text wallets show and verify (`client.py sign_message` returns `base64.b64encode(response)`).
    public var base64: String { Data(bytes).base64EncodedString() }
}
