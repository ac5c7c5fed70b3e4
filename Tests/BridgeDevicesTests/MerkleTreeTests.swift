import BridgeCore
import BridgeCrypto
import BridgeDevices
import Testing
import TestVectors

@Suite("app-bitcoin-new Merkle tree (doc/merkle.md)")
struct MerkleTreeTests {
    static func leaf(_ i: Int) -> [UInt8] { Array("element \(i)".utf8) }

    @Test func singleChunkRootIsItsLeafHash() throws {
        // btc_new_sign_message_test_*: the root of the one chunk "test" is sha256(00 || "test").
        let tree = MerkleTree(elements: [Array("test".utf8)])
        #expect(Hex.encode(tree.root) == "dbebd10e61bc8c28591273feafbbef95d544f874693301d8f7f8e54c6e30058e")
        #expect(tree.root == Hash.sha256([0x00] + Array("test".utf8)))
        #expect(tree.proof(forLeafAt: 0) == [])
        #expect(tree.proof(forLeafAt: 1) == nil)
    }

    @Test func rootsFromTheRecordedTranscripts() throws {
        let recorded = try TestVectors.json("ledger/recorded_btc_app_2_4_6.json").arrayValue ?? []
        let signing = try #require(recorded.first { $0["name"]?.stringValue == "btc_sign_message_hello_world_m84h_0h_0h_0_0_approved" })
        let message = try #require(signing["input"]).hex("message_hex")
        #expect(MerkleTree(elements: LedgerBitcoinSignMessage.chunks(of: message)).root
            == (try #require(signing["expected"]).hex("message_chunks_merkle_root")))

        // The v2 policy's last 32 bytes are the root of its one-key list.
        let address = try #require(recorded.first { $0["name"]?.stringValue == "btc_get_wallet_address_wpkh_default_index0" })
        let policy = try #require(address["input"]?["wallet_policy"])
        let key = try #require(try policy.array("keys_info").first?.stringValue)
        let serialized = try #require(address["expected"]).hex("wallet_policy_serialized")
        #expect(MerkleTree(elements: [Array(key.utf8)]).root == Array(serialized.suffix(32)))
    }

    @Test func emptyListHashesToZeros() {
        let tree = MerkleTree(elements: [])
        #expect(tree.root == [UInt8](repeating: 0, count: 32))
        #expect(tree.count == 0)
        #expect(tree.proof(forLeafAt: 0) == nil)
        #expect(LedgerBitcoinSignMessage.chunks(of: []).isEmpty)
    }

    @Test func oddCountsSplitAtTheLargestPowerOfTwoBelow() throws {
        let l = (0..<7).map { MerkleTree.leafHash(Self.leaf($0)) }
        func node(_ a: [UInt8], _ b: [UInt8]) -> [UInt8] { Hash.sha256([0x01] + a + b) }
        #expect(l[0] == Hash.sha256([0x00] + Self.leaf(0)))
        // n = 2: one node; n = 3: (0 1) 2; n = 5: ((0 1)(2 3)) 4; n = 7: ((0 1)(2 3)) ((4 5) 6).
        #expect(MerkleTree(elements: (0..<2).map(Self.leaf)).root == node(l[0], l[1]))
        #expect(MerkleTree(elements: (0..<3).map(Self.leaf)).root == node(node(l[0], l[1]), l[2]))
        let four = node(node(l[0], l[1]), node(l[2], l[3]))
        #expect(MerkleTree(elements: (0..<5).map(Self.leaf)).root == node(four, l[4]))
        #expect(MerkleTree(elements: (0..<7).map(Self.leaf)).root == node(four, node(node(l[4], l[5]), l[6])))

        // Proofs are the siblings bottom-up.
        let three = MerkleTree(elements: (0..<3).map(Self.leaf))
        #expect(three.proof(forLeafAt: 0) == [l[1], l[2]])
        #expect(three.proof(forLeafAt: 2) == [node(l[0], l[1])])
        let seven = MerkleTree(elements: (0..<7).map(Self.leaf))
        #expect(seven.proof(forLeafAt: 5) == [l[4], l[6], four])
        #expect(seven.proof(forLeafAt: 6) == [node(l[4], l[5]), four])
    }

    @Test(arguments: 1...20)
    func everyProofVerifies(count: Int) throws {
        let tree = MerkleTree(elements: (0..<count).map(Self.leaf))
        #expect(try MerkleTree(leafHashes: tree.leafHashes) == tree)
        for index in 0..<count {
            let proof = try #require(tree.proof(forLeafAt: index))
            let leafHash = tree.leafHashes[index]
            #expect(MerkleTree.root(fromLeafHash: leafHash, index: index, count: count, proof: proof) == tree.root)
            #expect(tree.index(ofLeafHash: leafHash) == index)
            // A proof for another position, or a tampered one, does not give the root.
            if count > 1 {
                let other = (index + 1) % count
                #expect(MerkleTree.root(fromLeafHash: leafHash, index: other, count: count, proof: proof) != tree.root)
                var tampered = proof
                tampered[0][0] ^= 1
                #expect(MerkleTree.root(fromLeafHash: leafHash, index: index, count: count, proof: tampered) != tree.root)
            }
        }
        #expect(tree.index(ofLeafHash: MerkleTree.leafHash(Self.leaf(count))) == nil)
    }

    @Test func leafHashesMustBe32Bytes() {
        #expect(throws: DeviceError.self) { try MerkleTree(leafHashes: [[0x01]]) }
    }
}
