import BridgeCore

/// Reads one JSON object of the policy configuration, with errors that name the rule and the field.
///
/// Unknown keys are refused up front: a misspelt condition (`amountabove`) silently ignored would widen its rule
/// to every transfer.
struct PolicyObjectReader {
    let object: JSONObject
    /// Where the object sits inside its rule, e.g. `when.velocity` (empty for the rule itself).
    let path: String
    /// Which rule, e.g. `policy rules[0] ("big-btc-debits")`.
    let context: String

    init(_ value: JSONValue, path: String, context: String, allowedKeys: Set<String>) throws(ApprovalError) {
        guard let object = value.objectValue else {
            let what = path.isEmpty ? "" : " \(path)"
            throw .invalidRequest("\(context):\(what) must be an object, not \(value.typeName)")
        }
        self.object = object
        self.path = path
        self.context = context
        if let unknown = object.keys.first(where: { !allowedKeys.contains($0) }) {
            throw error(unknown, "is not a known field (known: \(allowedKeys.sorted().joined(separator: ", ")))")
        }
    }

    /// `policy rules[0] ("x"): when.currencies <problem>`.
    func error(_ key: String, _ problem: String) -> ApprovalError {
        .invalidRequest("\(context): \(field(key)) \(problem)")
    }

    func field(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func string(_ key: String) throws(ApprovalError) -> String? {
        guard let value = object[key] else { return nil }
        guard let text = value.stringValue else { throw error(key, "must be a string, not \(value.typeName)") }
        return text
    }

    /// A whole number written without fraction or exponent that fits in 64 bits.
    func integer(_ key: String) throws(ApprovalError) -> Int64? {
        guard let value = object[key] else { return nil }
        guard let number = value.numberValue?.int64Value else {
            throw error(key, "must be a whole number, not \(value.serialized())")
        }
        return number
    }

    func stringSet(_ key: String) throws(ApprovalError) -> Set<String>? {
        guard let value = object[key] else { return nil }
        guard let elements = value.arrayValue else { throw error(key, "must be an array of strings, not \(value.typeName)") }
        var strings: Set<String> = []
        for element in elements {
            guard let text = element.stringValue else {
                throw error(key, "must be an array of strings; found \(element.typeName)")
            }
            strings.insert(text)
        }
        return strings
    }

    func object(_ key: String, allowedKeys: Set<String>) throws(ApprovalError) -> PolicyObjectReader? {
        guard let value = object[key] else { return nil }
        return try PolicyObjectReader(value, path: field(key), context: context, allowedKeys: allowedKeys)
    }

    /// `{"USD": "1000", "BTC": "0.5"}` into minor units of each currency, parsed from the exact decimal text.
    func amounts(_ key: String, currencies: [String: Currency]) throws(ApprovalError) -> [Currency: Int128]? {
        guard let value = object[key] else { return nil }
        guard let entries = value.objectValue else {
            throw error(key, "must be an object of currency code to amount, not \(value.typeName)")
        }
        var amounts: [Currency: Int128] = [:]
        for (code, amountJSON) in entries {
            guard let currency = currencies[code] else {
                throw error("\(key).\(code)", "is an unknown currency (known: \(PolicyCondition.known(currencies)))")
            }
            let text: String
            switch amountJSON {
            case .string(let string): text = string
            case .number(let number): text = number.text
            default: throw error("\(key).\(code)", "must be a decimal string such as \"1000\", not \(amountJSON.typeName)")
            }
            do {
                amounts[currency] = try MinorUnits.parse(text, decimals: currency.decimals)
            } catch {
                let reason = if case .invalidAmount(let why) = error { why } else { error.message }
                throw self.error("\(key).\(code)", "is invalid: \(reason)")
            }
        }
        return amounts
    }
}
