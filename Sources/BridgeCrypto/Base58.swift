/// Base58 and Base58Check with the Bitcoin alphabet (legacy addresses, WIF, BIP-32 extended keys).
public enum Base58 {
    // bitcoin/bitcoin src/base58.cpp `pszBase58`: no 0, O, I or l, which are easy to misread.
    static let alphabet = Array("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".utf8)

    /// ASCII byte -> digit value, 0xFF for bytes outside the alphabet.
    static let digitValues: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, char) in alphabet.enumerated() { table[Int(char)] = UInt8(value) }
        return table
    }()

    /// Length of the Base58Check checksum (bitcoin/bitcoin src/base58.cpp `EncodeBase58Check`).
    static let checksumLength = 4

    /// The Base58 text of `bytes`: each leading zero byte becomes one leading "1".
    public static func encode(_ bytes: [UInt8]) -> String {
        let leadingZeros = bytes.prefix { $0 == 0 }.count
        // log(256) / log(58) < 1.38, so this many base-58 digits always suffice.
        var digits = [UInt8](repeating: 0, count: (bytes.count - leadingZeros) * 138 / 100 + 1)
        var used = 0
        for byte in bytes[leadingZeros...] {
            var carry = Int(byte)
            var index = 0
            // Multiply the little-endian base-58 number by 256 and add the byte.
            while carry != 0 || index < used {
                carry += 256 * Int(digits[index])
                digits[index] = UInt8(carry % 58)
                carry /= 58
                index += 1
            }
            used = index
        }
        var text = [UInt8](repeating: alphabet[0], count: leadingZeros)
        text.reserveCapacity(leadingZeros + used)
        for digit in digits[..<used].reversed() { text.append(alphabet[Int(digit)]) }
        return String(decoding: text, as: UTF8.self)
    }

    /// The bytes of Base58 `text`; each leading "1" becomes one leading zero byte. Whitespace is not skipped.
    public static func decode(_ text: String) throws(CryptoError) -> [UInt8] {
        var values = [UInt8]()
        values.reserveCapacity(text.utf8.count)
        for (position, scalar) in text.unicodeScalars.enumerated() {
            let value = scalar.isASCII ? digitValues[Int(scalar.value)] : 0xFF
            guard value != 0xFF else {
                let character = scalar.isASCII && scalar.value >= 0x20 && scalar.value < 0x7F
                    ? "'\(scalar)'" : "U+\(String(scalar.value, radix: 16, uppercase: true))"
                throw .invalidEncoding(
                    "Base58 text has character \(character) at position \(position), "
                        + "which is not in the Bitcoin alphabet (no 0, O, I or l)")
            }
            values.append(value)
        }
        let leadingOnes = values.prefix { $0 == 0 }.count
        // log(58) / log(256) < 0.733, so this many bytes always suffice.
        var bytes = [UInt8](repeating: 0, count: (values.count - leadingOnes) * 733 / 1000 + 1)
        var used = 0
        for value in values[leadingOnes...] {
            var carry = Int(value)
            var index = 0
            // Multiply the little-endian base-256 number by 58 and add the digit.
            while carry != 0 || index < used {
                carry += 58 * Int(bytes[index])
                bytes[index] = UInt8(carry & 0xFF)
                carry >>= 8
                index += 1
            }
            used = index
        }
        return [UInt8](repeating: 0, count: leadingOnes) + bytes[..<used].reversed()
    }

    /// Base58 of `payload || first 4 bytes of SHA-256d(payload)`. The payload includes any version byte(s).
    public static func encodeCheck(_ payload: [UInt8]) -> String {
        encode(payload + Hash.doubleSHA256(payload).prefix(checksumLength))
    }

    /// The payload (version byte(s) included) of Base58Check `text`, after verifying its 4-byte checksum.
    public static func decodeCheck(_ text: String) throws(CryptoError) -> [UInt8] {
        let bytes = try decode(text)
        guard bytes.count >= checksumLength else {
            throw .invalidEncoding("Base58Check text decodes to \(bytes.count) bytes, too short to hold a 4-byte checksum")
        }
        let payload = Array(bytes.dropLast(checksumLength))
        let checksum = Array(bytes.suffix(checksumLength))
        let expected = Array(Hash.doubleSHA256(payload).prefix(checksumLength))
        guard SecureBytes.constantTimeEqual(checksum, expected) else {
            throw .invalidEncoding("Base58Check checksum mismatch: the text is mistyped or truncated")
        }
        return payload
    }
}
