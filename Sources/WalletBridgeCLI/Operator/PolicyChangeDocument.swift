import BridgeApprovals
import BridgeCore

/// The EIP-712 `PolicyChange` the service sends for a policy version, checked before the device sees it: it must be
/// for the version asked about, and its `policyHash` must be the keccak256 of the canonical text of the policy the
/// admin proposed or was shown, so a service cannot collect a signature for a policy nobody read.
struct PolicyChangeDocument: Sendable {
    let document: JSONValue
    let version: Int
    /// `0x` + 64 lowercase hex digits.
    let hash: String
    let policy: JSONValue

    /// - Parameters:
    ///   - version: the version the document must name (nil: whichever the service allocated, for a new proposal).
    ///   - policy: the policy set the admin proposed or was shown.
    init(_ document: JSONValue, version: Int?, policy: JSONValue) throws(GenericBridgeError) {
        let refuse = "Refusing to sign it. Check that --server points at your WalletBridge service."
        guard document["primaryType"]?.stringValue == "PolicyChange", let message = document["message"]?.objectValue else {
            throw GenericBridgeError(.protocolError, "The service sent no PolicyChange document", hint: refuse)
        }
        guard let signedVersion = message["version"]?.numberValue?.int64Value.flatMap({ Int(exactly: $0) }),
              version == nil || version == signedVersion
        else {
            throw GenericBridgeError(.protocolError, "The service's PolicyChange is not for policy version \(version ?? 0)",
                                     hint: refuse)
        }
        let expected = Hex.encodePrefixed(PolicyVersion.hash(ofCanonicalText: PolicyVersion.canonicalText(of: policy)))
        guard message["policyHash"]?.stringValue?.lowercased() == expected else {
            throw GenericBridgeError(
                .protocolError,
                "The service's PolicyChange hash \(message["policyHash"]?.stringValue ?? "?") is not the keccak256 "
                    + "(\(expected)) of the policy's canonical JSON",
                hint: refuse)
        }
        self.document = document
        self.version = signedVersion
        self.hash = expected
        self.policy = policy
    }

    /// What the admin reads before confirming: the version, the hash the device shows, the window, and the policy.
    var summary: [String] {
        let expiry = document["message"]?["expiresAt"]?.numberValue?.int64Value
            .map { Timestamp(secondsSinceEpoch: $0).rfc3339 } ?? "?"
        return [
            "Policy version \(version), policyHash \(hash)",
            "  signatures accepted until \(expiry); compare the hash with the one your device shows",
            "  policy:",
        ] + policy.serialized(JSONValue.Format(sortedKeys: true, pretty: true))
            .split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }
    }
}
