import BridgeCore
import Testing
import TestVectors

@testable import BridgeCrypto

@Suite("Base58 and Base58Check (crypto/base58check.json)")
struct Base58Tests {
    static let vectors = Result { try TestVectors.json("crypto/base58check.json") }

    @Test func rawVectorsEncodeAndDecode() throws {
        let cases = try Self.vectors.get().array("raw_base58")
        #expect(cases.count == 21)
        for testCase in cases {
            let bytes = try testCase.hex("hex")
            let text = try testCase.string("base58")
            #expect(Base58.encode(bytes) == text, "encode \(Hex.encode(bytes))")
            #expect(try Base58.decode(text) == bytes, "decode \(text)")
        }
    }

    @Test func checkEncodingOfVersionAndPayload() throws {
        let cases = try Self.vectors.get().array("base58check")
        #expect(cases.count == 10)
        for testCase in cases {
            let payload = try testCase.hex("version_hex") + testCase.hex("payload_hex")
            let text = try testCase.string("base58check")
            let name = try testCase.string("name")
            #expect(Base58.encodeCheck(payload) == text, "\(name)")
            #expect(try Base58.decodeCheck(text) == payload, "\(name)")
            // The checksum really is the last 4 decoded bytes.
            #expect(try Base58.decode(text) == payload + testCase.hex("checksum_hex"), "\(name)")
        }
    }

    @Test func invalidCheckStringsAreRejected() throws {
        let cases = try Self.vectors.get().array("base58check_invalid")
        #expect(cases.count == 8)
        for testCase in cases {
            let text = try testCase.string("string")
            let reason = try testCase.string("reason")
            let error = #expect(throws: CryptoError.self, "\(reason)") { try Base58.decodeCheck(text) }
            guard case .invalidEncoding(let why)? = error else {
                Issue.record("\(reason): wrong error \(String(describing: error))")
                continue
            }
            if reason.hasPrefix("invalid character") {
                // The message names the character and where it is.
                let character = reason.split(separator: "'")[1]
                #expect(why.contains("'\(character)' at position 5"), "\(why)")
            } else if reason.hasPrefix("checksum") || reason.hasPrefix("4 zero bytes") {
                #expect(why.contains("checksum mismatch"), "\(why)")
            } else {
                #expect(why.contains("too short"), "\(why)")
            }
        }
    }

    @Test func nonASCIICharacterIsNamed() {
        #expect(throws: CryptoError.invalidEncoding(
            "Base58 text has character U+E9 at position 2, which is not in the Bitcoin alphabet (no 0, O, I or l)"))
        {
            try Base58.decode("11é")
        }
        #expect(throws: CryptoError.invalidEncoding(
            "Base58 text has character U+9 at position 1, which is not in the Bitcoin alphabet (no 0, O, I or l)"))
        {
            try Base58.decode("1\t1")
        }
    }

    @Test func leadingZerosSurviveARoundTrip() throws {
        let bytes: [UInt8] = [0, 0, 0, 1, 2, 255]
        let text = Base58.encode(bytes)
        #expect(text.hasPrefix("111") && !text.hasPrefix("1111"))
        #expect(try Base58.decode(text) == bytes)
    }
}
