import BridgeCore
import BridgeCrypto
import TestVectors
import Testing

@Suite("CRM request signature (JavaScript stringification + SHA-1)")
struct CRMRequestSignatureTests {
    @Test func everyVector() throws {
        let vectors = try TestVectors.json("crypto/crm_signature.json")
        let cases = try vectors.array("cases")
        #expect(cases.count == 8)
        for vector in cases {
            let name = try vector.string("name")
            let body = try #require(try JSONValue(parsing: try vector.string("body_json")).objectValue)
            let apiKey = try vector.string("api_key")
            #expect(CRMRequestSignature.canonicalString(of: body) == (try vector.string("string_a")), "\(name)")
            let signature = try vector.string("signature")
            #expect(CRMRequestSignature.signature(of: body, apiKey: apiKey) == signature, "\(name)")
            #expect(CRMRequestSignature.isValid(signature, for: body, apiKey: apiKey))
            #expect(CRMRequestSignature.isValid(signature.lowercased(), for: body, apiKey: apiKey))
            #expect(!CRMRequestSignature.isValid(signature, for: body, apiKey: apiKey + "x"), "\(name) wrong key")

            if let nonEmpty = vector["string_a_nonempty_only"]?.stringValue {
                #expect(CRMRequestSignature.canonicalString(of: body, fields: .nonEmptyFields) == nonEmpty)
                let nonEmptySignature = try vector.string("signature_nonempty_only")
                #expect(CRMRequestSignature.signature(of: body, apiKey: apiKey, fields: .nonEmptyFields) == nonEmptySignature)
                #expect(CRMRequestSignature.isValid(nonEmptySignature, for: body, apiKey: apiKey))
            }
            if let utf8Hex = vector["string_b_utf8_hex"]?.stringValue {
                let stringB = CRMRequestSignature.canonicalString(of: body) + apiKey
                #expect(Hex.encode(Array(stringB.utf8)) == utf8Hex)
            }
        }
    }

    @Test func alteredBodyFailsVerification() throws {
        let body = try #require(try JSONValue(parsing: #"{"user_id":"ab12cd34","currency":"USD","amount":-100.5,"order_id":"0123456789abcdef"}"#).objectValue)
        let signature = CRMRequestSignature.signature(of: body, apiKey: "test_api_key")
        #expect(signature == "0AF3D52CEC67B1453DC3DB94B2F88DB979E0C2F8")
        var altered = body
        altered["amount"] = .number(JSONNumber(text: "-1000.5")!)
        #expect(!CRMRequestSignature.isValid(signature, for: altered, apiKey: "test_api_key"))
        #expect(!CRMRequestSignature.isValid("", for: body, apiKey: "test_api_key"))
    }

    @Test(arguments: [
        ("0", "0"), ("-0", "0"), ("1000.50", "1000.5"), ("100.0", "100"), ("0.10", "0.1"), ("1e21", "1e+21"),
        ("1e20", "100000000000000000000"), ("1e-7", "1e-7"), ("0.000001", "0.000001"), ("-1.5e-9", "-1.5e-9"),
        ("2E3", "2000"), ("12345678901234567890", "12345678901234567000"), ("9007199254740993", "9007199254740992"),
        ("0.30000000000000004", "0.30000000000000004"), ("123456789012345680000", "123456789012345680000"),
        ("1.5e300", "1.5e+300"), ("5e-324", "5e-324"), ("1e400", "Infinity"), ("-1e400", "-Infinity"),
        ("123.456e-2", "1.23456"), ("0.00001234", "0.00001234"), ("1.7976931348623157e308", "1.7976931348623157e+308"),
    ])
    func javaScriptNumberToString(literal: String, expected: String) throws {
        #expect(try #require(JSONNumber(text: literal)).javaScriptString == expected)
    }

    @Test("A literal taken as already printed by Number#toString really is what the double path prints")
    func canonicalLiteralsNeedNoDouble() {
        var literals = ["0", "-0", "7", "-7", "0.01", "-0.5", "100", "1000.5", "1.10", "0.000001", "0.0000001",
                        "100000000000000000000", "1000000000000000000000", "123456789012345", "1234567890123456",
                        "0.123456789012345", "0.1234567890123456", "123456789.012345", "1e2", "01", "1.", ".5", "-"]
        var generator = SystemRandomNumberGenerator()
        func digits(_ count: Int) -> String {
            String((0..<count).map { _ in Character(String(Int.random(in: 0...9, using: &generator))) })
        }
        for _ in 0..<20_000 {
            var text = Bool.random(using: &generator) ? "-" : ""
            text += Bool.random(using: &generator) ? "0" : String(Int.random(in: 1...9, using: &generator))
                + digits(Int.random(in: 0...21, using: &generator))
            if Bool.random(using: &generator) {
                text += "." + String(repeating: "0", count: Int.random(in: 0...7, using: &generator))
                    + digits(Int.random(in: 0...16, using: &generator)) + String(Int.random(in: 1...9, using: &generator))
            }
            literals.append(text)
        }
        var canonical = 0
        for text in literals where JSONNumber.isJavaScriptCanonical(text) {
            canonical += 1
            #expect(JSONNumber.javaScriptString(Double(text) ?? .nan) == text, "\(text)")
        }
        // The generator reaches both sides of every limit, so a good share of it takes the fast path.
        #expect(canonical > 2_000)
        for text in ["-0", "1.10", "0.0000001", "1000000000000000000000", "1234567890123456", "0.1234567890123456",
                     "1e2", "01", "1.", ".5", "-", ""] {
            #expect(!JSONNumber.isJavaScriptCanonical(text), "\(text)")
        }
    }
}
