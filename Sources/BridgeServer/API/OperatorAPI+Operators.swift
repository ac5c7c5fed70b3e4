import BridgeApprovals
import BridgeCore

extension OperatorAPI {
    /// The operator-lifecycle routes: sign-out, and for admins the operator list and device-signed revocation.
    var lifecycleEndpoints: [Endpoint] {
        [
            Endpoint("POST", prefix + "/logout") { request, _ in self.answer { () throws(ApprovalError) in
                try self.logout(request) } },
            Endpoint("GET", prefix + "/operators") { request, _ in self.answer { () throws(ApprovalError) in
                try self.operatorList(operator: try self.signedIn(request)) } },
            Endpoint("POST", prefix + "/operators/{name}/revocation") { request, parameters in
                self.answer { () throws(ApprovalError) in
                    try self.revocationDocument(request, name: parameters["name"] ?? "", operator: try self.signedIn(request))
                }
            },
            Endpoint("POST", prefix + "/operators/{name}/revoke") { request, parameters in
                self.answer { () throws(ApprovalError) in
                    try self.revoke(request, name: parameters["name"] ?? "", operator: try self.signedIn(request))
                }
            },
        ]
    }

    /// `POST /operator/logout` (bearer) -> `{"logged_out":true}`: ends this session at once. A token that no longer
    /// works is -21 (401), like on every other route.
    func logout(_ request: HTTPRequest) throws(ApprovalError) -> HTTPResponse {
        let token = try Self.bearerToken(request)
        let signedIn = try service.authenticate(token: token, clientIP: request.clientAddress)
        try service.revokeSession(token: token, actor: "operator:" + signedIn.id)
        return .json(["logged_out": true])
    }

    /// `GET /operator/operators` (admins) -> `{"operators":[{name, address, role, status, enrolled_at}]}`, in
    /// enrolment order, revoked ones included.
    func operatorList(operator signedIn: Operator) throws(ApprovalError) -> HTTPResponse {
        try Self.requireAdmin(signedIn)
        return .json(["operators": .array(try service.operators().map(Self.operatorListEntry))])
    }

    /// `POST /operator/operators/{name}/revocation` `{reason}` (admins) -> the EIP-712 `OperatorRevocation` to sign,
    /// built from the stored operator with a fresh nonce, valid for 5 minutes.
    func revocationDocument(_ request: HTTPRequest, name: String, operator signedIn: Operator) throws(ApprovalError)
        -> HTTPResponse
    {
        let fields = try Self.fields(request)
        return .json(try service.revocationDocument(name: name, reason: try fields.requiredString("reason"),
                                                    adminID: signedIn.id))
    }

    /// `POST /operator/operators/{name}/revoke` `{reason, nonce, expires_at, signature}` (admins) ->
    /// `{"name","status":"revoked"}`. `expires_at` is the document's `expiresAt` (Unix seconds); the service rebuilds
    /// the document from the stored operator and these fields and checks that the session's admin signed it.
    func revoke(_ request: HTTPRequest, name: String, operator signedIn: Operator) throws(ApprovalError) -> HTTPResponse {
        let fields = try Self.fields(request)
        let outcome = try service.revokeOperator(
            name: name, reason: try fields.requiredString("reason"), nonce: try fields.requiredHex("nonce"),
            expiresAtSeconds: try fields.requiredInteger("expires_at", in: 0...Int64.max),
            signature: try fields.requiredHex("signature"), sessionOperatorID: signedIn.id)
        return .json(Self.revokedJSON(outcome.revokedOperator))
    }

    /// Refuses anyone but an admin with -22 (403), before any work.
    static func requireAdmin(_ signedIn: Operator) throws(ApprovalError) {
        guard signedIn.role == .admin else {
            throw .forbidden("\(signedIn.name) is an \(signedIn.role.rawValue); only admins manage operators")
        }
    }

    /// `{name, address, role, status, enrolled_at}`: one entry of the operator list (as `admin operator list` prints).
    public static func operatorListEntry(_ record: Operator) -> JSONValue {
        [
            "name": .string(record.name), "address": .string(record.address.checksummed),
            "role": .string(record.role.rawValue), "status": .string(record.status.rawValue),
            "enrolled_at": .string(record.enrolledAt.rfc3339),
        ]
    }

    /// `{"name","status":"revoked"}`: the answer to a revocation (as `admin operator revoke` prints it).
    public static func revokedJSON(_ record: Operator) -> JSONValue {
        ["name": .string(record.name), "status": .string(record.status.rawValue)]
    }
}
