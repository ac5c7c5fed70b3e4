/// A currency the service handles, with the number of decimals its amounts carry (USD 2, BTC 8).
public struct Currency: Sendable, Hashable, Codable {
    public let code: String
    public let decimals: Int

    public init(code: String, decimals: Int) throws(ApprovalError) {
        guard !code.isEmpty, code.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw .invalidRequest("currency code \"\(code)\" must be printable ASCII without spaces")
        }
        guard (0...18).contains(decimals) else {
            throw .invalidRequest("\(code) has \(decimals) decimals; 0 to 18 are supported")
        }
        self.code = code
        self.decimals = decimals
    }
}

/// Exact money: amounts are `Int64` counts of the currency's minor unit (cents, satoshis), parsed from the decimal
/// text of the JSON number and printed back as decimal text. Binary floating point never touches them.
public enum MinorUnits {
    /// The largest magnitude accepted, so sums of many amounts stay far from `Int64` overflow.
    public static let maximumMagnitude: Int64 = 1_000_000_000_000_000_000 / 10  // 10^17

    /// Parses a JSON number literal (`-100.5`, `1000.50`, `2E3`) or the same text in a string into minor units of
    /// `decimals`. More precision than `decimals` allows (`0.001` USD) is `invalid_amount`; trailing zeros are fine.
    public static func parse(_ text: String, decimals: Int) throws(ApprovalError) -> Int64 {
        var utf8 = Substring(text).utf8[...]
        let negative = utf8.first == UInt8(ascii: "-")
        if negative { utf8 = utf8.dropFirst() }
        var digits: [UInt8] = []
        var fractionDigits = 0
        var seenPoint = false
        var sawDigit = false
        while let char = utf8.first, char != UInt8(ascii: "e"), char != UInt8(ascii: "E") {
            utf8 = utf8.dropFirst()
            if char == UInt8(ascii: ".") {
                guard !seenPoint else { throw .invalidAmount("\"\(text)\" has two decimal points") }
                seenPoint = true
                continue
            }
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(char) else {
                throw .invalidAmount("\"\(text)\" is not a decimal number")
            }
            sawDigit = true
            digits.append(char - UInt8(ascii: "0"))
            if seenPoint { fractionDigits += 1 }
        }
        guard sawDigit else { throw .invalidAmount("\"\(text)\" is not a decimal number") }
        var exponent = 0
        if !utf8.isEmpty {
            utf8 = utf8.dropFirst()  // e or E
            guard let parsed = Int(String(decoding: utf8, as: UTF8.self)), abs(parsed) <= 400 else {
                throw .invalidAmount("\"\(text)\" has a malformed exponent")
            }
            exponent = parsed
        }
        // value = digits x 10^(exponent - fractionDigits); minor units = value x 10^decimals.
        var shift = exponent - fractionDigits + decimals
        while shift < 0 {
            guard let last = digits.last else { break }
            guard last == 0 else {
                throw .invalidAmount("\"\(text)\" has more precision than the currency's \(decimals) decimals")
            }
            digits.removeLast()
            shift += 1
        }
        var magnitude: Int64 = 0
        for digit in digits + [UInt8](repeating: 0, count: max(0, shift)) {
            let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(Int64(digit))
            guard !overflow1, !overflow2, sum <= maximumMagnitude else {
                throw .invalidAmount("\"\(text)\" is too large")
            }
            magnitude = sum
        }
        return negative ? -magnitude : magnitude
    }

    /// The decimal text of `amount` with exactly `decimals` fraction digits: `-100.50`, `0.00000001`, `5` (0 decimals).
    public static func format(_ amount: Int64, decimals: Int) -> String {
        let magnitude = amount.magnitude
        var text = String(magnitude)
        if decimals > 0 {
            if text.count <= decimals { text = String(repeating: "0", count: decimals - text.count + 1) + text }
            text.insert(".", at: text.index(text.endIndex, offsetBy: -decimals))
        }
        return amount < 0 ? "-" + text : text
    }
}
