extension JSONValue {
    /// How to lay out serialized JSON.
    public struct Format: Sendable {
        /// Keys sorted by UTF-16 code units (JavaScript's `sort()` order, RFC 8785's key order).
        public var sortedKeys: Bool
        /// Two-space indentation and one member per line.
        public var pretty: Bool

        public init(sortedKeys: Bool = false, pretty: Bool = false) {
            self.sortedKeys = sortedKeys
            self.pretty = pretty
        }

        /// Compact, keys in document order: what the CLI prints.
        public static let compact = Format()
        /// Compact with sorted keys: a stable byte form for hashing (audit chain, fixtures).
        public static let canonical = Format(sortedKeys: true)
    }

    /// The JSON text of this value. Numbers are written exactly as their literal.
    public func serialized(_ format: Format = .compact) -> String {
        String(decoding: serializedBytes(format), as: UTF8.self)
    }

    /// ``serialized(_:)`` as UTF-8 bytes, for a response body: no `String` made only to be copied out again.
    public func serializedBytes(_ format: Format = .compact) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(128)
        write(into: &out, format: format, indent: 0)
        return out
    }

    private func write(into out: inout [UInt8], format: Format, indent: Int) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let n): out.appendUTF8(n.text)
        case .string(let s): JSONValue.writeString(s, into: &out)
        case .array(let elements):
            guard !elements.isEmpty else { return out.append(contentsOf: "[]".utf8) }
            out.append(UInt8(ascii: "["))
            for (i, element) in elements.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSONValue.newline(into: &out, format: format, indent: indent + 1)
                element.write(into: &out, format: format, indent: indent + 1)
            }
            JSONValue.newline(into: &out, format: format, indent: indent)
            out.append(UInt8(ascii: "]"))
        case .object(let object):
            guard object.count > 0 else { return out.append(contentsOf: "{}".utf8) }
            let entries = object.entries
            let order = format.sortedKeys ? Self.keyOrder(entries) : Array(entries.indices)
            out.append(UInt8(ascii: "{"))
            for (i, position) in order.enumerated() {
                let entry = entries[position]
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSONValue.newline(into: &out, format: format, indent: indent + 1)
                JSONValue.writeString(entry.key, into: &out)
                out.append(UInt8(ascii: ":"))
                if format.pretty { out.append(UInt8(ascii: " ")) }
                entry.value.write(into: &out, format: format, indent: indent + 1)
            }
            JSONValue.newline(into: &out, format: format, indent: indent)
            out.append(UInt8(ascii: "}"))
        }
    }

    /// The positions of `entries` in key order (UTF-16). Positions are sorted rather than the entries themselves, so
    /// no key or value is copied, retained or released while sorting. Insertion sort for the small objects the
    /// service writes (audit payloads), the library's O(n log n) sort beyond that (a client's large object).
    private static func keyOrder(_ entries: [JSONObject.Entry]) -> [Int] {
        var order = Array(entries.indices)
        guard entries.count <= 16 else {
            order.sort { precedesInUTF16Order(entries[$0].key, entries[$1].key) }
            return order
        }
        for next in order.indices.dropFirst() {
            let moving = order[next]
            var slot = next
            while slot > 0, precedesInUTF16Order(entries[moving].key, entries[order[slot - 1]].key) {
                order[slot] = order[slot - 1]
                slot -= 1
            }
            order[slot] = moving
        }
        return order
    }

    /// Appends `string` as a JSON string literal (quoted, escaped as ``serialized(_:)`` escapes), for a caller that
    /// writes a fixed-shape text itself instead of building a tree each time (the access log, the audit hash).
    public static func appendQuoted(_ string: String, to out: inout [UInt8]) {
        writeString(string, into: &out)
    }

    /// `a.utf16` before `b.utf16`, compared on the UTF-8 bytes: UTF-8 byte order is code point order, which UTF-16
    /// order differs from only where a character from U+10000 up (a surrogate pair, UTF-8 lead byte F0 to F4) meets
    /// one from U+E000 to U+FFFF (lead byte EE or EF); only then are the UTF-16 units compared. Keys are nearly always
    /// ASCII, and the audit chain sorts every payload's keys.
    public static func precedesInUTF16Order(_ a: String, _ b: String) -> Bool {
        // On the strings' own bytes where they have them (native strings): a transfer's audit events sort their keys
        // through here, and walking two UTF-8 views byte by byte cost more than the comparisons.
        let inPlace: UTF8Order? = a.utf8.withContiguousStorageIfAvailable { left in
            b.utf8.withContiguousStorageIfAvailable { right in utf8Order(left, right) }
        } ?? nil
        switch inPlace {
        case .before: return true
        case .notBefore: return false
        // The order itself, for the rare pair that needs it (and any string without contiguous UTF-8).
        case .needsUTF16, nil: return a.utf16.lexicographicallyPrecedes(b.utf16)
        }
    }

    private enum UTF8Order { case before, notBefore, needsUTF16 }

    /// `left` against `right` by their first differing byte, or the shorter first; `needsUTF16` when that byte leads
    /// a character from U+E000 up in either (where UTF-16 order differs from UTF-8's, see above).
    private static func utf8Order(_ left: UnsafeBufferPointer<UInt8>, _ right: UnsafeBufferPointer<UInt8>) -> UTF8Order {
        for index in 0..<min(left.count, right.count) where left[index] != right[index] {
            let (x, y) = (left[index], right[index])
            guard x < 0xEE, y < 0xEE else { return .needsUTF16 }
            return x < y ? .before : .notBefore
        }
        return left.count < right.count ? .before : .notBefore
    }

    private static func newline(into out: inout [UInt8], format: Format, indent: Int) {
        guard format.pretty else { return }
        out.append(UInt8(ascii: "\n"))
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: indent * 2))
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Writes `string` quoted, escaping what RFC 8259 requires; other characters stay as UTF-8.
    static func writeString(_ string: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        // Most strings need no escape: copy them whole rather than byte by byte, scanning the native string's bytes
        // in place (every request's answer comes through here).
        let copiedWhole = string.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            guard !bytes.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else {
                return false
            }
            out.append(contentsOf: bytes)
            return true
        } ?? false
        if copiedWhole { return out.append(UInt8(ascii: "\"")) }
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: "\\\\".utf8)
            case 0x0A: out.append(contentsOf: "\\n".utf8)
            case 0x0D: out.append(contentsOf: "\\r".utf8)
            case 0x09: out.append(contentsOf: "\\t".utf8)
            case 0x08: out.append(contentsOf: "\\b".utf8)
            case 0x0C: out.append(contentsOf: "\\f".utf8)
            case 0..<0x20:
                out.append(contentsOf: "\\u00".utf8)
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0F)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
