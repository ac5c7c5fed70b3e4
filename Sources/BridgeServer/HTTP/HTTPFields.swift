/// A request's query parameters or header fields by name, in the order they came; one value per name.
///
/// Kept as a short array searched front to back rather than a dictionary: a request carries a handful of each, and
/// a fresh dictionary per request cost a metadata lookup, an allocation and a hash of every name before any route ran
/// (issue 16's read profile). Comparing a short name is cheaper than hashing it.
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

    /// Every field, in the order it was first given.
    public private(set) var fields: [Field]

    /// No fields.
    public init() {
        fields = []
    }

    /// The fields of `dictionary`, in name order (a dictionary has no other stable order).
    public init(_ dictionary: [String: String]) {
        fields = dictionary.sorted { $0.key < $1.key }.map { Field(name: $0.key, value: $0.value) }
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        fields = []
        for (name, value) in elements where self[name] == nil { fields.append(Field(name: name, value: value)) }
    }

    /// The value of `name` (compared exactly), or nil. Setting nil removes the field; setting a value replaces the
    /// field's value in place or adds the field last.
    public subscript(name: String) -> String? {
        get { index(of: name).map { fields[$0].value } }
        set {
            switch (index(of: name), newValue) {
            case (let index?, let value?): fields[index].value = value
            case (let index?, nil): fields.remove(at: index)
            case (nil, let value?): fields.append(Field(name: name, value: value))
            case (nil, nil): break
            }
        }
    }

    /// Adds `value` under `name` unless the name is there already; returns the value it already had, if it had one
    /// (the same contract as `Dictionary.updateValue`, but the first value stays).
    public mutating func addIfAbsent(_ name: String, _ value: String) -> String? {
        if let index = index(of: name) { return fields[index].value }
        fields.append(Field(name: name, value: value))
        return nil
    }

    /// The names, in order.
    public var names: [String] { fields.map(\.name) }

    public var count: Int { fields.count }
    public var isEmpty: Bool { fields.isEmpty }

    /// The fields as a dictionary.
    public var dictionary: [String: String] {
        Dictionary(fields.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    /// Room for `capacity` fields without growing.
    mutating func reserveCapacity(_ capacity: Int) {
        fields.reserveCapacity(capacity)
    }

    private func index(of name: String) -> Int? {
        fields.firstIndex { $0.name == name }
    }
}
