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
        body.entries
            .filter { fields == .allFields || !isEmpty($0.value) }
            .sorted { JSONValue.precedesInUTF16Order($0.key, $1.key) }
            .map { "\($0.key)=\($0.value.javaScriptString)" }
            .joined(separator: "&")
    }

    /// The `signature` header value for `body` signed with `apiKey`.
    public static func signature(of body: JSONObject, apiKey: String, fields: FieldSelection = .allFields) -> String {
        signature(ofCanonical: canonicalString(of: body, fields: fields), apiKey: apiKey)
    }

    private static func signature(ofCanonical stringA: String, apiKey: String) -> String {
        Hex.encode(Hash.sha1(Array((stringA + apiKey).utf8))).uppercased()
    }

    /// True when `header` is the signature of `body` under either field selection; compared in constant time.
    /// Hex case is ignored (the vendor sends uppercase, some clients lowercase).
    public static func isValid(_ header: String, for body: JSONObject, apiKey: String) -> Bool {
        let received = Array(header.uppercased().utf8)
        let everyField = canonicalString(of: body, fields: .allFields)
        // A body without empty values signs the same string both ways (the CRM's usual case): build and hash it once.
        // Which case applies is no secret, the sender wrote the body.
        let candidates = body.entries.contains { isEmpty($0.value) }
            ? [everyField, canonicalString(of: body, fields: .nonEmptyFields)] : [everyField]
        var matched = false
        for stringA in candidates {
            let expected = Array(signature(ofCanonical: stringA, apiKey: apiKey).utf8)
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
