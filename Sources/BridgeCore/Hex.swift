/// Hexadecimal text <-> bytes, as the contract prints hashes, keys and signatures.
public enum Hex {
    @usableFromInline static let digits = Array("0123456789abcdef".utf8)
    @usableFromInline static let uppercaseDigits = Array("0123456789ABCDEF".utf8)

    /// Lowercase hex of `bytes`, without a prefix. Inlinable, so each caller gets it specialized for its collection
    /// instead of stepping through a generic sequence byte by byte.
    @inlinable
    public static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        String(decoding: encodedBytes(bytes), as: UTF8.self)
    }

    /// The hex digits of `bytes` as ASCII bytes, lowercase unless `uppercase` (the CRM signature's form), for a
    /// caller that hashes or compares them rather than printing them.
    @inlinable
    public static func encodedBytes<Bytes: Sequence>(_ bytes: Bytes, uppercase: Bool = false) -> [UInt8]
    where Bytes.Element == UInt8 {
        let table = uppercase ? uppercaseDigits : digits
        var out = [UInt8]()
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            out.append(table[Int(byte >> 4)])
            out.append(table[Int(byte & 0x0F)])
        }
        return out
    }

    /// `value` in lowercase hex, zero-padded to at least `digits` digits (C's `%04x` for `digits: 4`).
    public static func padded(_ value: some BinaryInteger, digits: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }

    /// Lowercase hex of `bytes` with the `0x` prefix Ethereum tools print.
    @inlinable
    public static func encodePrefixed<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        "0x" + encode(bytes)
    }

    /// The bytes of `text`: an even number of hex digits (either case), with an optional `0x`/`0X` prefix.
    /// Returns nil for anything else.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var utf8 = Substring(text).utf8[...]
        if utf8.count >= 2, utf8.first == UInt8(ascii: "0"),
           let x = utf8.dropFirst().first, x == UInt8(ascii: "x") || x == UInt8(ascii: "X") {
            utf8 = utf8.dropFirst(2)
        }
        guard utf8.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(utf8.count / 2)
        var high: UInt8?
        for char in utf8 {
            guard let nibble = nibble(char) else { return nil }
            if let h = high {
                out.append(h << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        return out
    }

    /// The value of one ASCII hex digit, or nil.
    @inlinable
    public static func nibble(_ char: UInt8) -> UInt8? {
        switch char {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): char - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): char - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): char - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
