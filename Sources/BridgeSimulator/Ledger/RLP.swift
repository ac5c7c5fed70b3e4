/// Just enough RLP (Ethereum yellow paper, appendix B) for the simulated Ethereum app to find where a streamed
/// transaction ends and to read its fields: strings and lists, canonical or not, with every length checked.
enum RLPItem: Equatable {
    case bytes([UInt8])
    case list([RLPItem])

    var bytesValue: [UInt8]? { if case .bytes(let value) = self { value } else { nil } }
    var listValue: [RLPItem]? { if case .list(let value) = self { value } else { nil } }

    /// The whole length of the item that starts at `bytes[offset]` (header included), or nil when its header is
    /// not all there yet or is malformed.
    static func encodedLength(of bytes: ArraySlice<UInt8>) -> Int? {
        guard let header = try? Header(bytes) else { return nil }
        return header.headerLength + header.payloadLength
    }

    /// Decodes exactly one item that fills `bytes`.
    static func decode(_ bytes: ArraySlice<UInt8>) -> RLPItem? {
        guard let (item, used) = decodePrefix(bytes), used == bytes.count else { return nil }
        return item
    }

    private static func decodePrefix(_ bytes: ArraySlice<UInt8>) -> (RLPItem, Int)? {
        guard let header = try? Header(bytes) else { return nil }
        let total = header.headerLength + header.payloadLength
        guard bytes.count >= total else { return nil }
        let start = bytes.startIndex + header.headerLength
        let payload = bytes[start..<start + header.payloadLength]
        guard header.isList else {
            if header.headerLength == 0 { return (.bytes([bytes[bytes.startIndex]]), 1) }
            return (.bytes(Array(payload)), total)
        }
        var items: [RLPItem] = []
        var rest = payload
        while !rest.isEmpty {
            guard let (item, used) = decodePrefix(rest) else { return nil }
            items.append(item)
            rest = rest.dropFirst(used)
        }
        return (.list(items), total)
    }

    /// The prefix of one item: how long it is and whether it is a list.
    private struct Header {
        var isList: Bool
        var headerLength: Int
        var payloadLength: Int

        struct Malformed: Error {}

        init(_ bytes: ArraySlice<UInt8>) throws(Malformed) {
            guard let first = bytes.first else { throw Malformed() }
            switch first {
            case 0x00...0x7F:
                (isList, headerLength, payloadLength) = (false, 0, 1)
            case 0x80...0xB7:
                (isList, headerLength, payloadLength) = (false, 1, Int(first - 0x80))
            case 0xB8...0xBF:
                (isList, headerLength, payloadLength) = (false, 1 + Int(first - 0xB7), try Self.longLength(bytes, Int(first - 0xB7)))
            case 0xC0...0xF7:
                (isList, headerLength, payloadLength) = (true, 1, Int(first - 0xC0))
            default:
                (isList, headerLength, payloadLength) = (true, 1 + Int(first - 0xF7), try Self.longLength(bytes, Int(first - 0xF7)))
            }
        }

        /// A big-endian length of `width` bytes after the first byte; more than 4 bytes is never a real transaction.
        private static func longLength(_ bytes: ArraySlice<UInt8>, _ width: Int) throws(Malformed) -> Int {
            guard width <= 4, bytes.count > width else { throw Malformed() }
            return bytes.dropFirst().prefix(width).reduce(0) { $0 << 8 | Int($1) }
        }
    }
}
