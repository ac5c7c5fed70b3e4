import BridgeCore
import BridgeCrypto

extension PolicyVersion {
    /// The note a version seeded from the configuration carries instead of approvals.
    public static let seededNote = "seeded from the configuration"

    /// The canonical text of a policy set's JSON: sorted keys, no whitespace, numbers exactly as written. The CLI
    /// computes the same text from the file an admin proposes, so it can check the hash it is asked to sign.
    public static func canonicalText(of policy: JSONValue) -> String {
        policy.serialized(.canonical)
    }

    /// keccak256 of the canonical text's UTF-8 bytes: a `PolicyChange`'s `policyHash`.
    public static func hash(ofCanonicalText text: String) -> [UInt8] {
        Keccak256.hash(Array(text.utf8))
    }

    /// The stored policy as JSON; a storage error names the version when the text is not JSON (an edited database).
    public func policyValue() throws(ApprovalError) -> JSONValue {
        do {
            return try JSONValue(parsing: policyJSON)
        } catch {
            throw .storage("policy version \(version) is not JSON: \(error.message)")
        }
    }

    /// The stored policy read as a ``PolicySet`` with `currencies`. A version that no longer reads (a currency removed
    /// from the configuration since) is a storage error naming it: the service must not guess a policy.
    public func policySet(currencies: [String: Currency]) throws(ApprovalError) -> PolicySet {
        let json = try policyValue()
        do {
            return try PolicySet(json: json, currencies: currencies)
        } catch {
            throw .storage("policy version \(version) does not read with the configured currencies: \(error.message)")
        }
    }
}
