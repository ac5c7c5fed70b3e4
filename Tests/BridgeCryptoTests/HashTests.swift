import BridgeCore
import BridgeCrypto
import Testing

/// Known answers from the standards: FIPS 180-4 "abc" examples, RFC 4231 test case 1, the RIPEMD-160 paper's "abc",
/// and the PBKDF2-HMAC-SHA512 value in ../shared/reference/build-notes.md section 1.
@Suite("libcrypto hashes, HMAC and PBKDF2")
struct HashTests {
    let abc = Array("abc".utf8)

    @Test func sha256() {
        #expect(Hex.encode(Hash.sha256(abc)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Hex.encode(Hash.sha256([UInt8]())) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func sha512AndSHA1() {
        #expect(Hex.encode(Hash.sha512(abc)) == "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f")
        #expect(Hex.encode(Hash.sha1(abc)) == "a9993e364706816aba3e25717850c26c9cd0d89d")
    }

    @Test func ripemd160AndHash160() {
        #expect(Hex.encode(Hash.ripemd160(abc)) == "8eb208f7e05d987a9b044a8e98c6b087f15a0bfc")
        // HASH160 of the compressed generator point: the payload of 1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH (base58check.json).
        let generator = Hex.decode("0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798")!
        #expect(Hex.encode(Hash.hash160(generator)) == "751e76e8199196d454941c45d1b3a323f1433bd6")
    }

    @Test func doubleSHA256() {
        #expect(Hash.doubleSHA256(abc) == Hash.sha256(Hash.sha256(abc)))
        #expect(Hex.encode(Hash.doubleSHA256(abc)) == "4f8b42c22dd3729b519ba6f68d2da7cc5b2d606d05daed5ad5128cc03e6c6358")
    }

    @Test func hmacRFC4231Case1() {
        let key = [UInt8](repeating: 0x0B, count: 20)
        let data = Array("Hi There".utf8)
        #expect(Hex.encode(Hash.hmacSHA256(key: key, data: data)) == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        #expect(Hex.encode(Hash.hmacSHA512(key: key, data: data)) == "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854")
    }

    @Test func hmacWithEmptyKeyAndData() {
        // RFC 2104 with a zero-length key: the key block is all zeros. Value from Python's hmac module.
        #expect(Hex.encode(Hash.hmacSHA256(key: [UInt8](), data: [UInt8]())) == "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad")
    }

    @Test func pbkdf2SHA512() {
        let out = Hash.pbkdf2SHA512(password: Array("password".utf8), salt: Array("salt".utf8), iterations: 1, length: 64)
        #expect(Hex.encode(out) == "867f70cf1ade02cff3752599a3a53dc4af34c7a669815ae5d513554e1c8cf252c02d470a285a0501bad999bfe943c08f050235d7d68b1da55e63f73b60a57fce")
    }

    @Test func constantTimeEqual() {
        #expect(SecureBytes.constantTimeEqual([1, 2, 3] as [UInt8], [1, 2, 3] as [UInt8]))
        #expect(!SecureBytes.constantTimeEqual([1, 2, 3] as [UInt8], [1, 2, 4] as [UInt8]))
        #expect(!SecureBytes.constantTimeEqual([1, 2, 3] as [UInt8], [1, 2] as [UInt8]))
        #expect(SecureBytes.constantTimeEqual([UInt8](), [UInt8]()))
    }

    @Test func matchesSecretOnlyOnTheSameBytes() {
        let secret = Array("k3y-0f-f0ur-w0rds".utf8)
        #expect(SecureBytes.matchesSecret("k3y-0f-f0ur-w0rds", secret))
        #expect(!SecureBytes.matchesSecret("k3y-0f-f0ur-w0rdS", secret))  // the last byte differs
        #expect(!SecureBytes.matchesSecret("K3y-0f-f0ur-w0rds", secret))  // the first byte differs
        #expect(!SecureBytes.matchesSecret("k3y-0f-f0ur", secret))  // a prefix
        #expect(!SecureBytes.matchesSecret("", secret))
        // The secret read again from its start past its end: a repetition of it is still refused, by length.
        #expect(!SecureBytes.matchesSecret("k3y-0f-f0ur-w0rdsk3y-0f-f0ur-w0rds", secret))
        #expect(!SecureBytes.matchesSecret("k3y-0f-f0ur-w0rds\u{0}", secret))
        #expect(SecureBytes.matchesSecret("", []))
        #expect(!SecureBytes.matchesSecret("a", []))
        #expect(SecureBytes.matchesSecret("é", Array("é".utf8)))
    }

    @Test func randomBytesDiffer() throws {
        let a = try SecureBytes.random(count: 32)
        let b = try SecureBytes.random(count: 32)
        #expect(a.count == 32)
        #expect(a != b)
        #expect(try SecureBytes.random(count: 0).isEmpty)
    }
}
