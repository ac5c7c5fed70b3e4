import BridgeCore

/// The Broctagon CRM's request signature: uppercase hex SHA-1 of `k1=v1&k2=v2...` + API key, over the parsed body with
/// keys sorted and values stringified as JavaScript's `String(value)` does (CONTRACT.md 2.1;
/// ../shared/reference/crm-external-wallet.md section 3.3). It protects integrity only: the key itself travels in
/// the `key` header, so deploy behind TLS and an IP allow-list.
public enum CRMRequestSignature {
    /// Which body fields go into the signed string. The vendor's text and its JS sample disagree (section 3.3), so
    /// verification accepts either.
    public enum FieldSelection: Sendable, CaseIterable {
        /// Every key, as the vendor's JS sample does.
        case allFields
        /// Only keys whose value is not null, "" or [] (the spec text's "non-empty parameter values").
        case nonEmptyFields
    }

    /// StringA: `key=value` pairs sorted by key in UTF-16 code-unit order (JavaScript's default `sort()`), joined
    /// with `&`, with no URL-encoding.
    public static func canonicalString(of body: JSONObject, fields: FieldSelection = .allFields) -> String {
        body.keys
            .filter { fields == .allFields || !isEmpty(body[$0]) }
            .sorted { $0.utf16.lexicographicallyPrecedes($1.utf16) }
            .map { "\($0)=\(body[$0]?.javaScriptString ?? "")" }
            .joined(separator: "&")
    }

    /// The `signature` header value for `body` signed with `apiKey`.
    public static func signature(of body: JSONObject, apiKey: String, fields: FieldSelection = .allFields) -> String {
        let stringB = canonicalString(of: body, fields: fields) + apiKey
        return Hex.encode(Hash.sha1(Array(stringB.utf8))).uppercased()
    }

    /// True when `header` is the signature of `body` under either field selection; compared in constant time.
    /// Hex case is ignored (the vendor sends uppercase, some clients lowercase).
    public static func isValid(_ header: String, for body: JSONObject, apiKey: String) -> Bool {
        let received = Array(header.uppercased().utf8)
        var matched = false
        for fields in FieldSelection.allCases {
            let expected = Array(signature(of: body, apiKey: apiKey, fields: fields).utf8)
            // Evaluate both selections every time so the timing does not reveal which one matched.
            matched = SecureBytes.constantTimeEqual(received, expected) || matched
        }
        return matched
    }

    private static func isEmpty(_ value: JSONValue?) -> Bool {
        switch value {
        case nil, .null?: true
        case .string(let s)?: s.isEmpty
        case .array(let a)?: a.isEmpty
        default: false
        }
    }
}
