/// A request's query parameters or header fields by name, in the order they came; one value per name.
///
/// The names and values are kept as the bytes that came, back to back in one buffer, and a value becomes a `String`
/// only when it is asked for: a request carries a handful of fields and a handler reads two or three of them, and
/// making a `String` of every name and value (validated, and each one later freed) was a good part of every request's
/// cost before any route ran (issue 16's read profile). A lookup compares the name's bytes front to back, which for a
/// handful of short names is cheaper than hashing them.
public struct HTTPFields: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    /// One name and its value.
    public struct Field: Sendable, Equatable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// Where one field's name and value lie in ``bytes``.
    private struct Span: Sendable {
        var name: Range<Int>
        var value: Range<Int>
    }

    /// Every name and value, back to back. A value replaced later is appended; its old bytes stay unused.
    private var bytes: [UInt8] = []
    /// The fields in the order they were first given.
    private var spans: [Span] = []

    /// No fields.
    public init() {}

    /// The fields of `dictionary`, in name order (a dictionary has no other stable order).
    public init(_ dictionary: [String: String]) {
        for (name, value) in dictionary.sorted(by: { $0.key < $1.key }) { _ = addIfAbsent(name, value) }
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        for (name, value) in elements { _ = addIfAbsent(name, value) }
    }

    /// The value of `name` (compared exactly), or nil. Setting nil removes the field; setting a value replaces the
    /// field's value in place or adds the field last.
    public subscript(name: String) -> String? {
        get { index(of: name).map(value(at:)) }
        set {
            switch (index(of: name), newValue) {
            case (let index?, let value?): spans[index].value = append(value)
            case (let index?, nil): spans.remove(at: index)
            case (nil, let value?): spans.append(Span(name: append(name), value: append(value)))
            case (nil, nil): break
            }
        }
    }

    /// Adds `value` under `name` unless the name is there already; returns the value it already had, if it had one
    /// (the same contract as `Dictionary.updateValue`, but the first value stays).
    public mutating func addIfAbsent(_ name: String, _ value: String) -> String? {
        if let index = index(of: name) { return self.value(at: index) }
        spans.append(Span(name: append(name), value: append(value)))
        return nil
    }

    /// ``addIfAbsent(_:_:)`` for a name and value as they came off the wire, the name lower-cased first when
    /// `lowercasingName` (header names are ASCII tokens, RFC 9110 5.1): no `String` is made. Returns the position of
    /// the field that already has the name, if one has.
    mutating func addIfAbsent(name: UnsafeRawBufferPointer, lowercasingName: Bool, value: UnsafeRawBufferPointer) -> Int? {
        let name = name.assumingMemoryBound(to: UInt8.self)
        if let existing = bytes.withUnsafeBufferPointer({ index(of: name, in: $0, lowercasing: lowercasingName) }) {
            return existing
        }
        let start = bytes.count
        bytes.append(contentsOf: name)  // typed: copied whole, not byte by byte
        let nameEnd = bytes.count
        if lowercasingName {
            bytes.withUnsafeMutableBufferPointer { buffer in
                for index in start..<nameEnd { buffer[index] = asciiLowercased(buffer[index]) }
            }
        }
        bytes.append(contentsOf: value.assumingMemoryBound(to: UInt8.self))
        spans.append(Span(name: start..<nameEnd, value: nameEnd..<bytes.count))
        return nil
    }

    /// Every field, in the order it was first given.
    public var fields: [Field] {
        spans.indices.map { Field(name: name(at: $0), value: value(at: $0)) }
    }

    /// The names, in order.
    public var names: [String] { spans.indices.map(name(at:)) }

    public var count: Int { spans.count }
    public var isEmpty: Bool { spans.isEmpty }

    /// The fields as a dictionary.
    public var dictionary: [String: String] {
        Dictionary(fields.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    /// The same fields in the same order (however their bytes are laid out).
    public static func == (lhs: HTTPFields, rhs: HTTPFields) -> Bool {
        lhs.fields == rhs.fields
    }

    /// Room for `fields` fields of `bytes` bytes in all without growing.
    mutating func reserveCapacity(fields: Int, bytes: Int) {
        spans.reserveCapacity(fields)
        self.bytes.reserveCapacity(bytes)
    }

    /// The name of the field at `index` (decoded as UTF-8, invalid bytes replaced).
    func name(at index: Int) -> String {
        String(decoding: bytes[spans[index].name], as: UTF8.self)
    }

    /// The value of the field at `index` (decoded as UTF-8, invalid bytes replaced).
    func value(at index: Int) -> String {
        String(decoding: bytes[spans[index].value], as: UTF8.self)
    }

    private mutating func append(_ text: String) -> Range<Int> {
        let start = bytes.count
        bytes.appendUTF8(text)
        return start..<bytes.count
    }

    private func index(of name: String) -> Int? {
        var name = name
        return name.withUTF8 { name in bytes.withUnsafeBufferPointer { index(of: name, in: $0, lowercasing: false) } }
    }

    /// The position of the field named `name` (`lowercasing`: as `name` reads with ASCII capitals made small), with
    /// `buffer` being ``bytes``.
    private func index(of name: UnsafeBufferPointer<UInt8>, in buffer: UnsafeBufferPointer<UInt8>,
                       lowercasing: Bool) -> Int? {
        for (index, span) in spans.enumerated() where span.name.count == name.count {
            let stored = UnsafeBufferPointer(rebasing: buffer[span.name])
            if lowercasing ? zip(stored, name).allSatisfy({ $0 == asciiLowercased($1) }) : stored.elementsEqual(name) {
                return index
            }
        }
        return nil
    }
}
