import BridgeCore

/// A 20-byte Ethereum account address, printed in its EIP-55 mixed-case checksum form.
public struct EthereumAddress: Hashable, Sendable, CustomStringConvertible {
    /// The 20 address bytes.
    public let bytes: [UInt8]

    /// An address from its 20 raw bytes.
    public init(bytes: [UInt8]) throws(CryptoError) {
        guard bytes.count == 20 else {
            throw .invalidLength(what: "An Ethereum address", expected: "20", actual: bytes.count)
        }
        self.bytes = bytes
    }

    /// The address of `publicKey`: the last 20 bytes of keccak256 of the 64-byte x || y point.
    // Ethereum Yellow Paper, Appendix F (A(p_r) = B_96..255(KEC(ECDSAPUBKEY(p_r)))).
    public init(publicKey: PublicKey) {
        let point = publicKey.uncompressed.dropFirst()  // drop the SEC1 0x04 prefix
        self.bytes = Array(Keccak256.hash(Array(point)).suffix(20))
    }

    /// Parses `0x` followed by 40 hex digits.
    ///
    /// All-lowercase and all-uppercase digits carry no checksum and are accepted as they are; mixed case must be
    /// exactly the EIP-55 form, and the error for a wrong one shows the correct form.
    public init(parsing text: String) throws(CryptoError) {
        var bytes = [UInt8]()
        bytes.reserveCapacity(20)
        try EthereumAddress.decode(text, appendingTo: &bytes)
        self.bytes = bytes
    }

    /// The EIP-55 checksummed text, `0x` + 40 hex digits in mixed case.
    public var checksummed: String {
        var lowercase = Array(Hex.encode(bytes).utf8)
        EthereumAddress.applyChecksum(toLowercaseDigits: &lowercase)
        return "0x" + String(decoding: lowercase, as: UTF8.self)
    }

    public var description: String { checksummed }

    /// True when `text` is exactly the EIP-55 checksummed form of an address (`0x` + 40 hex digits).
    ///
    /// All-lowercase or all-uppercase text is only "valid" here when it happens to equal the checksummed form;
    /// ``init(parsing:)`` is the lenient reader.
    public static func isValidChecksum(_ text: String) -> Bool {
        guard let address = try? EthereumAddress(parsing: text) else { return false }
        return address.checksummed == text
    }

    /// Validates `text` as ``init(parsing:)`` does and appends its 20 bytes to `output`, so the EIP-712 encoder can
    /// write straight into its buffer. After a throw, `output` may hold part of the address.
    static func decode(_ text: String, appendingTo output: inout [UInt8]) throws(CryptoError) {
        var contiguous = text
        // Works on the raw UTF-8 (no per-character String indexing): this runs for every address in typed data.
        let problem = contiguous.withUTF8 { decode(utf8: $0, appendingTo: &output) }
        switch problem {
        case nil:
            return
        case .missingPrefix:
            throw .invalidAddress("\(quoted(text)) does not start with 0x (an Ethereum address is 0x + 40 hex digits)")
        case .wrongLength(let digits):
            throw .invalidAddress("\(quoted(text)) has \(digits) hex digits after 0x, expected 40")
        case .notHex(let position):
            let shown = String(decoding: Array(text.utf8)[position...].prefix(1), as: UTF8.self)
            throw .invalidAddress("\(quoted(text)) has \(quoted(shown)) at position \(position), which is not a hex digit")
        case .badChecksum:
            let correct = (try? EthereumAddress(bytes: Array(output.suffix(20))))?.checksummed ?? "?"
            throw .invalidAddress("\(quoted(text)) has an invalid EIP-55 checksum; the checksummed form is \(correct)")
        }
    }

    private enum DecodingProblem {
        case missingPrefix
        case wrongLength(digits: Int)
        case notHex(position: Int)
        case badChecksum
    }

    private static func decode(utf8: UnsafeBufferPointer<UInt8>, appendingTo output: inout [UInt8]) -> DecodingProblem? {
        guard utf8.count >= 2, utf8[0] == UInt8(ascii: "0"), utf8[1] == UInt8(ascii: "x") else { return .missingPrefix }
        guard utf8.count == 42 else { return .wrongLength(digits: utf8.count - 2) }
        // One scratch area: the 40 lowercase digits the checksum hashes, then the 20 decoded bytes.
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 60) { scratch -> DecodingProblem? in
            let lowercase = UnsafeMutableBufferPointer(rebasing: scratch[0..<40])
            let bytes = UnsafeMutableBufferPointer(rebasing: scratch[40..<60])
            var sawLower = false
            var sawUpper = false
            for index in 0..<40 {
                let char = utf8[index + 2]
                guard let nibble = Hex.nibble(char) else { return .notHex(position: index + 2) }
                if char >= UInt8(ascii: "a") {
                    sawLower = true
                } else if char >= UInt8(ascii: "A") {
                    sawUpper = true
                }
                lowercase[index] = char | (char >= UInt8(ascii: "A") ? 0x20 : 0)
                if index % 2 == 0 {
                    bytes[index / 2] = nibble << 4
                } else {
                    bytes[index / 2] |= nibble
                }
            }
            output.append(contentsOf: bytes)
            // Lowercase-only or uppercase-only text carries no checksum (EIP-55: "backwards compatible").
            guard sawLower && sawUpper else { return nil }
            var hasher = Keccak256()
            hasher.update(UnsafeRawBufferPointer(lowercase))
            let hash = hasher.finalize()
            for index in 0..<40 where lowercase[index] >= UInt8(ascii: "a") {
                let nibble = index % 2 == 0 ? hash[index / 2] >> 4 : hash[index / 2] & 0x0F
                let isUpper = utf8[index + 2] < UInt8(ascii: "a")
                if isUpper != (nibble >= 8) { return .badChecksum }
            }
            return nil
        }
    }

    /// Upper-cases each hex letter whose matching nibble of keccak256(lowercase digits) is 8 or more.
    // ethereum/EIPs EIPS/eip-55.md, "Specification".
    static func applyChecksum(toLowercaseDigits digits: inout [UInt8]) {
        let hash = Keccak256.hash(digits)
        for index in digits.indices where digits[index] >= UInt8(ascii: "a") {
            let byte = hash[index / 2]
            let nibble = index % 2 == 0 ? byte >> 4 : byte & 0x0F
            if nibble >= 8 { digits[index] -= 0x20 }
        }
    }

    /// `text` in quotes, shortened so a hostile megabyte of input cannot flood an error message.
    static func quoted(_ text: String) -> String {
        let limit = 60
        guard text.utf8.count > limit else { return "\"\(text)\"" }
        return "\"\(text.prefix(limit))…\" (\(text.utf8.count) bytes)"
    }
}
