/// Bitcoin's CompactSize integer, which the Ledger Bitcoin app 2.x uses for lengths and counts in its commands and
/// client commands (LedgerHQ/app-bitcoin-new `doc/bitcoin.md`; `bitcoin_client/ledger_bitcoin/common.py`
/// `write_varint` / `ByteStreamParser.read_varint`; ledgerjs hw-app-btc `varint.ts`): one byte below 0xFD, else
/// 0xFD / 0xFE / 0xFF followed by 2 / 4 / 8 little-endian bytes.
public enum LedgerBitcoinVarint {
    /// The encoding of `value`.
    public static func encode(_ value: UInt64) -> [UInt8] {
        let width: Int
        var bytes: [UInt8]
        switch value {
        case ..<0xFD: return [UInt8(value)]
        case ...0xFFFF: (bytes, width) = ([0xFD], 2)
        case ...0xFFFF_FFFF: (bytes, width) = ([0xFE], 4)
        default: (bytes, width) = ([0xFF], 8)
        }
        for shift in 0..<width { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(shift)))) }
        return bytes
    }

    /// The encoding of a count or length.
    public static func encode(_ value: Int) -> [UInt8] { encode(UInt64(max(value, 0))) }

    /// Reads one varint from the front of `bytes`, dropping it; nil (and `bytes` unchanged) if they end first.
    public static func decode(_ bytes: inout ArraySlice<UInt8>) -> UInt64? {
        guard let first = bytes.first else { return nil }
        let width: Int
        switch first {
        case 0xFD: width = 2
        case 0xFE: width = 4
        case 0xFF: width = 8
        default:
            bytes = bytes.dropFirst()
            return UInt64(first)
        }
        guard bytes.count >= 1 + width else { return nil }
        var value: UInt64 = 0
        for (position, byte) in bytes.dropFirst().prefix(width).enumerated() {
            value |= UInt64(byte) << (8 * UInt64(position))
        }
        bytes = bytes.dropFirst(1 + width)
        return value
    }
}
