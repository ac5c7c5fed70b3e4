import BridgeCore

extension OperatorAPIClient {
    /// `POST /operator/logout`: ends the session the token belongs to; answers `{"logged_out":true}`.
    public func logout(token: String) async throws -> JSONValue {
        try await call("POST", "/operator/logout", body: .object([:]), token: token)
    }

    /// `GET /operator/operators` (admins): `{"operators":[{name, address, role, status, enrolled_at}]}`.
    public func operators(token: String) async throws -> JSONValue {
        try await call("GET", "/operator/operators", token: token)
    }

    /// `POST /operator/operators/{name}/revocation`: the EIP-712 `OperatorRevocation` an admin's device signs.
    public func revocationDocument(name: String, reason: String, token: String) async throws -> JSONValue {
        try await call("POST", "/operator/operators/\(try Self.pathSegment(name))/revocation",
                       body: ["reason": .string(reason)], token: token)
    }

    /// `POST /operator/operators/{name}/revoke` with the signed document's nonce and expiry (Unix seconds, as the
    /// document's `expiresAt`) and the device's signature; answers `{"name","status":"revoked"}`.
    public func revoke(name: String, reason: String, nonce: String, expiresAt: JSONNumber, signature: String,
                       token: String) async throws -> JSONValue {
        try await call("POST", "/operator/operators/\(try Self.pathSegment(name))/revoke", body: [
            "reason": .string(reason), "nonce": .string(nonce), "expires_at": .number(expiresAt),
            "signature": .string(signature),
        ], token: token)
    }
}
