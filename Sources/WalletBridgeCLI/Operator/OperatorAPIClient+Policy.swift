import BridgeCore

extension OperatorAPIClient {
    /// `GET /operator/policy`: the version in force, `{"version","hash","policy","approved_by","effective_at"}`.
    public func currentPolicy(token: String) async throws -> JSONValue {
        try await call("GET", "/operator/policy", token: token)
    }

    /// `POST /operator/policy/proposals` `{"policy"}`: stores the proposal and answers `{"version","hash","document"}`,
    /// the `PolicyChange` to sign.
    public func proposePolicy(_ policy: JSONValue, token: String) async throws -> JSONValue {
        try await call("POST", "/operator/policy/proposals", body: ["policy": policy], token: token)
    }

    /// `GET /operator/policy/{version}`: the version with its policy, document and approvals.
    public func policyVersion(_ version: Int, token: String) async throws -> JSONValue {
        try await call("GET", "/operator/policy/\(version)", token: token)
    }

    /// `POST /operator/policy/{version}/approve` with the device's signature over the version's `PolicyChange`;
    /// answers `{"version","hash","approvals","approvals_required","expires_at","status"}`.
    public func approvePolicy(version: Int, signature: String, token: String) async throws -> JSONValue {
        try await call("POST", "/operator/policy/\(version)/approve", body: ["signature": .string(signature)], token: token)
    }
}
