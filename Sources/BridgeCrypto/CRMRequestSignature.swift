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
        String(decoding: canonicalBytes(of: body, fields: fields), as: UTF8.self)
    }

    /// The `signature` header value for `body` signed with `apiKey`.
    public static func signature(of body: JSONObject, apiKey: String, fields: FieldSelection = .allFields) -> String {
        String(decoding: uppercaseHexSignature(of: canonicalBytes(of: body, fields: fields), apiKey: apiKey),
               as: UTF8.self)
    }

    /// True when `header` is the signature of `body` under either field selection; compared in constant time.
    /// Hex case is ignored (the vendor sends uppercase, some clients lowercase).
    public static func isValid(_ header: String, for body: JSONObject, apiKey: String) -> Bool {
        // ASCII letters uppercased byte by byte: the expected text is uppercase hex, so nothing else could match.
        let received = header.utf8.map { $0 >= UInt8(ascii: "a") && $0 <= UInt8(ascii: "z") ? $0 - 32 : $0 }
        // A body without empty values signs the same string both ways (the CRM's usual case): build and hash it once.
        // Which case applies is no secret, the sender wrote the body.
        var candidates = [canonicalBytes(of: body, fields: .allFields)]
        if body.entries.contains(where: { isEmpty($0.value) }) {
            candidates.append(canonicalBytes(of: body, fields: .nonEmptyFields))
        }
        var matched = false
        for stringA in candidates {
            let expected = uppercaseHexSignature(of: stringA, apiKey: apiKey)
            // Evaluate both selections every time so the timing does not reveal which one matched.
            matched = SecureBytes.constantTimeEqual(received, expected) || matched
        }
        return matched
    }

    /// ``canonicalString(of:fields:)`` as bytes, written in place: every transfer's signature is checked, so no
    /// per-field strings are built and joined.
    private static func canonicalBytes(of body: JSONObject, fields: FieldSelection) -> [UInt8] {
        let entries = body.entries
        // Positions are sorted rather than the entries, so no key or value is copied while sorting.
        let order = entries.indices
            .filter { fields == .allFields || !isEmpty(entries[$0].value) }
            .sorted { JSONValue.precedesInUTF16Order(entries[$0].key, entries[$1].key) }
        var bytes: [UInt8] = []
        for (position, index) in order.enumerated() {
            if position > 0 { bytes.append(UInt8(ascii: "&")) }
            bytes.appendUTF8(entries[index].key)
            bytes.append(UInt8(ascii: "="))
            bytes.appendUTF8(entries[index].value.javaScriptString)
        }
        return bytes
    }

    /// Uppercase hex of SHA-1(`stringA` + `apiKey`), as bytes.
    private static func uppercaseHexSignature(of stringA: [UInt8], apiKey: String) -> [UInt8] {
        var signed = stringA
        signed.appendUTF8(apiKey)
        return Hex.encodedBytes(Hash.sha1(signed), uppercase: true)
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
