import BridgeCore
import Testing

@Suite("Decimal literals compared by value, and what JavaScript prints back")
struct DecimalLiteralTests {
    @Test("One canonical form per value")
    func canonicalForms() throws {
        let cases: [(String, String)] = [
            ("100", "1e2"), ("100.50", "1005e-1"), ("-100.5", "-1005e-1"), ("1.005e2", "1005e-1"), ("0", "0"),
            ("-0.000", "0"), ("0.05", "5e-2"), ("1e+36", "1e36"), ("1E-7", "1e-7"), ("007.10", "71e-1"),
            ("12345678901234567890123", "12345678901234567890123"),
        ]
        for (text, canonical) in cases {
            #expect(try #require(DecimalLiteral(text)).description == canonical, "\(text)")
        }
        #expect(DecimalLiteral("100.50") == DecimalLiteral("1.005e2"))
        #expect(DecimalLiteral("100.5") != DecimalLiteral("100.51"))
    }

    @Test("Texts that are not decimal numbers are nil", arguments: [
        "", "-", ".", "1..2", "1e", "1e+", "Infinity", "NaN", "0x10", "1,5", " 1", "1e100001", String(repeating: "9", count: 1025),
    ])
    func notNumbers(_ text: String) {
        #expect(DecimalLiteral(text) == nil)
    }

    @Test("CONTRACT 4: amounts JavaScript prints back with another value are caught")
    func javaScriptRoundTrip() throws {
        let survives = ["100", "100.50", "-100.5", "1e2", "0.1", "90071992547409.9", "9007199254740991", "1e36",
                        "1000000000000000000000000000000000000", "123.45", "0.000001", "5e-7"]
        for text in survives {
            #expect(try #require(JSONNumber(text: text)).survivesJavaScriptNumber, "\(text)")
        }
        // 2^53 + 1 becomes 2^53; .91 is past a double's precision at this magnitude; 17 significant digits.
        let changed = ["90071992547409.91", "9007199254740993", "1234.567890123456789", "0.30000000000000001", "1e400"]
        for text in changed {
            #expect(try !#require(JSONNumber(text: text)).survivesJavaScriptNumber, "\(text)")
        }
        #expect(try #require(JSONNumber(text: "90071992547409.91")).javaScriptString == "90071992547409.9")
    }
}
