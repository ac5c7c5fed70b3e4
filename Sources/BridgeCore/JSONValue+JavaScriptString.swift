/// JavaScript's `String(value)` for parsed JSON values (ECMA-262 `ToString`), as the CRM's request signature uses it
/// (../shared/reference/crm-external-wallet.md section 3.3; the vendor's sample is Node.js).
extension JSONValue {
    /// What `String(value)` gives in JavaScript for this parsed JSON value:
    /// strings as they are, `true`/`false`, `null` -> "null", numbers in `Number#toString` form, arrays joined with
    /// "," (null elements become ""), objects -> "[object Object]".
    public var javaScriptString: String {
        switch self {
        case .null: "null"
        case .bool(let b): b ? "true" : "false"
        case .number(let n): n.javaScriptString
        case .string(let s): s
        case .array(let elements): elements.map(\.javaScriptArrayElementString).joined(separator: ",")
        case .object: "[object Object]"
        }
    }

    /// `Array.prototype.join` turns null and undefined elements into the empty string (ECMA-262 23.1.3.18).
    private var javaScriptArrayElementString: String {
        self == .null ? "" : javaScriptString
    }
}

extension JSONNumber {
    /// JavaScript's `Number#toString()` of this literal after `JSON.parse`: the literal becomes the nearest IEEE-754
    /// double (so integers above 2^53 lose precision, exactly as in the CRM), then prints in the shortest form that
    /// round-trips (ECMA-262 6.1.6.1.20 Number::toString).
    public var javaScriptString: String {
        // Most literals (every transfer's amount) already read as JavaScript prints them: no double to parse and print.
        if JSONNumber.isJavaScriptCanonical(text) { return text }
        // Every JSONNumber literal is valid for Double's parser; overflow gives infinity, as JSON.parse does.
        return JSONNumber.javaScriptString(Double(text) ?? .nan)
    }

    /// Whether `Number#toString()` prints the number `text` as `text` itself. True for plain decimal notation with
    /// no exponent, no leading zeros, no trailing zeros after a point, not `-0`, at most 15 significant digits (a
    /// double keeps 15 exactly, DBL_DIG, so the shortest text that round-trips is this one), at most 21 digits
    /// before the point, and at most 5 zeros right after the point of a number below 1 (Number::toString switches to
    /// an exponent from 1e21 up and below 1e-6). False says nothing: the number may still print the same.
    public static func isJavaScriptCanonical(_ text: String) -> Bool {
        var utf8 = text.utf8[...]
        let negative = utf8.first == UInt8(ascii: "-")
        if negative { utf8 = utf8.dropFirst() }
        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        let integer = utf8.prefix(while: isDigit)
        guard let leading = integer.first, integer.count <= 21 else { return false }
        let integerIsZero = leading == UInt8(ascii: "0")
        if integerIsZero, integer.count > 1 { return false }  // leading zeros (not JSON either)
        let rest = utf8.dropFirst(integer.count)
        guard let point = rest.first else {
            // An integer: its trailing zeros are printed, only its significant digits must fit.
            let significant = integer.count - integer.reversed().prefix(while: { $0 == UInt8(ascii: "0") }).count
            return !(negative && integerIsZero) && significant <= 15
        }
        let fraction = rest.dropFirst()
        guard point == UInt8(ascii: "."), let last = fraction.last, last != UInt8(ascii: "0"),
              fraction.allSatisfy(isDigit) else { return false }
        if integerIsZero {
            let zeros = fraction.prefix(while: { $0 == UInt8(ascii: "0") }).count
            return zeros <= 5 && fraction.count - zeros <= 15
        }
        return integer.count + fraction.count <= 15
    }

    /// ECMA-262 Number::toString(x) with radix 10.
    public static func javaScriptString(_ x: Double) -> String {
        if x.isNaN { return "NaN" }
        if x == 0 { return "0" }  // +0 and -0 both print "0"
        if x < 0 { return "-" + javaScriptString(-x) }
        if x.isInfinite { return "Infinity" }

        // Swift's description gives the same shortest, closest round-trip digits the spec asks for; only the layout
        // differs ("1e-07", "100.0"), so take the digits and the decimal exponent from it and lay them out as JS does.
        let (digits, n) = shortestDigits(x)
        let k = digits.count
        if k <= n && n <= 21 {
            return digits + String(repeating: "0", count: n - k)
        }
        if 0 < n && n <= 21 {
            return String(digits.prefix(n)) + "." + String(digits.dropFirst(n))
        }
        if -6 < n && n <= 0 {
            return "0." + String(repeating: "0", count: -n) + digits
        }
        let exponent = n - 1
        let exponentText = (exponent < 0 ? "-" : "+") + String(abs(exponent))
        if k == 1 { return digits + "e" + exponentText }
        return String(digits.prefix(1)) + "." + String(digits.dropFirst()) + "e" + exponentText
    }

    /// The significant digits s (no leading or trailing zeros) and n such that x = 0.s × 10^n, for finite x > 0.
    static func shortestDigits(_ x: Double) -> (digits: String, n: Int) {
        let text = x.description
        let parts = text.split(separator: "e", maxSplits: 1)
        let exponent = parts.count == 2 ? Int(parts[1]) ?? 0 : 0
        let mantissa = parts[0].split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let integerPart = mantissa[0]
        let fractionPart = mantissa.count == 2 ? mantissa[1] : ""
        var digits = Substring(integerPart + fractionPart)
        var point = integerPart.count + exponent
        while digits.first == "0" {
            digits = digits.dropFirst()
            point -= 1
        }
        while digits.last == "0" { digits = digits.dropLast() }
        return (String(digits), point)
    }
}
