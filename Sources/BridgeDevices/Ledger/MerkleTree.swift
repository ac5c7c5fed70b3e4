import BridgeCrypto

/// The Merkle tree of the Ledger Bitcoin app 2.x, which commits to lists the device then reads piece by piece
/// (message chunks, wallet-policy keys).
///
/// Definition (LedgerHQ/app-bitcoin-new `doc/merkle.md`; client: `bitcoin_client/ledger_bitcoin/merkle.py`):
/// SHA-256 throughout; leaf = SHA256(0x00 ‖ element), node = SHA256(0x01 ‖ left ‖ right); a list of n > 1 leaves
/// splits into a left subtree of the largest power of two strictly less than n and a right subtree of the rest;
/// the empty list hashes to 32 zero bytes (unlike RFC 6962).
public struct MerkleTree: Sendable, Equatable {
    /// The hash of each leaf, in list order.
    public let leafHashes: [[UInt8]]
    /// The root hash: the commitment sent to the device.
    public let root: [UInt8]
    /// Every node, leaves first (node i is leaf i), with its parent: proofs walk up from a leaf.
    private let nodes: [Node]

    private struct Node: Sendable, Equatable {
        var hash: [UInt8]
        var parent: Int?
        var left: Int?
        var right: Int?
    }

    /// What the empty list hashes to (`doc/merkle.md`).
    public static let emptyRoot = [UInt8](repeating: 0, count: 32)

    /// SHA256(0x00 ‖ element): the leaf hash of one list element.
    public static func leafHash(_ element: [UInt8]) -> [UInt8] {
        Hash.sha256([0x00] + element)
    }

    /// SHA256(0x01 ‖ left ‖ right): an inner node.
    public static func nodeHash(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        Hash.sha256([0x01] + left + right)
    }

    /// The tree of `elements`, each hashed as a leaf.
    public init(elements: [[UInt8]]) {
        self.init(checkedLeafHashes: elements.map(Self.leafHash))
    }

    /// The tree over leaf hashes computed elsewhere; each must be 32 bytes.
    public init(leafHashes: [[UInt8]]) throws(DeviceError) {
        if let wrong = leafHashes.firstIndex(where: { $0.count != 32 }) {
            throw .badArgument("Merkle leaf \(wrong) is \(leafHashes[wrong].count) bytes; leaf hashes are 32")
        }
        self.init(checkedLeafHashes: leafHashes)
    }

    private init(checkedLeafHashes: [[UInt8]]) {
        var nodes = checkedLeafHashes.map { Node(hash: $0) }
        let top = checkedLeafHashes.isEmpty ? nil : Self.build(&nodes, begin: 0, count: checkedLeafHashes.count)
        self.leafHashes = checkedLeafHashes
        self.root = top.map { nodes[$0].hash } ?? Self.emptyRoot
        self.nodes = nodes
    }

    /// Builds the subtree over leaves `begin..<begin+count` (count >= 1) and returns its node index.
    private static func build(_ nodes: inout [Node], begin: Int, count: Int) -> Int {
        if count == 1 { return begin }
        let leftCount = largestPowerOfTwo(below: count)
        let left = build(&nodes, begin: begin, count: leftCount)
        let right = build(&nodes, begin: begin + leftCount, count: count - leftCount)
        nodes.append(Node(hash: nodeHash(nodes[left].hash, nodes[right].hash), parent: nil, left: left, right: right))
        let parent = nodes.count - 1
        nodes[left].parent = parent
        nodes[right].parent = parent
        return parent
    }

    /// The largest power of two strictly less than `n` (n >= 2): the size of the left subtree.
    static func largestPowerOfTwo(below n: Int) -> Int {
        var power = 1
        while power * 2 < n { power *= 2 }
        return power
    }

    /// How many leaves the tree has.
    public var count: Int { leafHashes.count }

    /// The proof of membership of leaf `index`: the sibling hashes from the leaf up to the root (bottom-up, as
    /// ledger-bitcoin `MerkleTree.prove_leaf` and ledgerjs `Merkle.getProof` give them); nil if there is no such leaf.
    public func proof(forLeafAt index: Int) -> [[UInt8]]? {
        guard leafHashes.indices.contains(index) else { return nil }
        var proof: [[UInt8]] = []
        var current = index
        while let parent = nodes[current].parent {
            let sibling = nodes[parent].left == current ? nodes[parent].right : nodes[parent].left
            guard let sibling else { return nil }
            proof.append(nodes[sibling].hash)
            current = parent
        }
        return proof
    }

    /// The position of the first leaf whose hash is `leafHash`, if any.
    public func index(ofLeafHash leafHash: [UInt8]) -> Int? {
        leafHashes.firstIndex(of: leafHash)
    }

    /// The root that `proof` (bottom-up siblings) yields for leaf `index` of a tree of `count` leaves, or nil when
    /// the proof has the wrong length for that position: what the device computes to check an answer.
    public static func root(fromLeafHash leafHash: [UInt8], index: Int, count: Int, proof: [[UInt8]]) -> [UInt8]? {
        guard index >= 0, index < count else { return nil }
        // Walk down from the root to find whether the leaf sits left or right at each level.
        var leafIsLeft: [Bool] = []
        var begin = 0
        var size = count
        while size > 1 {
            let leftCount = largestPowerOfTwo(below: size)
            if index < begin + leftCount {
                leafIsLeft.append(true)
                size = leftCount
            } else {
                leafIsLeft.append(false)
                begin += leftCount
                size -= leftCount
            }
        }
        guard proof.count == leafIsLeft.count, proof.allSatisfy({ $0.count == 32 }) else { return nil }
        var hash = leafHash
        for (sibling, isLeft) in zip(proof, leafIsLeft.reversed()) {
            hash = isLeft ? nodeHash(hash, sibling) : nodeHash(sibling, hash)
        }
        return hash
    }

    public static func == (lhs: MerkleTree, rhs: MerkleTree) -> Bool { lhs.leafHashes == rhs.leafHashes }
}
