/// A JSON document as parsed, keeping every number's exact text.
///
/// Foundation's `JSONSerialization` turns numbers into `Double`, which loses uint256 values and money.
/// WalletBridge never lets a number pass through binary floating point: ``JSONNumber`` keeps the literal.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(JSONNumber)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)
}

/// A JSON number literal, exactly as written (RFC 8259 grammar, validated).
public struct JSONNumber: Sendable, Hashable, CustomStringConvertible {
    /// The literal text, e.g. `-12.50` or `1e21`.
    public let text: String

    /// A number from its literal text; nil if `text` is not an RFC 8259 number.
    public init?(text: String) {
        // Checked in place: money amounts in every answer come through here.
        let isValid = text.utf8.withContiguousStorageIfAvailable { JSONNumber.isValidLiteral($0) }
            ?? JSONNumber.isValidLiteral(Array(text.utf8))
        guard isValid else { return nil }
        self.text = text
    }

    /// The number with the decimal text of `value`.
    public init<I: BinaryInteger>(_ value: I) {
        self.text = String(value)
    }

    /// The number with the decimal text of `value`: the common case, without the generic conversion (which other
    /// modules call unspecialized: an answer's `"decimals"` took longer to write than the rest of the wallet).
    public init(_ value: Int) {
        self.text = String(value)
    }

    init(validatedText: String) {
        self.text = validatedText
    }

    public var description: String { text }

    /// True when the literal has neither a fraction nor an exponent (`12`, `-7`; not `12.0` or `1e2`).
    public var isIntegerLiteral: Bool {
        !text.utf8.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
    }

    /// The value as `Int64` when the literal is an integer literal that fits; nil otherwise.
    public var int64Value: Int64? {
        isIntegerLiteral ? Int64(text) : nil
    }

    static func isValidLiteral<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes) -> Bool where Bytes.Index == Int {
        var index = bytes.startIndex
        func digits() -> Int {
            let start = index
            while index < bytes.endIndex, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") { index += 1 }
            return index - start
        }
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.endIndex else { return false }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else if digits() == 0 {
            return false
        }
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { return false }
        }
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.endIndex, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { return false }
        }
        return index == bytes.endIndex
    }
}

/// A JSON object: unique keys, kept in the order they were written, with constant-time lookup.
public struct JSONObject: Sendable, Equatable, Sequence {
    public typealias Entry = (key: String, value: JSONValue)

    /// The members in document order.
    public private(set) var entries: [Entry] = []
    /// Key to position in `entries`, kept only for objects above ``linearSearchLimit`` members: the objects a
    /// request builds or parses are small, and comparing a few keys is cheaper than hashing them.
    private var positions: [String: Int]?

    static let linearSearchLimit = 12

    public init() {}

    /// An object from key/value pairs; a repeated key keeps its first position and its last value.
    public init(_ pairs: [(String, JSONValue)]) {
        entries.reserveCapacity(pairs.count)
        for (key, value) in pairs { self[key] = value }
    }

    /// The keys in document order.
    public var keys: [String] { entries.map(\.key) }

    public subscript(key: String) -> JSONValue? {
        get { position(of: key).map { entries[$0].value } }
        set {
            if let position = position(of: key) {
                if let newValue {
                    entries[position].value = newValue
                } else {
                    entries.remove(at: position)
                    reindex()
                }
            } else if let newValue {
                entries.append((key, newValue))
                if positions != nil {
                    positions?[key] = entries.count - 1
                } else if entries.count > Self.linearSearchLimit {
                    reindex()
                }
            }
        }
    }

    public var count: Int { entries.count }

    public func makeIterator() -> IndexingIterator<[Entry]> { entries.makeIterator() }

    /// Equal members, whatever their order.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.count == rhs.count && lhs.entries.allSatisfy { rhs[$0.key] == $0.value }
    }

    private func position(of key: String) -> Int? {
        if let positions { return positions[key] }
        return entries.firstIndex { $0.key == key }
    }

    private mutating func reindex() {
        guard entries.count > Self.linearSearchLimit else { return positions = nil }
        var index: [String: Int] = [:]
        index.reserveCapacity(entries.count)
        for (position, entry) in entries.enumerated() { index[entry.key] = position }
        positions = index
    }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self.init(elements) }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .number(JSONNumber(value)) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(JSONObject(elements)) }
    public init(nilLiteral: ()) { self = .null }
}

extension JSONValue {
    /// The member `key` of an object; nil for a missing key or a non-object.
    public subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    public var stringValue: String? { if case .string(let s) = self { s } else { nil } }
    public var numberValue: JSONNumber? { if case .number(let n) = self { n } else { nil } }
    public var boolValue: Bool? { if case .bool(let b) = self { b } else { nil } }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { a } else { nil } }
    public var objectValue: JSONObject? { if case .object(let o) = self { o } else { nil } }
    public var isNull: Bool { self == .null }

    /// The JSON type name, for error messages.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .number: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}
