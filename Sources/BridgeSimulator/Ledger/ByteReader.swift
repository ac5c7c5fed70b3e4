/// Reads the fields of an APDU body or of a host's answer front to back; every read fails with the status word the
/// caller names, as the apps' `buffer_read_*` helpers make their handlers do.
struct ByteReader {
    private let bytes: [UInt8]
    private(set) var offset = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    var remaining: Int { bytes.count - offset }
    var isAtEnd: Bool { offset == bytes.count }

    mutating func u8(or failure: UInt16) throws(APDUFailure) -> UInt8 {
        guard remaining >= 1 else { throw APDUFailure(failure) }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func bytes(_ count: Int, or failure: UInt16) throws(APDUFailure) -> [UInt8] {
        guard count >= 0, remaining >= count else { throw APDUFailure(failure) }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    mutating func u32BigEndian(or failure: UInt16) throws(APDUFailure) -> UInt32 {
        try bytes(4, or: failure).reduce(0) { $0 << 8 | UInt32($1) }
    }

    mutating func u64BigEndian(or failure: UInt16) throws(APDUFailure) -> UInt64 {
        try bytes(8, or: failure).reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// Bitcoin's CompactSize integer (1, 3, 5 or 9 bytes, little-endian after the marker).
    mutating func varint(or failure: UInt16) throws(APDUFailure) -> UInt64 {
        let marker = try u8(or: failure)
        let width: Int
        switch marker {
        case 0xFD: width = 2
        case 0xFE: width = 4
        case 0xFF: width = 8
        default: return UInt64(marker)
        }
        return try bytes(width, or: failure).reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// Everything not read yet.
    mutating func rest() -> [UInt8] {
        defer { offset = bytes.count }
        return Array(bytes[offset...])
    }

    /// A BIP-32 path as Ledger apps send it: `count(1) | count x uint32 BE`; deeper than `maximumDepth` fails with
    /// `tooDeep`, a short body with `truncated`.
    mutating func ledgerPath(maximumDepth: Int, tooDeep: UInt16, truncated: UInt16) throws(APDUFailure) -> [UInt32] {
        let count = Int(try u8(or: truncated))
        guard count <= maximumDepth else { throw APDUFailure(tooDeep) }
        var indexes: [UInt32] = []
        for _ in 0..<count { indexes.append(try u32BigEndian(or: truncated)) }
        return indexes
    }
}

/// Bitcoin's CompactSize encoding of `value`.
func compactSize(_ value: Int) -> [UInt8] {
    switch value {
    case ..<0xFD: return [UInt8(value)]
    case ...0xFFFF: return [0xFD, UInt8(value & 0xFF), UInt8(value >> 8)]
    default: return [0xFE] + (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }
}
