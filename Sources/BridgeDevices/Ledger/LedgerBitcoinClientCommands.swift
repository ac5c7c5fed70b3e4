import BridgeCore
import BridgeCrypto

/// The host's side of the Ledger Bitcoin app 2.x "client commands": while executing a command, the device stops
/// with SW E000 and asks the host for data it committed to by hash (preimages, Merkle-tree leaves and proofs).
/// This interpreter answers from what the host registered, exactly as the official clients do
/// (LedgerHQ/app-bitcoin-new `bitcoin_client/ledger_bitcoin/client_command.py`, ledgerjs hw-app-btc
/// `newops/clientCommands.ts`; protocol in `doc/bitcoin.md` "Client commands").
///
/// Each answer depends only on the request and the registered data, so a repeated request gets the same bytes; the
/// only state is the queue of elements that did not fit in an earlier answer, which GET_MORE_ELEMENTS drains.
public struct LedgerBitcoinClientCommands: Sendable {
    /// Client command codes, `data[0]` of an E000 response (`client_command.py ClientCommandCode`).
    public enum Code: UInt8, Sendable, CaseIterable {
        case yield = 0x10
        case getPreimage = 0x40
        case getMerkleLeafProof = 0x41
        case getMerkleLeafIndex = 0x42
        case getMoreElements = 0xA0
    }

    /// An answer travels as the body of one short APDU.
    public static let maximumResponseLength = 255
    /// Proof hashes that fit in a GET_MERKLE_LEAF_PROOF answer next to the 32-byte leaf hash and the two count
    /// bytes: (255 - 32 - 1 - 1) / 32 = 6 (`client_command.py`).
    static let proofHashesPerResponse = (maximumResponseLength - 32 - 1 - 1) / 32
    /// Payload bytes of a GET_MORE_ELEMENTS answer after its two header bytes (`client_command.py`: 253).
    static let moreElementsPayload = maximumResponseLength - 2

    private var preimages: [[UInt8]: [UInt8]] = [:]
    private var trees: [[UInt8]: MerkleTree] = [:]
    private var queue: [[UInt8]] = []
    /// The payloads of YIELD commands, in order (SIGN_PSBT uses them; the commands here do not).
    public private(set) var yielded: [[UInt8]] = []

    public init() {}

    /// Lets the device ask for `preimage` by its SHA-256.
    public mutating func addKnownPreimage(_ preimage: [UInt8]) {
        preimages[Hash.sha256(preimage)] = preimage
    }

    /// Lets the device walk the list `elements`: its ``MerkleTree`` (by root) and each leaf's preimage 0x00 ‖ element
    /// (`client_command.py add_known_list`).
    public mutating func addKnownList(_ elements: [[UInt8]]) {
        for element in elements { addKnownPreimage([0x00] + element) }
        let tree = MerkleTree(elements: elements)
        trees[tree.root] = tree
    }

    /// How many queued elements await GET_MORE_ELEMENTS.
    public var queuedElementCount: Int { queue.count }

    /// The answer to one client command (`request` = the E000 response data, code first), at most 255 bytes.
    /// A request the official clients would refuse, or for data the host never registered, is a protocol error.
    public mutating func respond(to request: [UInt8]) throws(DeviceError) -> [UInt8] {
        guard let first = request.first else {
            throw .protocolError("the Bitcoin app interrupted (status E000) without naming a client command")
        }
        guard let code = Code(rawValue: first) else {
            throw .protocolError("the Bitcoin app sent the unknown client command 0x\(Hex.encode([first]))")
        }
        var body = request.dropFirst()
        switch code {
        case .yield:
            yielded.append(Array(body))
            return []
        case .getPreimage:
            return try preimage(&body)
        case .getMerkleLeafProof:
            return try merkleLeafProof(&body)
        case .getMerkleLeafIndex:
            return try merkleLeafIndex(&body)
        case .getMoreElements:
            return try moreElements(body)
        }
    }

    /// GET_PREIMAGE `00 | hash(32)` -> `varint(length) | n(1) | first n bytes`; the rest is queued byte by byte.
    private mutating func preimage(_ body: inout ArraySlice<UInt8>) throws(DeviceError) -> [UInt8] {
        guard body.first == 0x00 else {
            throw .protocolError("GET_PREIMAGE request does not start with 00: \(Hex.encode(body))")
        }
        body = body.dropFirst()
        let hash = try Self.take(32, from: &body, in: "GET_PREIMAGE")
        try Self.requireEnd(body, in: "GET_PREIMAGE")
        guard let preimage = preimages[hash] else {
            throw .protocolError("the Bitcoin app asked for the preimage of the unknown hash \(Hex.encode(hash))")
        }
        let length = LedgerBitcoinVarint.encode(preimage.count)
        let payload = min(Self.maximumResponseLength - length.count - 1, preimage.count)
        queue += preimage[payload...].map { [$0] }
        return length + [UInt8(payload)] + preimage[..<payload]
    }

    /// GET_MERKLE_LEAF_PROOF `root(32) | varint size | varint index` -> `leafHash(32) | proofLength(1) | n(1) |
    /// n proof hashes`; the hashes past 6 are queued.
    private mutating func merkleLeafProof(_ body: inout ArraySlice<UInt8>) throws(DeviceError) -> [UInt8] {
        let root = try Self.take(32, from: &body, in: "GET_MERKLE_LEAF_PROOF")
        guard let size = LedgerBitcoinVarint.decode(&body), let index = LedgerBitcoinVarint.decode(&body) else {
            throw .protocolError("GET_MERKLE_LEAF_PROOF request ends before its size and index")
        }
        try Self.requireEnd(body, in: "GET_MERKLE_LEAF_PROOF")
        let tree = try self.tree(root)
        guard index < size, size == UInt64(tree.count), let proof = tree.proof(forLeafAt: Int(index)) else {
            throw .protocolError(
                "GET_MERKLE_LEAF_PROOF asks for leaf \(index) of \(size) in the tree \(Hex.encode(root)) of \(tree.count) leaves")
        }
        // ledger-bitcoin refuses to mix two answers' leftovers in the queue.
        guard queue.isEmpty else {
            throw .protocolError("GET_MERKLE_LEAF_PROOF arrived while \(queue.count) queued elements were not fetched")
        }
        let sent = min(Self.proofHashesPerResponse, proof.count)
        queue += proof[sent...]
        return tree.leafHashes[Int(index)] + [UInt8(proof.count), UInt8(sent)] + proof[..<sent].joined()
    }

    /// GET_MERKLE_LEAF_INDEX `root(32) | leafHash(32)` -> `found(1) | varint index` (index 0 when not found).
    private func merkleLeafIndex(_ body: inout ArraySlice<UInt8>) throws(DeviceError) -> [UInt8] {
        let root = try Self.take(32, from: &body, in: "GET_MERKLE_LEAF_INDEX")
        let leafHash = try Self.take(32, from: &body, in: "GET_MERKLE_LEAF_INDEX")
        try Self.requireEnd(body, in: "GET_MERKLE_LEAF_INDEX")
        if let index = try tree(root).index(ofLeafHash: leafHash) {
            return [0x01] + LedgerBitcoinVarint.encode(index)
        }
        return [0x00] + LedgerBitcoinVarint.encode(0)
    }

    /// GET_MORE_ELEMENTS (no body) -> `count(1) | elementSize(1) | elements`, as many as fit in 253 bytes.
    private mutating func moreElements(_ body: ArraySlice<UInt8>) throws(DeviceError) -> [UInt8] {
        try Self.requireEnd(body, in: "GET_MORE_ELEMENTS")
        guard let elementSize = queue.first?.count, elementSize > 0 else {
            throw .protocolError("GET_MORE_ELEMENTS arrived with no queued elements")
        }
        guard queue.allSatisfy({ $0.count == elementSize }) else {
            throw .protocolError("GET_MORE_ELEMENTS: the queued elements differ in size")
        }
        let count = min(Self.moreElementsPayload / elementSize, queue.count)
        let sent = queue[..<count].joined()
        queue.removeFirst(count)
        return [UInt8(count), UInt8(elementSize)] + sent
    }

    private func tree(_ root: [UInt8]) throws(DeviceError) -> MerkleTree {
        guard let tree = trees[root] else {
            throw .protocolError("the Bitcoin app asked about the unknown Merkle root \(Hex.encode(root))")
        }
        return tree
    }

    private static func take(_ count: Int, from body: inout ArraySlice<UInt8>, in command: String) throws(DeviceError) -> [UInt8] {
        guard body.count >= count else {
            throw .protocolError("\(command) request ends before its \(count)-byte field")
        }
        defer { body = body.dropFirst(count) }
        return Array(body.prefix(count))
    }

    private static func requireEnd(_ body: ArraySlice<UInt8>, in command: String) throws(DeviceError) {
        guard body.isEmpty else {
            throw .protocolError("\(command) request has \(body.count) unexpected trailing bytes")
        }
    }
}
