import BridgeCore
import BridgeCrypto
import Testing

@Suite("EIP-712 typed data: refused input")
struct TypedDataErrorTests {
    /// A Mail-like document whose `Extra` member has type `extraType` and value `extraValue` (JSON text).
    static func document(extraType: String = "uint8", extraValue: String = "1", patch: (String) -> String = { $0 }) -> String {
        patch("""
        {
          "types": {
            "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "chainId", "type": "uint256"}],
            "Person": [{"name": "name", "type": "string"}, {"name": "wallet", "type": "address"}],
            "Mail": [{"name": "from", "type": "Person"}, {"name": "to", "type": "Person[]"},
                     {"name": "extra", "type": "\(extraType)"}]
          },
          "primaryType": "Mail",
          "domain": {"name": "Ether Mail", "chainId": 1},
          "message": {
            "from": {"name": "Cow", "wallet": "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"},
            "to": [{"name": "Bob", "wallet": "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"}],
            "extra": \(extraValue)
          }
        }
        """)
    }

    /// Reads and hashes `json`, which must fail with code -10 and a message containing every fragment.
    static func expectRefusal(_ json: String, mentions fragments: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            let typedData = try TypedData(jsonText: json)
            let hashes = try typedData.hashes()
            Issue.record("accepted, digest \(Hex.encode(hashes.digest))", sourceLocation: sourceLocation)
        } catch let error as CryptoError {
            #expect(error.code == .badArgument, sourceLocation: sourceLocation)
            guard case .invalidTypedData = error else {
                Issue.record("expected invalidTypedData, got \(error)", sourceLocation: sourceLocation)
                return
            }
            for fragment in fragments {
                #expect(error.message.contains(fragment), "\(error.message)", sourceLocation: sourceLocation)
            }
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test("the base document is accepted, so each refusal below is caused by its one change")
    func baseline() throws {
        #expect(try TypedData(jsonText: Self.document()).digest().count == 32)
    }

    @Test("unknown type")
    func unknownType() {
        Self.expectRefusal(Self.document(extraType: "Persn[]", extraValue: "[]"),
                           mentions: ["\"Persn\" is not defined in types", "Mail.extra", "Persn[]"])
    }

    @Test("uint8 256 is out of range")
    func uint8TooLarge() {
        Self.expectRefusal(Self.document(extraValue: "256"), mentions: ["message.extra", "256", "out of range", "uint8"])
        Self.expectRefusal(Self.document(extraValue: "\"0x100\""), mentions: ["message.extra", "0x100", "out of range", "uint8"])
    }

    @Test("a negative uint")
    func negativeUnsigned() {
        Self.expectRefusal(Self.document(extraType: "uint256", extraValue: "-1"),
                           mentions: ["message.extra", "-1", "negative", "uint256"])
        Self.expectRefusal(Self.document(extraType: "uint256", extraValue: "\"-5\""),
                           mentions: ["message.extra", "-5", "negative", "uint256"])
    }

    @Test("int8 -129 and 128 are out of range")
    func int8Limits() {
        Self.expectRefusal(Self.document(extraType: "int8", extraValue: "-129"), mentions: ["message.extra", "-129", "out of range", "int8"])
        Self.expectRefusal(Self.document(extraType: "int8", extraValue: "128"), mentions: ["message.extra", "128", "out of range", "int8"])
    }

    @Test("integers wider than 256 bits")
    func tooWide() {
        let twoTo256 = "115792089237316195423570985008687907853269984665640564039457584007913129639936"
        Self.expectRefusal(Self.document(extraType: "uint256", extraValue: twoTo256), mentions: ["message.extra", "256 bits", "uint256"])
        Self.expectRefusal(Self.document(extraType: "uint256", extraValue: "\"0x1" + String(repeating: "0", count: 64) + "\""),
                           mentions: ["message.extra", "256 bits"])
    }

    @Test("a fraction or an exponent in an integer")
    func fraction() {
        Self.expectRefusal(Self.document(extraValue: "1.5"), mentions: ["message.extra", "1.5", "not an integer", "uint8"])
        Self.expectRefusal(Self.document(extraValue: "1e2"), mentions: ["message.extra", "1e2", "not an integer"])
        Self.expectRefusal(Self.document(extraValue: "\"1.5\""), mentions: ["message.extra", "1.5", "not an integer"])
        Self.expectRefusal(Self.document(extraValue: "\"\""), mentions: ["message.extra", "not an integer"])
        Self.expectRefusal(Self.document(extraValue: "\"-0x1\""), mentions: ["message.extra", "not an integer"])
        Self.expectRefusal(Self.document(extraValue: "true"), mentions: ["message.extra", "expected an integer", "boolean"])
    }

    @Test("malformed addresses")
    func malformedAddress() {
        Self.expectRefusal(Self.document(patch: { $0.replacingOccurrences(of: "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826", with: "0x1234") }),
                           mentions: ["message.from.wallet", "\"0x1234\"", "4 hex digits after 0x, expected 40"])
        Self.expectRefusal(Self.document(patch: { $0.replacingOccurrences(of: "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB", with: "bBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB") }),
                           mentions: ["message.to[0].wallet", "does not start with 0x"])
        // One letter's case flipped: the message shows the correct EIP-55 form.
        Self.expectRefusal(Self.document(patch: { $0.replacingOccurrences(of: "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826", with: "0xcD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826") }),
                           mentions: ["message.from.wallet", "checksum", "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"])
        Self.expectRefusal(Self.document(extraType: "address", extraValue: "12"), mentions: ["message.extra", "expected an 0x address string"])
    }

    @Test("bytes4 with 3 bytes, and other malformed bytes")
    func fixedBytes() {
        Self.expectRefusal(Self.document(extraType: "bytes4", extraValue: "\"0xa9059c\""),
                           mentions: ["message.extra", "0xa9059c", "3 bytes", "bytes4", "exactly 4"])
        Self.expectRefusal(Self.document(extraType: "bytes4", extraValue: "\"a9059cbb\""), mentions: ["message.extra", "does not start with 0x"])
        Self.expectRefusal(Self.document(extraType: "bytes", extraValue: "\"0xabc\""), mentions: ["message.extra", "odd number of hex digits"])
        Self.expectRefusal(Self.document(extraType: "bytes", extraValue: "\"0xzz\""), mentions: ["message.extra", "non-hex character"])
    }

    @Test("a missing field")
    func missingField() {
        Self.expectRefusal(Self.document(patch: { $0.replacingOccurrences(of: "{\"name\": \"Bob\", ", with: "{") }),
                           mentions: ["message.to[0].name", "missing", "Person defines name as string"])
        Self.expectRefusal(Self.document(patch: { $0.replacingOccurrences(of: "\"name\": \"Ether Mail\", ", with: "") }),
                           mentions: ["domain.name", "missing"])
    }

    @Test("a fixed array of the wrong length")
    func fixedArrayLength() {
        Self.expectRefusal(Self.document(extraType: "uint8[2]", extraValue: "[1, 2, 3]"),
                           mentions: ["message.extra", "uint8[2]", "exactly 2", "got 3"])
        Self.expectRefusal(Self.document(extraType: "uint8[2][]", extraValue: "[[1, 2], [3]]"),
                           mentions: ["message.extra[1]", "exactly 2", "got 1"])
        Self.expectRefusal(Self.document(extraType: "uint8[]", extraValue: "[1, 256]"), mentions: ["message.extra[1]", "out of range"])
    }

    @Test("wrong JSON types for bool, string and struct")
    func wrongJSONTypes() {
        Self.expectRefusal(Self.document(extraType: "bool", extraValue: "\"true\""), mentions: ["message.extra", "true or false"])
        Self.expectRefusal(Self.document(extraType: "string", extraValue: "5"), mentions: ["message.extra", "expected a string"])
        Self.expectRefusal(Self.document(extraType: "Person", extraValue: "\"Bob\""), mentions: ["message.extra", "expected an object for struct Person"])
        Self.expectRefusal(Self.document(extraType: "uint8[]", extraValue: "{}"), mentions: ["message.extra", "expected an array"])
    }

    @Test("missing EIP712Domain")
    func missingDomainType() {
        Self.expectRefusal(Self.document(patch: { $0.replacingOccurrences(of: "\"EIP712Domain\"", with: "\"Domain\"") }),
                           mentions: ["no EIP712Domain"])
    }

    @Test("primaryType not defined")
    func undefinedPrimaryType() {
        Self.expectRefusal(Self.document(patch: { $0.replacingOccurrences(of: "\"primaryType\": \"Mail\"", with: "\"primaryType\": \"Mial\"") }),
                           mentions: ["primaryType \"Mial\" is not defined"])
    }

    @Test("malformed documents and type definitions")
    func malformedDocuments() {
        Self.expectRefusal("[]", mentions: ["the document is a array"])
        Self.expectRefusal(#"{"primaryType": "X", "domain": {}, "message": {}}"#, mentions: ["\"types\" is missing"])
        Self.expectRefusal(#"{"types": {"EIP712Domain": []}, "domain": {}, "message": {}}"#, mentions: ["\"primaryType\" is missing"])
        Self.expectRefusal(#"{"types": {"EIP712Domain": []}, "primaryType": "EIP712Domain", "message": {}}"#, mentions: ["\"domain\" is missing"])
        Self.expectRefusal(#"{"types": {"EIP712Domain": [], "A": []}, "primaryType": "A", "domain": {}}"#, mentions: ["\"message\" is missing"])
        Self.expectRefusal(#"{"types": {"EIP712Domain": {}}, "primaryType": "EIP712Domain", "domain": {}}"#,
                           mentions: ["types.EIP712Domain is a object"])
        Self.expectRefusal(#"{"types": {"EIP712Domain": [{"name": "a"}]}, "primaryType": "EIP712Domain", "domain": {}}"#,
                           mentions: ["types.EIP712Domain[0] (a) has no string \"type\""])
        Self.expectRefusal(#"{"types": {"EIP712Domain": [{"name": "a", "type": "uint7"}]}, "primaryType": "EIP712Domain", "domain": {}}"#,
                           mentions: ["types.EIP712Domain[0] (a)", "uint7"])
        Self.expectRefusal(#"{"types": {"EIP712Domain": [{"name": "a", "type": "bool"}, {"name": "a", "type": "bool"}]}, "primaryType": "EIP712Domain", "domain": {}}"#,
                           mentions: ["member \"a\" twice"])
        Self.expectRefusal(#"{"types": {"EIP712Domain": [], "uint256": []}, "primaryType": "EIP712Domain", "domain": {}}"#,
                           mentions: ["\"uint256\", which is an atomic type name"])
        Self.expectRefusal(#"{"types": {"EIP712Domain": [], "My Type": []}, "primaryType": "EIP712Domain", "domain": {}}"#,
                           mentions: ["\"My Type\", which is not a valid struct name"])
    }

    @Test("asking for a type that is not a struct")
    func notAStruct() throws {
        let typedData = try TypedData(jsonText: Self.document())
        #expect(throws: CryptoError.invalidTypedData("\"Persn\" is not a struct type defined in types")) { try typedData.encodeType("Persn") }
        #expect(throws: CryptoError.invalidTypedData("\"uint256\" is not a struct type defined in types")) { try typedData.typeHash("uint256") }
        #expect(throws: CryptoError.self) { try typedData.hashStruct("Mail", "not an object") }
    }

    @Test("invalid JSON text surfaces as JSONParseError (code -10)")
    func invalidJSON() {
        let error = #expect(throws: JSONParseError.self) { try TypedData(jsonText: "{\"types\": ") }
        #expect(error?.code == .badArgument)
    }
}
