import BridgeCore
import Foundation
import Testing
import TestVectors

@testable import BridgeCrypto

@Suite("Bech32, Bech32m and segwit addresses (crypto/bech32.json)")
struct Bech32Tests {
    static let vectors = Result { try TestVectors.json("crypto/bech32.json") }

    static func section(_ name: String) throws -> JSONValue {
        try #require(try vectors.get()[name], "bech32.json has no \(name)")
    }

    @Test(arguments: [("bech32", Bech32.Variant.bech32), ("bech32m", Bech32.Variant.bech32m)])
    func validStringsDecodeAndReencode(section: String, variant: Bech32.Variant) throws {
        let cases = try Self.section(section).array("valid")
        #expect(cases.count == 7)
        for testCase in cases {
            let bytes = try testCase.hex("hex")
            let decoded = try Bech32.decode(bytes)
            #expect(decoded.hrp == (try testCase.string("hrp")))
            #expect(decoded.values == (try testCase.hex("data_5bit_hex")))
            #expect(decoded.variant == variant)
            // Encoders write lowercase; the checksum does not depend on case.
            let lowercase = String(decoding: bytes, as: UTF8.self).lowercased()
            #expect(try Bech32.encode(hrp: decoded.hrp, values: decoded.values, variant: variant) == lowercase)
            #expect(try Bech32.decode(String(decoding: bytes, as: UTF8.self)).values == decoded.values)
        }
    }

    @Test(arguments: ["bech32", "bech32m"])
    func invalidStringsAreRejected(section: String) throws {
        let cases = try Self.section(section).array("invalid")
        #expect(cases.count == (section == "bech32" ? 12 : 14))
        for testCase in cases {
            let bytes = try testCase.hex("hex")
            let reason = try testCase.string("reason")
            let error = #expect(throws: CryptoError.self, "\(reason)") { try Bech32.decode(bytes) }
            guard case .invalidEncoding(let why)? = error else {
                Issue.record("\(reason): wrong error \(String(describing: error))")
                continue
            }
            #expect(Self.expectedPhrases(for: reason).contains { why.contains($0) }, "\(reason) -> \(why)")
        }
    }

    /// The words our message must contain for each BIP-173/350 reason, so a rejection for the wrong cause fails.
    static func expectedPhrases(for reason: String) -> [String] {
        switch reason.lowercased() {
        case "hrp character out of range": ["allowed are ASCII 33...126"]
        case "overall max length exceeded": ["the limit is 90"]
        case "no separator character": ["no separator"]
        case "empty hrp": ["human-readable part is empty"]
        case "invalid data character": ["not in the data alphabet"]
        // One of these strings ends in byte 0xFF, which is refused as out of range before the alphabet is consulted.
        case "invalid character in checksum": ["not in the data alphabet", "byte 0xff at position 8; allowed are ASCII 33...126"]
        case "too short checksum": ["fewer than the 6"]
        case "checksum calculated with uppercase form of hrp": ["checksum is wrong"]
        default: ["UNMAPPED REASON \(reason)"]
        }
    }

    /// Each valid list is an invalid list for the other checksum constant.
    @Test func validStringsHaveOnlyTheirOwnVariant() throws {
        for (section, other) in [("bech32", Bech32.Variant.bech32m), ("bech32m", .bech32)] {
            for testCase in try Self.section(section).array("valid") {
                let decoded = try Bech32.decode(try testCase.hex("hex"))
                #expect(decoded.variant != other)
                let reencoded = try Bech32.encode(hrp: decoded.hrp, values: decoded.values, variant: other)
                #expect(reencoded != String(decoding: try testCase.hex("hex"), as: UTF8.self).lowercased())
            }
        }
    }

    @Test func validSegwitAddresses() throws {
        let cases = try Self.section("segwit_addresses").array("valid")
        #expect(cases.count == 8)
        for testCase in cases {
            let text = try testCase.string("address")
            let hrp = try testCase.string("hrp")
            let address = try SegwitAddress(decoding: text, expectedHRP: hrp)
            #expect(address.hrp == hrp)
            #expect(address.witnessVersion == (try testCase.int("witness_version")))
            #expect(address.program == (try testCase.hex("program_hex")))
            #expect(address.scriptPubKey == (try testCase.hex("scriptPubKey_hex")))
            #expect(address.string == text.lowercased())
            let built = try SegwitAddress(hrp: hrp, witnessVersion: address.witnessVersion, program: address.program)
            #expect(built == address)
            #expect(try Bech32.decode(text).variant == (try testCase.string("checksum") == "bech32" ? .bech32 : .bech32m))
        }
    }

    /// Refused for both networks' HRPs, as the BIP reference tests do.
    @Test(arguments: ["invalid", "bip173_v1plus_now_invalid", "bip173_invalid"])
    func invalidSegwitAddresses(list: String) throws {
        let cases = try Self.section("segwit_addresses").array(list)
        #expect(cases.count == ["invalid": 15, "bip173_v1plus_now_invalid": 3, "bip173_invalid": 10][list])
        for testCase in cases {
            let text = try testCase.string("address")
            let reason = try testCase.string("reason")
            for hrp in ["bc", "tb"] {
                let error = #expect(throws: CryptoError.self, "\(reason)") {
                    try SegwitAddress(decoding: text, expectedHRP: hrp)
                }
                guard case .invalidAddress(let why)? = error else {
                    Issue.record("\(reason): wrong error \(String(describing: error))")
                    continue
                }
                // Against the other network's HRP the first failure may be the HRP itself; the stated reason is
                // checked against the address's own HRP.
                let ownHRP = text.lowercased().prefix(2)
                if ownHRP == hrp || reason.hasPrefix("Invalid human-readable part") {
                    #expect(why.contains(Self.expectedSegwitPhrase(for: reason)), "\(reason) -> \(why)")
                }
            }
        }
    }

    static func expectedSegwitPhrase(for reason: String) -> String {
        let reason = reason.replacingOccurrences(of: " (BIP-173)", with: "")
        if reason.hasPrefix("witness version >= 1 with a Bech32 checksum") { return "uses a Bech32 checksum; it must use Bech32m" }
        switch reason {
        case "Invalid human-readable part": return "human-readable part"
        case "Invalid checksum (Bech32 instead of Bech32m)": return "uses a Bech32 checksum; it must use Bech32m"
        case "Invalid checksum (Bech32m instead of Bech32)": return "uses a Bech32m checksum; it must use Bech32"
        case "Invalid checksum": return "checksum is wrong"
        case "Invalid character in checksum": return "not in the data alphabet"
        case "Invalid witness version": return "witness version is"
        case "Invalid program length (1 byte)", "Invalid program length (41 bytes)", "Invalid program length":
            return "it must be 2...40"
        case "Invalid program length for witness version 0 (per BIP141)": return "it must be 20 (P2WPKH) or 32 (P2WSH)"
        case "Mixed case": return "mixes upper and lower case"
        case "zero padding of more than 4 bits": return "bits of padding at the end"
        case "Non-zero padding in 8-to-5 conversion": return "padding bits at the end are not all zero"
        case "Empty data section": return "empty data part"
        default: return "UNMAPPED REASON \(reason)"
        }
    }

    @Test func addressWithoutExpectedHRPAcceptsAnyHRP() throws {
        let address = try SegwitAddress(decoding: "tc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vq5zuyut")
        #expect(address.hrp == "tc")
        #expect(address.witnessVersion == 1)
    }

    @Test func buildingRefusesBadParts() {
        #expect(throws: CryptoError.invalidAddress("segwit witness version is 17; it must be 0...16")) {
            try SegwitAddress(hrp: "bc", witnessVersion: 17, program: [UInt8](repeating: 0, count: 20))
        }
        #expect(throws: CryptoError.invalidAddress("segwit version 0 program is 21 bytes; it must be 20 (P2WPKH) or 32 (P2WSH)")) {
            try SegwitAddress(hrp: "bc", witnessVersion: 0, program: [UInt8](repeating: 0, count: 21))
        }
        #expect(throws: CryptoError.invalidAddress("segwit witness program is 1 bytes; it must be 2...40")) {
            try SegwitAddress(hrp: "bc", witnessVersion: 1, program: [7])
        }
    }

    @Test func encodingRefusesBadInput() {
        #expect(throws: CryptoError.invalidEncoding("Bech32 human-readable part is empty")) {
            try Bech32.encode(hrp: "", values: [], variant: .bech32)
        }
        #expect(throws: CryptoError.invalidEncoding("Bech32 human-readable part has byte 0x20 at position 1; allowed are ASCII 33...126")) {
            try Bech32.encode(hrp: "b c", values: [], variant: .bech32)
        }
        #expect(throws: CryptoError.invalidEncoding("Bech32 data value 32 at index 2 does not fit in 5 bits")) {
            try Bech32.encode(hrp: "bc", values: [0, 1, 32], variant: .bech32m)
        }
        #expect(throws: CryptoError.invalidEncoding("Bech32 string would be 91 characters; the limit is 90")) {
            try Bech32.encode(hrp: "bc", values: [UInt8](repeating: 0, count: 82), variant: .bech32)
        }
    }

    @Test func uppercaseHRPIsWrittenInLowercase() throws {
        #expect(try Bech32.encode(hrp: "A", values: [], variant: .bech32) == "a12uel5l")
    }

    @Test func convertBitsRoundTripsAndRejectsBadPadding() throws {
        let bytes: [UInt8] = [0xff, 0x00, 0x80, 0x01, 0x7e]
        let fiveBit = try Bech32.convertBits(bytes, fromBits: 8, toBits: 5, pad: true)
        #expect(fiveBit == Bech32.fiveBitValues(bytes))
        #expect(fiveBit == [31, 28, 0, 8, 0, 0, 11, 30])
        #expect(try Bech32.convertBits(fiveBit, fromBits: 5, toBits: 8, pad: false) == bytes)
        #expect(throws: CryptoError.invalidEncoding("value 32 at index 0 does not fit in 5 bits")) {
            try Bech32.convertBits([32], fromBits: 5, toBits: 8, pad: false)
        }
    }
}
