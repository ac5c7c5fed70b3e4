/// A BIP-32 derivation path such as `m/44'/60'/0'/0/0`: child indexes from the master key down.
public struct DerivationPath: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// The child indexes, hardened ones with `hardenedOffset` added.
    public let indexes: [UInt32]

    /// Added to an index to make it hardened (bitcoin/bips bip-0032.mediawiki, "Child key derivation (CKD)
    /// functions": indexes 2^31...2^32-1 are hardened).
    public static let hardenedOffset: UInt32 = 0x8000_0000

    /// The most levels a path may have: BIP-32 serializes the depth as one byte
    /// (bitcoin/bips bip-0032.mediawiki, "Serialization format").
    public static let maximumDepth = 255

    /// The empty path: the master key itself.
    public static let master = DerivationPath(indexes: [])

    /// A path from raw indexes (hardened ones already include `hardenedOffset`).
    public init(indexes: [UInt32]) {
        self.indexes = indexes
    }

    /// Parses `m/44'/60'/0'/0/0`. `'`, `h` or `H` marks a hardened index; the leading `m/` is optional; `m` alone is
    /// the master key. Signs, whitespace, empty components and indexes of 2^31 or more (before hardening) are refused.
    public init(parsing text: String) throws(CryptoError) {
        guard !text.isEmpty else {
            throw .invalidDerivationPath("the path is empty; write m for the master key")
        }
        var components = text.split(separator: "/", omittingEmptySubsequences: false)
        if components.first == "m" { components.removeFirst() }
        guard components.count <= Self.maximumDepth else {
            throw .invalidDerivationPath("the path has \(components.count) levels; BIP-32 allows at most \(Self.maximumDepth)")
        }
        var indexes = [UInt32]()
        indexes.reserveCapacity(components.count)
        for (position, component) in components.enumerated() {
            indexes.append(try Self.parseIndex(component, level: position + 1))
        }
        self.indexes = indexes
    }

    private static func parseIndex(_ component: Substring, level: Int) throws(CryptoError) -> UInt32 {
        let described = "level \(level) ('\(component)')"
        guard !component.isEmpty else {
            throw .invalidDerivationPath("level \(level) is empty (two slashes in a row, or a trailing slash)")
        }
        var digits = component.utf8[...]
        var hardened = false
        if let last = digits.last, last == UInt8(ascii: "'") || last == UInt8(ascii: "h") || last == UInt8(ascii: "H") {
            hardened = true
            digits = digits.dropLast()
        }
        if let first = component.unicodeScalars.first, first == "+" || first == "-" {
            throw .invalidDerivationPath("\(described) has a sign; write the index as plain digits")
        }
        if component.unicodeScalars.contains(where: { $0.properties.isWhitespace }) {
            throw .invalidDerivationPath("\(described) contains whitespace")
        }
        guard !digits.isEmpty else {
            throw .invalidDerivationPath("\(described) has no digits before the hardened mark")
        }
        guard digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            throw .invalidDerivationPath("\(described) is not a number: write digits, then optionally ' or h for hardened")
        }
        var value: UInt64 = 0
        for byte in digits {
            value = value * 10 + UInt64(byte - UInt8(ascii: "0"))
            // Stop before the value can overflow; anything from 2^31 up is refused below anyway.
            if value >= UInt64(hardenedOffset) { break }
        }
        guard value < UInt64(hardenedOffset) else {
            throw .invalidDerivationPath("\(described) is 2^31 or more; indexes are 0...2147483647 before the hardened mark")
        }
        return UInt32(value) + (hardened ? hardenedOffset : 0)
    }

    /// `m/44'/60'/0'/0/0`, with `'` for hardened indexes; `m` for the master key.
    public var description: String {
        var text = "m"
        for index in indexes {
            text += "/"
            text += index >= Self.hardenedOffset ? "\(index - Self.hardenedOffset)'" : "\(index)"
        }
        return text
    }

    /// The BIP-43 purpose (44, 49, 84, ...): the first index without the hardened bit, when it is hardened.
    public var purpose: UInt32? {
        guard let first = indexes.first, first >= Self.hardenedOffset else { return nil }
        return first - Self.hardenedOffset
    }

    /// This path with one more level.
    public func appending(_ index: UInt32) -> DerivationPath {
        DerivationPath(indexes: indexes + [index])
    }
}
