import BridgeCore
import Testing

@Suite("JSON parsing keeps exact numbers and rejects malformed text")
struct JSONValueParsingTests {
    @Test func numbersKeepTheirLiteralText() throws {
        let value = try JSONValue(parsing: #"{"big":115792089237316195423570985008687907853269984665640564039457584007913129639935,"money":1000.50,"neg":-0.0,"exp":1E+21}"#)
        #expect(value["big"]?.numberValue?.text == "115792089237316195423570985008687907853269984665640564039457584007913129639935")
        #expect(value["money"]?.numberValue?.text == "1000.50")
        #expect(value["neg"]?.numberValue?.text == "-0.0")
        #expect(value["exp"]?.numberValue?.text == "1E+21")
        #expect(value["money"]?.numberValue?.isIntegerLiteral == false)
        #expect(value["big"]?.numberValue?.int64Value == nil)
    }

    @Test func objectsKeepKeyOrderAndNesting() throws {
        let value = try JSONValue(parsing: #" { "z" : [1, true, null, "x"], "a": {"b": []} } "#)
        #expect(value.objectValue?.keys == ["z", "a"])
        #expect(value["z"] == [1, true, nil, "x"])
        #expect(value["a"]?["b"] == .array([]))
    }

    @Test func stringEscapesAndUnicode() throws {
        let value = try JSONValue(parsing: #"["a\"b\\c\/d\b\f\n\r\t", "\u00e9\u65e5", "\ud83d\ude00", "日本"]"#)
        #expect(value.arrayValue?[0] == "a\"b\\c/d\u{08}\u{0C}\n\r\t")
        #expect(value.arrayValue?[1] == "é日")
        #expect(value.arrayValue?[2] == "😀")
        #expect(value.arrayValue?[3] == "日本")
    }

    @Test(arguments: [
        ("", "unexpected end of input"),
        ("{", "expected a string key"),
        ("[1,]", "unexpected character ']'"),
        ("{\"a\":1,}", "expected a string key"),
        ("01", "malformed number"),
        ("1.", "malformed number"),
        ("-", "malformed number"),
        (".5", "unexpected character '.'"),
        ("+1", "unexpected character '+'"),
        ("1e", "malformed number"),
        ("tru", "invalid literal"),
        ("NaN", "unexpected character 'N'"),
        ("\"a\nb\"", "control character"),
        ("\"\\x\"", "invalid escape"),
        ("\"\\ud800\"", "unpaired surrogate"),
        ("{\"a\":1,\"a\":2}", "duplicate key \"a\""),
        ("[1] [2]", "unexpected text after the document"),
        ("// comment\n1", "unexpected character '/'"),
    ])
    func malformedTextIsRejected(text: String, reason: String) {
        #expect {
            try JSONValue(parsing: text)
        } throws: { error in
            guard let error = error as? JSONParseError else { return false }
            return error.reason.contains(reason) && error.code == .badArgument
        }
    }

    @Test func errorsNameLineAndColumn() {
        do {
            _ = try JSONValue(parsing: "{\n  \"a\": 1,\n  \"b\": ?\n}")
            Issue.record("parsed invalid JSON")
        } catch {
            #expect(error.line == 3)
            #expect(error.column == 8)
            #expect(error.message == "Invalid JSON at line 3, column 8: unexpected character '?'")
        }
    }

    @Test func invalidUTF8IsRejected() {
        #expect(throws: JSONParseError.self) { try JSONValue(parsing: [0x22, 0xFF, 0x22]) }
    }

    @Test func deepNestingIsRefusedNotCrashed() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect {
            try JSONValue(parsing: deep)
        } throws: { error in
            (error as? JSONParseError)?.reason.contains("nesting deeper") == true
        }
        let allowed = String(repeating: "[", count: JSONValue.maximumDepth) + String(repeating: "]", count: JSONValue.maximumDepth)
        #expect(throws: Never.self) { try JSONValue(parsing: allowed) }
    }

    @Test func numberLiteralValidation() {
        for valid in ["0", "-0", "12", "-12.5e-3", "1E5", "0.000"] { #expect(JSONNumber(text: valid) != nil, "\(valid)") }
        for invalid in ["", "00", "01", "1.", ".1", "+1", "1e", "1e+", "--1", "0x10", " 1"] {
            #expect(JSONNumber(text: invalid) == nil, "\(invalid)")
        }
    }
}

@Suite("JSON serialization")
struct JSONValueSerializationTests {
    @Test func compactKeepsOrderAndExactNumbers() throws {
        let text = #"{"b":1000.50,"a":[true,false,null],"c":"x\"y\n\u0001"}"#
        let value = try JSONValue(parsing: text)
        #expect(value.serialized() == text)
    }

    @Test func canonicalSortsKeysByUTF16() throws {
        // U+FF61 sorts after U+1F600 in UTF-8/scalar order but before it in UTF-16 code units (0xD83D).
        let value: JSONValue = ["b": 1, "\u{1F600}": 2, "a": ["z": 1, "y": 2], "\u{FF61}": 3]
        #expect(value.serialized(.canonical) == "{\"a\":{\"y\":2,\"z\":1},\"b\":1,\"\u{1F600}\":2,\"\u{FF61}\":3}")
    }

    @Test("The UTF-8 key comparison agrees with UTF-16 order on 20,000 random pairs across every UTF-8 length")
    func keyOrderMatchesUTF16() {
        // ASCII, 2-byte, 3-byte below and above U+E000, and 4-byte characters: every case the shortcut tells apart.
        let alphabet: [Character] = ["a", "b", "z", "\u{7F}", "\u{E9}", "\u{7FF}", "\u{800}", "\u{D7FF}", "\u{E000}",
                                     "\u{FF61}", "\u{FFFF}", "\u{10000}", "\u{1F600}", "\u{10FFFF}"]
        var generator = SystemRandomNumberGenerator()
        func randomKey() -> String {
            String((0..<Int.random(in: 0...4, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
        }
        for _ in 0..<20_000 {
            let a = randomKey(), b = randomKey()
            #expect(JSONValue.precedesInUTF16Order(a, b) == a.utf16.lexicographicallyPrecedes(b.utf16), "\(a) \(b)")
        }
        // Canonical objects of both sizes the writer sorts differently (up to 16 keys, and more) list keys in order.
        for size in [5, 16, 17, 60] {
            var object = JSONObject()
            while object.count < size { object[randomKey() + String(object.count)] = .number(JSONNumber(object.count)) }
            let written = try? JSONValue(parsing: JSONValue.object(object).serialized(.canonical))
            let keys = written?.objectValue?.keys ?? []
            #expect(keys == object.keys.sorted { $0.utf16.lexicographicallyPrecedes($1.utf16) }, "\(size) keys")
        }
    }

    @Test func prettyIsIndented() {
        let value: JSONValue = ["a": [1, 2], "b": [:]]
        #expect(value.serialized(JSONValue.Format(pretty: true)) == "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": {}\n}")
    }

    @Test func roundTripThroughParser() throws {
        let value: JSONValue = ["s": "日本\t\"", "n": .number(JSONNumber(text: "-1.5e300")!), "o": ["k": nil]]
        #expect(try JSONValue(parsing: value.serialized()) == value)
    }
}
