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

/// Exact money: amounts are signed 128-bit counts of the currency's minor unit (cents, satoshis, wei), parsed from the
/// decimal text of the JSON number and printed back as decimal text. Binary floating point never touches them.
///
/// One amount may be up to 10^36 minor units in magnitude (10^18 whole units of an 18-decimal currency, CONTRACT 4).
/// Balances, holds and sums may grow to the whole `Int128` range; every change to them goes through ``adding(_:_:_:)``
/// so a sum that would not fit is refused as `invalid_amount` before anything changes, never wrapped or trapped.
public enum MinorUnits {
    /// The largest magnitude one amount may have: 10^36.
    public static let maximumMagnitude: Int128 = {
        var value: Int128 = 1
        for _ in 0..<36 { value *= 10 }
        return value
    }()

    /// Parses a JSON number literal (`-100.5`, `1000.50`, `2E3`) or the same text in a string into minor units of
    /// `decimals`. More precision than `decimals` allows (`0.001` USD) is `invalid_amount`; trailing zeros are fine.
    /// Magnitudes above ``maximumMagnitude`` are `invalid_amount`.
    public static func parse(_ text: String, decimals: Int) throws(ApprovalError) -> Int128 {
        guard text.utf8.count <= 512 else { throw .invalidAmount("the amount's text is longer than 512 characters") }
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
            // Leading zeros carry no value; dropping them keeps `000...0001` from counting as a long number.
            if digits.isEmpty, char == UInt8(ascii: "0"), !seenPoint { continue }
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
        if digits.isEmpty { return 0 }
        // More than 37 significant digits cannot be at or below 10^36: refuse before the loop could run long.
        guard digits.count + max(0, shift) <= 37 else { throw .invalidAmount("\"\(text)\" is too large") }
        var magnitude: Int128 = 0
        for digit in digits + [UInt8](repeating: 0, count: max(0, shift)) {
            magnitude = magnitude * 10 + Int128(digit)  // at most 37 digits: far from Int128's 38.
        }
        guard magnitude <= maximumMagnitude else {
            throw .invalidAmount("\"\(text)\" is too large: one amount may be at most 10^36 minor units")
        }
        return negative ? -magnitude : magnitude
    }

    /// The decimal text of `amount` with exactly `decimals` fraction digits: `-100.50`, `0.00000001`, `5` (0 decimals).
    public static func format(_ amount: Int128, decimals: Int) -> String {
        // Built as ASCII bytes (every balance answer formats one): 64-bit digits when the amount fits, which the
        // standard library writes far faster than a 128-bit integer's.
        let magnitude = amount.magnitude
        var digits = Array((magnitude <= UInt64.max ? String(UInt64(magnitude)) : String(magnitude)).utf8)
        if decimals > 0 {
            if digits.count <= decimals {
                digits.insert(contentsOf: repeatElement(UInt8(ascii: "0"), count: decimals - digits.count + 1), at: 0)
            }
            digits.insert(UInt8(ascii: "."), at: digits.count - decimals)
        }
        if amount < 0 { digits.insert(UInt8(ascii: "-"), at: 0) }
        return String(decoding: digits, as: UTF8.self)
    }

    /// `lhs + rhs`, or `invalid_amount` naming `what` when the result does not fit in 128 bits: the service refuses
    /// a change it could not hold instead of wrapping or stopping.
    public static func adding(_ lhs: Int128, _ rhs: Int128, _ what: @autoclosure () -> String) throws(ApprovalError)
        -> Int128
    {
        let (sum, overflow) = lhs.addingReportingOverflow(rhs)
        guard !overflow else { throw .invalidAmount("\(what()) would exceed what the service can hold (2^127 - 1 minor units)") }
        return sum
    }

    /// `lhs - rhs`, checked as ``adding(_:_:_:)`` is.
    public static func subtracting(_ lhs: Int128, _ rhs: Int128, _ what: @autoclosure () -> String)
        throws(ApprovalError) -> Int128
    {
        let (difference, overflow) = lhs.subtractingReportingOverflow(rhs)
        guard !overflow else { throw .invalidAmount("\(what()) would exceed what the service can hold (2^127 - 1 minor units)") }
        return difference
    }

    /// The canonical decimal text stores keep amounts in (`-12345`): exact, no exponent, no leading zeros.
    public static func storageText(_ amount: Int128) -> String { String(amount) }

    /// Reads ``storageText(_:)`` back; nil for anything else.
    public static func fromStorageText(_ text: String) -> Int128? { Int128(text) }
}
