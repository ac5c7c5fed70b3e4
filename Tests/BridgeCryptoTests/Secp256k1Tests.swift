import BridgeCore
import BridgeCrypto
import TestVectors
import Testing

@Suite("secp256k1 through libsecp256k1")
struct Secp256k1Tests {
    let vectors: JSONValue

    init() throws {
        vectors = try TestVectors.json("crypto/secp256k1.json")
    }

    @Test func signaturesAreRFC6979LowSByteForByte() throws {
        let cases = try vectors.array("valid")
        #expect(cases.count == 11)
        for vector in cases {
            let name = try vector.string("name")
            let key = try PrivateKey(try vector.hex("private_key"))
            let digest = try vector.hex("message_hash")
            #expect(key.publicKey.compressed == (try vector.hex("public_key_compressed")), "\(name)")
            #expect(key.publicKey.uncompressed == (try vector.hex("public_key_uncompressed")), "\(name)")

            let signature = try key.sign(digest: digest)
            #expect(signature.compact == (try vector.hex("compact_rs")), "\(name)")
            #expect(signature.r == (try vector.hex("r")), "\(name)")
            #expect(signature.s == (try vector.hex("s")), "\(name)")
            #expect(signature.der == (try vector.hex("der")), "\(name)")
            #expect(signature.isLowS)
            #expect(key.publicKey.isValidSignature(signature, digest: digest), "\(name)")

            let recoverable = try key.signRecoverable(digest: digest)
            #expect(recoverable.compact == signature.compact)
            #expect(recoverable.recoveryID == (try vector.int("recovery_id")), "\(name)")
            #expect(recoverable.signature == signature)
            #expect(try PublicKey.recover(from: recoverable, digest: digest) == key.publicKey, "\(name)")

            #expect(try ECDSASignature(der: signature.der) == signature)
            #expect(try PublicKey(serialized: key.publicKey.uncompressed) == key.publicKey)
        }
    }

    @Test func invalidSignaturesAreRejected() throws {
        let cases = try vectors.array("invalid_signatures")
        #expect(cases.count == 8)
        for vector in cases {
            let name = try vector.string("name")
            let key = try PublicKey(serialized: try vector.hex("public_key"))
            let digest = try vector.hex("message_hash")
            // Out-of-range r or s must fail to parse (never be reduced mod n); anything that parses must not verify.
            if let signature = try? ECDSASignature(compact: try vector.hex("compact_rs")) {
                #expect(!key.isValidSignature(signature, digest: digest), "\(name) verified")
            }
        }
    }

    @Test func outOfRangeScalarsFailToParse() throws {
        let byName = Dictionary(uniqueKeysWithValues: try vectors.array("invalid_signatures").map { (try $0.string("name"), $0) })
        for name in ["r_equals_n", "s_equals_n", "r_all_ff"] {
            let compact = try #require(byName[name]).hex("compact_rs")
            #expect(throws: CryptoError.self, "\(name)") { try ECDSASignature(compact: compact) }
        }
        let highS = try ECDSASignature(compact: try #require(byName["high_s"]).hex("compact_rs"))
        #expect(!highS.isLowS)
    }

    @Test func invalidPublicKeysAreRejected() throws {
        let cases = try vectors.array("invalid_public_keys")
        #expect(cases.count == 6)
        for vector in cases {
            let bytes = try vector.hex("public_key")
            let name = try vector.string("name")
            #expect(throws: CryptoError.self, "\(name)") { try PublicKey(serialized: bytes) }
        }
        // The hybrid form libsecp256k1 would accept (prefix 06/07) is refused by our prefix check.
        var hybrid = try PrivateKey(Hex.decode("01")!.leftPadded(to: 32)).publicKey.uncompressed
        hybrid[0] = 0x06
        #expect(throws: CryptoError.self) { try PublicKey(serialized: hybrid) }
    }

    @Test func invalidPrivateKeysAreRejected() throws {
        let cases = try vectors.array("invalid_private_keys")
        #expect(cases.count == 3)
        for vector in cases {
            let bytes = try vector.hex("private_key")
            let name = try vector.string("name")
            #expect(throws: CryptoError.invalidPrivateKey, "\(name)") { try PrivateKey(bytes) }
        }
        #expect(throws: CryptoError.invalidLength(what: "A private key", expected: "32", actual: 31)) {
            try PrivateKey([UInt8](repeating: 1, count: 31))
        }
    }

    @Test func recoveryIDOutOfRangeAndWrongIDs() throws {
        let cases = try vectors.array("recovery")
        let outOfRange = cases[0]
        #expect(throws: CryptoError.invalidRecoveryID(4)) {
            try RecoverableSignature(compact: try outOfRange.hex("compact_rs"), recoveryID: try outOfRange.int("recovery_id"))
        }
        let wrong = cases[1]
        let signature = try RecoverableSignature(compact: try wrong.hex("compact_rs"), recoveryID: try wrong.int("recovery_id"))
        let recovered = try PublicKey.recover(from: signature, digest: try wrong.hex("message_hash"))
        #expect(recovered.compressed == (try wrong.hex("recovers_to")))
        #expect(recovered.compressed != (try wrong.hex("expected_public_key")))
    }

    @Test func tweakAdditionMatchesOnBothSides() throws {
        let key = try PrivateKey(Hex.decode("0000000000000000000000000000000000000000000000000000000000000003")!)
        let tweak = Hex.decode("0000000000000000000000000000000000000000000000000000000000000004")!
        let sum = try key.adding(tweak: tweak)
        #expect(sum.bytes == Hex.decode("0000000000000000000000000000000000000000000000000000000000000007"))
        #expect(try key.publicKey.adding(tweak: tweak) == sum.publicKey)
        let n = Hex.decode("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")!
        #expect(throws: CryptoError.self) { try key.adding(tweak: n) }
        #expect(throws: CryptoError.self) { try key.publicKey.adding(tweak: n) }
    }

    @Test func digestsMustBe32Bytes() throws {
        let key = try PrivateKey(Hex.decode("01")!.leftPadded(to: 32))
        #expect(throws: CryptoError.invalidLength(what: "A digest", expected: "32", actual: 31)) {
            try key.sign(digest: [UInt8](repeating: 0, count: 31))
        }
        let signature = try key.sign(digest: [UInt8](repeating: 1, count: 32))
        #expect(!key.publicKey.isValidSignature(signature, digest: [UInt8](repeating: 1, count: 33)))
    }
}

extension Array where Element == UInt8 {
    func leftPadded(to length: Int) -> [UInt8] { [UInt8](repeating: 0, count: length - count) + self }
}
