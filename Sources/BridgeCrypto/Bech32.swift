import BridgeCore

/// Bech32 (BIP-173) and Bech32m (BIP-350) strings: a human-readable part, "1", 5-bit data and a 6-character checksum.
public enum Bech32 {
    /// Which checksum constant a string uses.
    public enum Variant: Sendable, Equatable, CustomStringConvertible {
        /// BIP-173: segwit version 0 addresses.
        case bech32
        /// BIP-350: segwit version 1 and above.
        case bech32m

        /// The value the checksum polymod must equal.
        var checksumConstant: UInt32 {
            switch self {
            case .bech32: 1  // bitcoin/bips bip-0173.mediawiki, "Checksum"
            case .bech32m: 0x2bc8_30a3  // bitcoin/bips bip-0350.mediawiki, "Bech32m" (M = 0x2bc830a3)
            }
        }

        /// "Bech32" or "Bech32m", for messages.
        public var description: String {
            switch self {
            case .bech32: "Bech32"
            case .bech32m: "Bech32m"
            }
        }
    }

    /// Longest string allowed (bitcoin/bips bip-0173.mediawiki, "Bech32": "at most 90 characters").
    public static let maximumLength = 90
    /// The data characters, value 0 first (bitcoin/bips bip-0173.mediawiki, "Bech32").
    static let charset = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)
    static let checksumLength = 6

    /// ASCII lowercase byte -> 5-bit value, 0xFF for bytes outside the charset.
    static let charsetValues: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, char) in charset.enumerated() { table[Int(char)] = UInt8(value) }
        return table
    }()

    /// Encodes `values` (each 0...31) under `hrp`. The HRP is written in lowercase, as BIP-173 says encoders must.
    public static func encode(hrp: String, values: [UInt8], variant: Variant) throws(CryptoError) -> String {
        let hrpBytes = Array(hrp.utf8)
        guard !hrpBytes.isEmpty else { throw .invalidEncoding("Bech32 human-readable part is empty") }
        for (position, byte) in hrpBytes.enumerated() where !(33...126).contains(byte) {
            throw .invalidEncoding("Bech32 human-readable part has byte 0x\(Hex.encode([byte])) at position \(position); allowed are ASCII 33...126")
        }
        for (index, value) in values.enumerated() where value > 31 {
            throw .invalidEncoding("Bech32 data value \(value) at index \(index) does not fit in 5 bits")
        }
        let length = hrpBytes.count + 1 + values.count + checksumLength
        guard length <= maximumLength else {
            throw .invalidEncoding("Bech32 string would be \(length) characters; the limit is \(maximumLength)")
        }
        return encodeValidated(hrp: hrpBytes.map(lowercased), values: values, variant: variant)
    }

    /// Encodes inputs already known to be valid: lowercase HRP bytes in 33...126, 5-bit values, within the length limit.
    static func encodeValidated(hrp: [UInt8], values: [UInt8], variant: Variant) -> String {
        var text = hrp
        text.reserveCapacity(hrp.count + 1 + values.count + checksumLength)
        text.append(UInt8(ascii: "1"))
        for value in values { text.append(charset[Int(value)]) }
        for value in checksum(hrp: hrp, values: values, variant: variant) { text.append(charset[Int(value)]) }
        return String(decoding: text, as: UTF8.self)
    }

    /// Decodes a Bech32 or Bech32m string; the HRP comes back in lowercase and the checksum is not included in `values`.
    public static func decode(_ text: String) throws(CryptoError) -> (hrp: String, values: [UInt8], variant: Variant) {
        try decode(Array(text.utf8))
    }

    /// Decodes the raw bytes of a candidate string, so that inputs that are not ASCII can be refused precisely.
    public static func decode(_ bytes: [UInt8]) throws(CryptoError) -> (hrp: String, values: [UInt8], variant: Variant) {
        guard bytes.count <= maximumLength else {
            throw .invalidEncoding("Bech32 string is \(bytes.count) characters; the limit is \(maximumLength)")
        }
        var hasLower = false
        var hasUpper = false
        for (position, byte) in bytes.enumerated() {
            guard (33...126).contains(byte) else {
                throw .invalidEncoding("Bech32 string has byte 0x\(Hex.encode([byte])) at position \(position); allowed are ASCII 33...126")
            }
            if (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) { hasLower = true }
            if (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) { hasUpper = true }
        }
        guard !(hasLower && hasUpper) else {
            throw .invalidEncoding("Bech32 string mixes upper and lower case")
        }
        let lower = bytes.map(lowercased)
        // The separator is the LAST "1": the HRP may itself contain "1".
        guard let separator = lower.lastIndex(of: UInt8(ascii: "1")) else {
            throw .invalidEncoding("Bech32 string has no separator '1'")
        }
        guard separator > 0 else { throw .invalidEncoding("Bech32 human-readable part is empty") }
        let dataCount = lower.count - separator - 1
        guard dataCount >= checksumLength else {
            throw .invalidEncoding("Bech32 data part has \(dataCount) characters, fewer than the 6 of the checksum")
        }
        let hrp = Array(lower[..<separator])
        var values = [UInt8]()
        values.reserveCapacity(dataCount)
        for position in (separator + 1)..<lower.count {
            let value = charsetValues[Int(lower[position])]
            guard value != 0xFF else {
                throw .invalidEncoding(
                    "Bech32 string has character '\(Character(Unicode.Scalar(bytes[position])))' at position \(position), "
                        + "which is not in the data alphabet (no 1, b, i or o)")
            }
            values.append(value)
        }
        let residue = polymod(hrp: hrp, values: values)
        let variant: Variant
        switch residue {
        case Variant.bech32.checksumConstant: variant = .bech32
        case Variant.bech32m.checksumConstant: variant = .bech32m
        default: throw .invalidEncoding("Bech32 checksum is wrong (neither Bech32 nor Bech32m): the string is mistyped")
        }
        values.removeLast(checksumLength)
        return (String(decoding: hrp, as: UTF8.self), values, variant)
    }

    /// Regroups bits: `fromBits`-bit values into `toBits`-bit values, most significant bit first.
    ///
    /// With `pad`, the last group is filled with zero bits (encoding 8 -> 5). Without it (decoding 5 -> 8) the input
    /// must end with fewer than `fromBits` bits of zero padding (bitcoin/bips bip-0173.mediawiki, "Segwit address
    /// format": "Any incomplete group at the end MUST be 4 bits or less, MUST be all zeroes, and is discarded").
    public static func convertBits(_ data: [UInt8], fromBits: Int, toBits: Int, pad: Bool) throws(CryptoError) -> [UInt8] {
        guard (1...8).contains(fromBits), (1...8).contains(toBits) else {
            throw .invalidEncoding("bit groups must be 1...8 bits wide, got \(fromBits) -> \(toBits)")
        }
        var accumulator: UInt32 = 0
        var bits = 0
        let maxValue: UInt32 = (1 << toBits) - 1
        var out = [UInt8]()
        out.reserveCapacity((data.count * fromBits + toBits - 1) / toBits)
        for (index, value) in data.enumerated() {
            guard value >> fromBits == 0 else {
                throw .invalidEncoding("value \(value) at index \(index) does not fit in \(fromBits) bits")
            }
            accumulator = (accumulator << fromBits) | UInt32(value)
            bits += fromBits
            while bits >= toBits {
                bits -= toBits
                out.append(UInt8((accumulator >> bits) & maxValue))
            }
            accumulator &= (1 << bits) - 1
        }
        if pad {
            if bits > 0 { out.append(UInt8((accumulator << (toBits - bits)) & maxValue)) }
        } else {
            guard bits < fromBits else {
                throw .invalidEncoding("\(bits) bits of padding at the end; at most \(fromBits - 1) are allowed")
            }
            guard accumulator == 0 else {
                throw .invalidEncoding("the padding bits at the end are not all zero")
            }
        }
        return out
    }

    /// 8-bit bytes as 5-bit values with zero padding: cannot fail.
    static func fiveBitValues(_ bytes: [UInt8]) -> [UInt8] {
        var accumulator: UInt32 = 0
        var bits = 0
        var out = [UInt8]()
        out.reserveCapacity((bytes.count * 8 + 4) / 5)
        for byte in bytes {
            accumulator = (accumulator << 8) | UInt32(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                out.append(UInt8((accumulator >> bits) & 31))
            }
            accumulator &= (1 << bits) - 1
        }
        if bits > 0 { out.append(UInt8((accumulator << (5 - bits)) & 31)) }
        return out
    }

    // bitcoin/bips bip-0173.mediawiki, "Checksum": the BCH code's generator coefficients.
    private static let generator: [UInt32] = [0x3b6a_57b2, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3]

    /// The checksum polymod over the expanded HRP, the data values and any checksum values already appended.
    static func polymod(hrp: [UInt8], values: [UInt8], trailingZeros: Int = 0) -> UInt32 {
        var checksum: UInt32 = 1
        func feed(_ value: UInt8) {
            let top = checksum >> 25
            checksum = (checksum & 0x1ff_ffff) << 5 ^ UInt32(value)
            for bit in 0..<5 where (top >> bit) & 1 == 1 { checksum ^= generator[bit] }
        }
        // HRP expansion (bip-0173 `bech32_hrp_expand`): high bits, a zero, low bits.
        for byte in hrp { feed(byte >> 5) }
        feed(0)
        for byte in hrp { feed(byte & 31) }
        for value in values { feed(value) }
        for _ in 0..<trailingZeros { feed(0) }
        return checksum
    }

    static func checksum(hrp: [UInt8], values: [UInt8], variant: Variant) -> [UInt8] {
        let residue = polymod(hrp: hrp, values: values, trailingZeros: checksumLength) ^ variant.checksumConstant
        return (0..<checksumLength).map { UInt8((residue >> (5 * (5 - $0))) & 31) }
    }

    static func lowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
    }
}
