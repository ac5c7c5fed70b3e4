import BridgeCore

/// An EIP-712 `uintN` / `intN` value read from JSON, range-checked for its type and written as the 32-byte
/// two's complement word that encodeData uses.
///
/// Values are read digit by digit into 256 bits and never pass through `Double`, which would silently round
/// anything above 2^53 (token amounts routinely are).
struct FixedWidthInteger256 {
    /// The magnitude, least significant word first.
    private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    private var isNegative = false

    /// Reads `value` as an integer of `bits` bits: a JSON integer literal (no fraction or exponent), a decimal string
    /// with an optional leading `-`, or a `0x` hex string.
    init(_ value: JSONValue, bits: Int, signed: Bool) throws(TypedDataValueError) {
        let typeName = (signed ? "int" : "uint") + String(bits)
        let text: String
        switch value {
        case .number(let number):
            guard number.isIntegerLiteral else {
                throw TypedDataValueError("\(number.text) is not an integer (\(typeName) takes whole numbers without a fraction or exponent)")
            }
            text = number.text
        case .string(let string):
            text = string
        default:
            throw TypedDataValueError(
                "expected an integer for \(typeName) (a JSON number, a decimal string or a 0x-hex string), got a \(value.typeName)")
        }
        switch parse(text) {
        case .parsed: break
        case .malformed:
            throw TypedDataValueError("\(TypedDataValueError.show(value)) is not an integer (\(typeName) takes decimal or 0x-hex digits)")
        case .tooLarge:
            throw TypedDataValueError("\(TypedDataValueError.show(value)) does not fit in 256 bits, let alone \(typeName)")
        }
        if isNegative && !signed && magnitudeBitWidth > 0 {
            throw TypedDataValueError("\(TypedDataValueError.show(value)) is negative, but \(typeName) is unsigned")
        }
        guard isInRange(bits: bits, signed: signed) else {
            let range = signed ? "-2^\(bits - 1) to 2^\(bits - 1)-1" : "0 to 2^\(bits)-1"
            throw TypedDataValueError("\(TypedDataValueError.show(value)) is out of range for \(typeName) (\(range))")
        }
    }

    private enum ParseOutcome { case parsed, malformed, tooLarge }

    /// Reads an optional `-` and then decimal digits, or `0x` and hex digits.
    private mutating func parse(_ text: String) -> ParseOutcome {
        var utf8 = text.utf8[...]
        if utf8.first == UInt8(ascii: "-") {
            isNegative = true
            utf8 = utf8.dropFirst()
        }
        var radix: UInt64 = 10
        // eth-account reads "0x..." as hex; a sign before it is not accepted there either.
        if !isNegative, utf8.starts(with: "0x".utf8) || utf8.starts(with: "0X".utf8) {
            radix = 16
            utf8 = utf8.dropFirst(2)
        }
        guard !utf8.isEmpty else { return .malformed }
        for char in utf8 {
            guard let digit = Hex.nibble(char), UInt64(digit) < radix else { return .malformed }
            guard multiply(by: radix, adding: UInt64(digit)) else { return .tooLarge }
        }
        return .parsed
    }

    /// magnitude = magnitude * multiplier + addend; false on overflow past 256 bits.
    private mutating func multiply(by multiplier: UInt64, adding addend: UInt64) -> Bool {
        var carry = addend
        func step(_ word: inout UInt64) {
            let (high, low) = word.multipliedFullWidth(by: multiplier)
            let (sum, overflow) = low.addingReportingOverflow(carry)
            word = sum
            // high < multiplier, so adding the 1 cannot wrap.
            carry = high + (overflow ? 1 : 0)
        }
        step(&words.0)
        step(&words.1)
        step(&words.2)
        step(&words.3)
        return carry == 0
    }

    /// The number of significant bits of the magnitude.
    private var magnitudeBitWidth: Int {
        if words.3 != 0 { return 256 - words.3.leadingZeroBitCount }
        if words.2 != 0 { return 192 - words.2.leadingZeroBitCount }
        if words.1 != 0 { return 128 - words.1.leadingZeroBitCount }
        return 64 - words.0.leadingZeroBitCount
    }

    private var magnitudeIsPowerOfTwo: Bool {
        words.0.nonzeroBitCount + words.1.nonzeroBitCount + words.2.nonzeroBitCount + words.3.nonzeroBitCount == 1
    }

    /// uintN holds 0 ..< 2^N; intN holds -2^(N-1) ..< 2^(N-1). Minus zero is zero.
    private func isInRange(bits: Int, signed: Bool) -> Bool {
        let width = magnitudeBitWidth
        guard isNegative, width > 0 else { return width <= (signed ? bits - 1 : bits) }
        guard signed else { return false }
        return width <= bits - 1 || (width == bits && magnitudeIsPowerOfTwo)
    }

    /// Appends the 32-byte big-endian two's complement word (negative values sign-extended to 256 bits).
    func append(to buffer: inout [UInt8]) {
        var (w0, w1, w2, w3) = words
        if isNegative {
            // -m = ~m + 1, the carry running from the least significant word up.
            var carry: Bool
            (w0, carry) = (~w0).addingReportingOverflow(1)
            (w1, carry) = (~w1).addingReportingOverflow(carry ? 1 : 0)
            (w2, carry) = (~w2).addingReportingOverflow(carry ? 1 : 0)
            w3 = ~w3 &+ (carry ? 1 : 0)
        }
        for word in [w3, w2, w1, w0] {
            withUnsafeBytes(of: word.bigEndian) { buffer.append(contentsOf: $0) }
        }
    }
}
