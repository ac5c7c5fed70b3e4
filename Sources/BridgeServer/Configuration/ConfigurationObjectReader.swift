import BridgeCore

/// Reads one JSON object of the configuration file, naming each field by its full path in errors, and refusing
/// keys it does not know (a misspelt optional field would otherwise silently keep its default).
struct ConfigurationObjectReader {
    let object: JSONObject
    /// This object's path, e.g. `webhooks`; empty at the root.
    let path: String

    init(_ value: JSONValue, path: String, allowedKeys: Set<String>) throws(ConfigurationError) {
        guard let object = value.objectValue else {
            throw ConfigurationError(field: path, "must be an object, not \(value.typeName)")
        }
        for key in object.keys where !allowedKeys.contains(key) {
            throw ConfigurationError(field: Self.join(path, key),
                                     "unknown field (known here: \(allowedKeys.sorted().joined(separator: ", ")))")
        }
        self.object = object
        self.path = path
    }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func field(_ key: String) -> String { Self.join(path, key) }

    func error(_ key: String, _ problem: String) -> ConfigurationError { ConfigurationError(field: field(key), problem) }

    func has(_ key: String) -> Bool { object[key] != nil && object[key] != .null }

    func string(_ key: String) throws(ConfigurationError) -> String? {
        guard let value = object[key], value != .null else { return nil }
        guard let text = value.stringValue else { throw error(key, "must be a string, not \(value.typeName)") }
        return text
    }

    func nonEmptyString(_ key: String) throws(ConfigurationError) -> String? {
        guard let text = try string(key) else { return nil }
        guard !text.isEmpty else { throw error(key, "must not be empty") }
        return text
    }

    /// `true` or `false`.
    func bool(_ key: String) throws(ConfigurationError) -> Bool? {
        guard let value = object[key], value != .null else { return nil }
        guard case .bool(let flag) = value else { throw error(key, "must be true or false, not \(value.typeName)") }
        return flag
    }

    /// An integer within `range`.
    func integer(_ key: String, in range: ClosedRange<Int64>) throws(ConfigurationError) -> Int64? {
        guard let value = object[key], value != .null else { return nil }
        guard let number = value.numberValue, let integer = number.int64Value else {
            throw error(key, "must be a whole number, not \(value.serialized())")
        }
        guard range.contains(integer) else {
            throw error(key, "must be between \(range.lowerBound) and \(range.upperBound), not \(integer)")
        }
        return integer
    }

    func strings(_ key: String) throws(ConfigurationError) -> [String]? {
        guard let value = object[key], value != .null else { return nil }
        guard let array = value.arrayValue else { throw error(key, "must be an array of strings, not \(value.typeName)") }
        var strings: [String] = []
        for (index, element) in array.enumerated() {
            guard let text = element.stringValue else {
                throw ConfigurationError(field: "\(field(key))[\(index)]", "must be a string, not \(element.typeName)")
            }
            strings.append(text)
        }
        return strings
    }

    func object(_ key: String, allowedKeys: Set<String>) throws(ConfigurationError) -> ConfigurationObjectReader? {
        guard let value = object[key], value != .null else { return nil }
        return try ConfigurationObjectReader(value, path: field(key), allowedKeys: allowedKeys)
    }
}
