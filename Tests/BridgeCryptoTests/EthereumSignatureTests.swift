import BridgeCore
import BridgeCrypto
import Testing
import TestVectors

@Suite("Ethereum r || s || v signatures")
struct EthereumSignatureTests {
    /// The mail case of eip712.json: a known digest, key and signature.
    struct Known {
        let digest: [UInt8]
        let key: PrivateKey
        let address: String
        let r: [UInt8]
        let s: [UInt8]
        let v: Int
        let rsv: [UInt8]

        init() throws {
            let cases = try TestVectors.json("crypto/eip712.json").array("cases")
            let mail = try #require(cases.first { $0["name"]?.stringValue == "mail" })
            let signature = try #require(mail["signature"])
            digest = try mail.hex("digest")
            key = try PrivateKey(try mail.hex("signer_private_key"))
            address = try mail.string("signer_address")
            r = try signature.hex("r")
            s = try signature.hex("s")
            v = try signature.int("v")
            rsv = try signature.hex("rsv")
        }
    }

    /// secp256k1 group order n (SEC 2 v2, section 2.4.1).
    static let curveOrder = Hex.decode("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141")!

    /// n - s, big-endian, for building the high-S twin of a signature.
    static func negate(_ s: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var borrow = 0
        for index in (0..<32).reversed() {
            var difference = Int(curveOrder[index]) - Int(s[index]) - borrow
            borrow = difference < 0 ? 1 : 0
            if difference < 0 { difference += 256 }
            out[index] = UInt8(difference)
        }
        return out
    }

    @Test("signing reproduces r, s, v and recovers the signer")
    func signAndRecover() throws {
        let known = try Known()
        let signature = try EthereumSignature.sign(digest: known.digest, with: known.key)
        #expect(signature.r == known.r)
        #expect(signature.s == known.s)
        #expect(Int(signature.v) == known.v)
        #expect(signature.recoveryID == known.v - 27)
        #expect(signature.bytes == known.rsv)
        #expect(signature.hex == Hex.encodePrefixed(known.rsv))
        #expect(try signature.recoverSigner(digest: known.digest).checksummed == known.address)
        #expect(try signature.recoverPublicKey(digest: known.digest) == known.key.publicKey)
    }

    @Test("bytes, hex and r/s/v round trips")
    func roundTrips() throws {
        let known = try Known()
        let fromBytes = try EthereumSignature(bytes: known.rsv)
        #expect(fromBytes.bytes == known.rsv)
        #expect(fromBytes.r == known.r && fromBytes.s == known.s && Int(fromBytes.v) == known.v)
        let fromHex = try EthereumSignature(hex: fromBytes.hex)
        #expect(fromHex == fromBytes)
        let fromBareHex = try EthereumSignature(hex: Hex.encode(known.rsv))
        #expect(fromBareHex == fromBytes)
        #expect(try EthereumSignature(r: fromBytes.r, s: fromBytes.s, v: fromBytes.v) == fromBytes)
    }

    @Test("v 0/1/27/28 are accepted and normalised", arguments: [(0, 0), (1, 1), (27, 0), (28, 1)])
    func vNormalisation(v: Int, recoveryID: Int) throws {
        let known = try Known()
        let signature = try EthereumSignature(r: known.r, s: known.s, v: v)
        #expect(signature.recoveryID == recoveryID)
        #expect(Int(signature.v) == 27 + recoveryID)
        #expect(signature.bytes.last == UInt8(27 + recoveryID))
        let withRawV = try EthereumSignature(bytes: known.r + known.s + [UInt8(v)])
        #expect(withRawV == signature)
    }

    @Test("other v values are rejected", arguments: [2, 3, 26, 29, 35, 37, 255, -1])
    func badV(v: Int) throws {
        let known = try Known()
        let error = #expect(throws: CryptoError.self) { try EthereumSignature(r: known.r, s: known.s, v: v) }
        guard case .invalidSignature(let why)? = error else {
            Issue.record("expected invalidSignature, got \(String(describing: error))")
            return
        }
        #expect(why.contains("v is \(v)"), "\(why)")
    }

    @Test("a high-S signature is rejected (EIP-2), also the secp256k1.json high_s case")
    func highS() throws {
        let known = try Known()
        let twin = Self.negate(known.s)
        #expect(twin != known.s)
        let error = #expect(throws: CryptoError.self) {
            try EthereumSignature(r: known.r, s: twin, v: known.v == 27 ? 28 : 27)
        }
        guard case .invalidSignature(let why)? = error else {
            Issue.record("expected invalidSignature, got \(String(describing: error))")
            return
        }
        #expect(why.contains("high-S"))

        let invalid = try TestVectors.json("crypto/secp256k1.json").array("invalid_signatures")
        let highS = try #require(invalid.first { $0["name"]?.stringValue == "high_s" })
        #expect(throws: CryptoError.self) { try EthereumSignature(bytes: try highS.hex("compact_rs") + [27]) }
    }

    @Test("wrong lengths, zero r/s, r >= n and non-hex are rejected")
    func malformed() throws {
        let known = try Known()
        #expect(throws: CryptoError.invalidLength(what: "An Ethereum signature (r || s || v)", expected: "65", actual: 64)) {
            try EthereumSignature(bytes: Array(known.rsv.prefix(64)))
        }
        #expect(throws: CryptoError.invalidLength(what: "Signature r", expected: "32", actual: 31)) {
            try EthereumSignature(r: Array(known.r.dropFirst()), s: known.s, v: 27)
        }
        #expect(throws: CryptoError.invalidSignature("r is zero")) {
            try EthereumSignature(r: [UInt8](repeating: 0, count: 32), s: known.s, v: 27)
        }
        #expect(throws: CryptoError.invalidSignature("s is zero")) {
            try EthereumSignature(r: known.r, s: [UInt8](repeating: 0, count: 32), v: 27)
        }
        #expect(throws: CryptoError.self) { try EthereumSignature(r: Self.curveOrder, s: known.s, v: 27) }
        let error = #expect(throws: CryptoError.self) { try EthereumSignature(hex: "0xzz") }
        guard case .invalidEncoding? = error else {
            Issue.record("expected invalidEncoding, got \(String(describing: error))")
            return
        }
    }

    @Test("recovering with the wrong digest gives another address, not the signer")
    func wrongDigest() throws {
        let known = try Known()
        let signature = try EthereumSignature(bytes: known.rsv)
        var digest = known.digest
        digest[0] ^= 1
        #expect(try signature.recoverSigner(digest: digest).checksummed != known.address)
        #expect(throws: CryptoError.invalidLength(what: "A digest", expected: "32", actual: 31)) {
            try signature.recoverSigner(digest: Array(digest.prefix(31)))
        }
    }
}
