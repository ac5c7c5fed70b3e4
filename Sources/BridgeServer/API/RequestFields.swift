import BridgeApprovals
import BridgeCore

/// Typed reads of a parsed JSON request body. Every refusal is `invalid_request` naming the field, so a client learns
/// exactly which field to fix; nothing is coerced (a string is never read as a number, nor a number as a string).
struct RequestFields {
    let object: JSONObject

    /// The body parsed as one JSON object: `invalid_json` callers map the parse error, `invalid_request` for a
    /// document that is not an object.
    static func parse(_ body: [UInt8]) throws(RequestBodyError) -> RequestFields {
        let value: JSONValue
        do {
            value = try JSONValue(parsing: body)
        } catch {
            throw .invalidJSON(error.message)
        }
        guard let object = value.objectValue else {
            throw .notAnObject("the body is a JSON \(value.typeName), not an object")
        }
        return RequestFields(object: object)
    }

    /// A present, non-null field.
    private func present(_ name: String) -> JSONValue? {
        guard let value = object[name], !value.isNull else { return nil }
        return value
    }

    func requiredString(_ name: String) throws(ApprovalError) -> String {
        guard let value = present(name) else { throw .invalidRequest("\(name) is missing") }
        guard let string = value.stringValue else { throw .invalidRequest("\(name) must be a string, not a \(value.typeName)") }
        return string
    }

    func optionalString(_ name: String) throws(ApprovalError) -> String? {
        guard present(name) != nil else { return nil }
        return try requiredString(name)
    }

    func optionalBool(_ name: String) throws(ApprovalError) -> Bool? {
        guard let value = present(name) else { return nil }
        guard let bool = value.boolValue else { throw .invalidRequest("\(name) must be true or false, not a \(value.typeName)") }
        return bool
    }

    /// A JSON number literal, exactly as written (money never goes through `Double`).
    func requiredNumber(_ name: String) throws(ApprovalError) -> JSONNumber {
        guard let value = present(name) else { throw .invalidRequest("\(name) is missing") }
        guard let number = value.numberValue else { throw .invalidRequest("\(name) must be a number, not a \(value.typeName)") }
        return number
    }

    /// An integer literal within `range`.
    func requiredInteger(_ name: String, in range: ClosedRange<Int64>) throws(ApprovalError) -> Int64 {
        let number = try requiredNumber(name)
        guard let integer = number.int64Value else { throw .invalidRequest("\(name) must be an integer, not \(number.text)") }
        guard range.contains(integer) else {
            throw .invalidRequest("\(name) must be \(range.lowerBound) to \(range.upperBound), not \(integer)")
        }
        return integer
    }

    /// An array of strings, or nil when absent or null.
    func optionalStringArray(_ name: String, maximumCount: Int) throws(ApprovalError) -> [String]? {
        guard let value = present(name) else { return nil }
        guard let elements = value.arrayValue else { throw .invalidRequest("\(name) must be an array, not a \(value.typeName)") }
        guard elements.count <= maximumCount else {
            throw .invalidRequest("\(name) lists \(elements.count) values; at most \(maximumCount) are accepted")
        }
        var strings: [String] = []
        for element in elements {
            guard let string = element.stringValue else {
                throw .invalidRequest("\(name) must contain only strings, not a \(element.typeName)")
            }
            strings.append(string)
        }
        return strings
    }

    /// Hex bytes (`0x` optional), e.g. a signature or a nonce.
    func requiredHex(_ name: String) throws(ApprovalError) -> [UInt8] {
        let text = try requiredString(name)
        guard let bytes = Hex.decode(text) else { throw .invalidRequest("\(name) must be hex") }
        return bytes
    }
}

/// Why a body could not be read as a JSON object.
enum RequestBodyError: Error {
    /// Not JSON at all (the CRM's `invalid_json`).
    case invalidJSON(String)
    /// JSON, but not an object (`invalid_request`).
    case notAnObject(String)
}

extension HTTPFields {
    /// A required query parameter: `invalid_request` naming it when missing or empty.
    func requiredParameter(_ name: String) throws(ApprovalError) -> String {
        guard let value = self[name], !value.isEmpty else { throw .invalidRequest("the query parameter \(name) is missing") }
        return value
    }
}
