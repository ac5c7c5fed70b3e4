/// The exact value of a decimal number's text (`-100.50`, `1e+36`, `0.000001`), in one canonical form, so two texts
/// can be compared by value without going through binary floating point: `100.5`, `100.50` and `1.005e2` are equal.
///
/// The value is `(negative ? -1 : 1) × significand × 10^exponent`, where `significand` holds the decimal digits
/// without leading or trailing zeros (empty for zero, which is never negative).
public struct DecimalLiteral: Sendable, Hashable, CustomStringConvertible {
    public let negative: Bool
    /// Decimal digits (ASCII), no leading or trailing zero; empty for zero.
    public let significand: String
    public let exponent: Int

    /// Parses JSON number syntax, and the forms JavaScript prints (`1e+21`, `-5e-7`): an optional `-`, digits with at
    /// most one `.`, and an optional exponent with an optional sign. Nil for anything else (`Infinity`, `NaN`, `""`),
    /// for texts over 1,024 characters and for exponents beyond ±100,000 (nothing that large is money).
    public init?(_ text: some StringProtocol) {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty, bytes.count <= 1024 else { return nil }
        var index = 0
        let negative = bytes[0] == UInt8(ascii: "-")
        if negative { index += 1 }
        var digits: [UInt8] = []
        var fractionDigits = 0
        var sawPoint = false
        var sawDigit = false
        while index < bytes.count, bytes[index] != UInt8(ascii: "e"), bytes[index] != UInt8(ascii: "E") {
            let byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: ".") {
                guard !sawPoint else { return nil }
                sawPoint = true
                continue
            }
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            sawDigit = true
            if sawPoint { fractionDigits += 1 }
            // Leading zeros carry no value.
            if digits.isEmpty, byte == UInt8(ascii: "0") { continue }
            digits.append(byte)
        }
        guard sawDigit else { return nil }
        var exponent = 0
        if index < bytes.count {
            index += 1  // e or E
            var exponentNegative = false
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                exponentNegative = bytes[index] == UInt8(ascii: "-")
                index += 1
            }
            guard index < bytes.count else { return nil }
            while index < bytes.count {
                let byte = bytes[index]
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                exponent = exponent * 10 + Int(byte - UInt8(ascii: "0"))
                guard exponent <= 100_000 else { return nil }
                index += 1
            }
            if exponentNegative { exponent = -exponent }
        }
        // Leading zeros after the point were skipped while counting fraction digits, which is still right: the value
        // is digits × 10^(exponent - fractionDigits). Trailing zeros move into the exponent.
        exponent -= fractionDigits
        while digits.last == UInt8(ascii: "0") {
            digits.removeLast()
            exponent += 1
        }
        if digits.isEmpty {
            self.negative = false
            self.significand = ""
            self.exponent = 0
        } else {
            self.negative = negative
            self.significand = String(decoding: digits, as: UTF8.self)
            self.exponent = exponent
        }
    }

    /// `0`, or the significand and exponent, e.g. `-1005e-1` for -100.50: one text per value.
    public var description: String {
        if significand.isEmpty { return "0" }
        return (negative ? "-" : "") + significand + (exponent == 0 ? "" : "e\(exponent)")
    }
}

extension JSONNumber {
    /// True when JavaScript's `String(Number(literal))` has the same value as the literal, i.e. when a sender that
    /// parsed this JSON with `JSON.parse` and printed it back (the CRM, signing its request) saw exactly this number.
    /// `90071992547409.91` prints as `90071992547409.9` and is false; `100.50`, `1e2` and `1e36` are true.
    public var survivesJavaScriptNumber: Bool {
        if Self.hasFewSignificantDigits(text) { return true }
        guard let literal = DecimalLiteral(text), let printed = DecimalLiteral(javaScriptString) else { return false }
        return literal == printed
    }

    /// The common case without parsing or printing a double (every transfer's amount goes through this): a short
    /// literal without exponent and with at most 15 significant digits. Any such decimal survives a round trip through
    /// a double, which keeps 15 significant decimal digits exactly (DBL_DIG), and its magnitude is far from overflow
    /// and underflow.
    public static func hasFewSignificantDigits(_ text: String) -> Bool {
        guard text.utf8.count <= 40 else { return false }
        var significant = 0, pendingZeros = 0, seenNonZero = false, seenDigit = false
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0"):
                seenDigit = true
                if seenNonZero { pendingZeros += 1 }
            case UInt8(ascii: "1")...UInt8(ascii: "9"):
                significant += pendingZeros + 1
                pendingZeros = 0
                seenNonZero = true
                seenDigit = true
            case UInt8(ascii: "."), UInt8(ascii: "-"):
                continue
            default:
                return false  // an exponent, or not a number: the full comparison decides
            }
        }
        return seenDigit && significant <= 15
    }
}
