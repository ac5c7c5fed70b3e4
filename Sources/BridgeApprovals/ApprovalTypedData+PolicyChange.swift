import BridgeCore

extension ApprovalTypedData {
    /// The `PolicyChange` message of a stored proposal: `{version, policyHash, expiresAt, nonce}`. An admin's signature
    /// over it approves exactly this version of exactly this policy text (the hash), within its window, and never
    /// another proposal (the nonce).
    public func policyChangeMessage(for proposal: PolicyVersion) -> JSONObject {
        [
            "version": .number(JSONNumber(proposal.version)),
            "policyHash": .string(Hex.encodePrefixed(proposal.hash)),
            "expiresAt": .number(JSONNumber((proposal.expiresAt ?? proposal.createdAt).secondsSinceEpoch)),
            "nonce": .string(Hex.encodePrefixed(proposal.nonce)),
        ]
    }
}
