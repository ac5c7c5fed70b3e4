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
        // Decoded from a stack buffer, so that a short text becomes a small string and allocates nothing.
        withFormatted(amount, decimals: decimals) { String(decoding: $0, as: UTF8.self) }
    }

    /// Appends ``format(_:decimals:)``'s text to `out` as ASCII bytes, without making a `String` first: every balance
    /// answer writes one.
    public static func appendFormatted(_ amount: Int128, decimals: Int, to out: inout [UInt8]) {
        withFormatted(amount, decimals: decimals) { out.append(contentsOf: $0) }
    }

    /// Calls `body` with the text written into a temporary buffer on the stack.
    private static func withFormatted<Result>(_ amount: Int128, decimals: Int,
                                              _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        // ``Currency`` allows 0...18; clamped so that no caller can ask for an unbounded buffer.
        let decimals = min(max(decimals, 0), 64)
        // One stack buffer: the text (a sign, Int128's 39 digits, a point and the leading zeros of a fraction), then
        // the magnitude's 39 digits as scratch.
        let textCapacity = 42 + decimals
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: textCapacity + 39) { buffer in
            let out = UnsafeMutableBufferPointer(rebasing: buffer[..<textCapacity])
            let digits = UnsafeMutableBufferPointer(rebasing: buffer[textCapacity...])
            let length = writeFormatted(amount, decimals: decimals, into: out, digits: digits)
            return body(UnsafeBufferPointer(rebasing: out[..<length]))
        }
    }

    /// Writes the text into the start of `out` (room for 42 + `decimals` bytes, `decimals` in 0...64) and returns its
    /// length, with `digits` (39 bytes) as scratch. The digits are produced in 64-bit arithmetic, 19 at a time split
    /// off by one 128-bit division only above `UInt64.max`: `String(Int128)` and inserting the point into an array
    /// cost a balance read more than its lookup.
    private static func writeFormatted(_ amount: Int128, decimals: Int, into out: UnsafeMutableBufferPointer<UInt8>,
                                       digits: UnsafeMutableBufferPointer<UInt8>) -> Int {
        // The magnitude's digits, least significant first, into the end of `digits`.
        var start = digits.count
        func push(_ value: UInt64, fullWidth: Bool) {
            var value = value
            var written = 0
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: value % 10)
                value /= 10
                written += 1
            } while value != 0 || (fullWidth && written < 19)
        }
        var magnitude = amount.magnitude
        while magnitude > UInt128(UInt64.max) {
            let (high, low) = magnitude.quotientAndRemainder(dividingBy: 10_000_000_000_000_000_000)
            push(UInt64(low), fullWidth: true)
            magnitude = high
        }
        push(UInt64(magnitude), fullWidth: false)
        let count = digits.count - start

        var length = 0
        func put(_ byte: UInt8) { out[length] = byte; length += 1 }
        func put(digitsFrom from: Int, to end: Int) { for index in from..<end { put(digits[index]) } }
        if amount < 0 { put(UInt8(ascii: "-")) }
        if decimals == 0 {
            put(digitsFrom: start, to: digits.count)
        } else if count <= decimals {
            put(UInt8(ascii: "0"))
            put(UInt8(ascii: "."))
            for _ in 0..<(decimals - count) { put(UInt8(ascii: "0")) }
            put(digitsFrom: start, to: digits.count)
        } else {
            let point = digits.count - decimals
            put(digitsFrom: start, to: point)
            put(UInt8(ascii: "."))
            put(digitsFrom: point, to: digits.count)
        }
        return length
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
