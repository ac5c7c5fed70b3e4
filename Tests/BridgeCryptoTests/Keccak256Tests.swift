import BridgeCore
import BridgeCrypto
import TestVectors
import Testing

@Suite("Keccak-256 (nettle permutation, Ethereum padding)")
struct Keccak256Tests {
    @Test func everyVector() throws {
        let vectors = try TestVectors.json("crypto/keccak256.json")
        let cases = try vectors.array("cases")
        #expect(cases.count == 8)
        for vector in cases {
            let input = try vector.hex("input_hex")
            #expect(input.count == (try vector.int("input_length")))
            let name = try vector.string("name")
            #expect(Hex.encode(Keccak256.hash(input)) == (try vector.string("keccak256")), "\(name)")
        }
    }

    @Test func differsFromSHA3() throws {
        let vectors = try TestVectors.json("crypto/keccak256.json")
        for contrast in try #require(vectors["sha3_256_contrast"]).array("cases") {
            #expect(Hex.encode(Keccak256.hash(try contrast.hex("input_hex"))) != (try contrast.string("sha3_256")))
        }
    }

    @Test func incrementalUpdatesMatchOneShotAtEverySplit() throws {
        // 300 bytes crosses two rate boundaries (136 and 272); every split point must give the same digest.
        let input = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let expected = Keccak256.hash(input)
        for split in stride(from: 0, through: input.count, by: 1) {
            var hasher = Keccak256()
            hasher.update(Array(input[..<split]))
            hasher.update(Array(input[split...]))
            #expect(hasher.finalize() == expected, "split at \(split)")
        }
        var byteByByte = Keccak256()
        for byte in input { byteByByte.update([byte]) }
        #expect(byteByByte.finalize() == expected)
    }
}
