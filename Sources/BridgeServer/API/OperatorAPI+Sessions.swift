import BridgeApprovals
import BridgeCore

extension OperatorAPI {
    /// `POST /operator/challenge` `{address}` -> `{nonce, typedData}`: the EIP-712 `Login` the device signs.
    func challenge(_ request: HTTPRequest) throws(ApprovalError) -> HTTPResponse {
        let fields = try Self.fields(request)
        let challenge = try service.loginChallenge(address: try fields.requiredString("address"))
        return .json(["nonce": .string(Hex.encodePrefixed(challenge.nonce)), "typedData": challenge.document])
    }

    /// `POST /operator/session` `{nonce, signature, bind_ip?}` -> `{token, expires_at, operator}`.
    func session(_ request: HTTPRequest) throws(ApprovalError) -> HTTPResponse {
        let fields = try Self.fields(request)
        let nonce = try fields.requiredHex("nonce")
        let signature = try fields.requiredHex("signature")
        let bind = try fields.optionalBool("bind_ip") ?? false
        let created = try service.createSession(nonce: nonce, signature: signature, clientIP: request.clientAddress,
                                                bindToIP: bind)
        let record = try service.operators().first { $0.id == created.session.operatorID }
        return .json([
            "token": .string(created.token),
            "expires_at": .string(created.session.expiresAt.rfc3339),
            "operator": record.map(Self.operatorJSON) ?? .string(created.session.operatorID),
        ])
    }

    /// `{id, name, role, address, path, status}`.
    static func operatorJSON(_ record: Operator) -> JSONValue {
        [
            "id": .string(record.id), "name": .string(record.name), "role": .string(record.role.rawValue),
            "address": .string(record.address.checksummed), "path": .string(record.path),
            "status": .string(record.status.rawValue), "enrolled_at": .string(record.enrolledAt.rfc3339),
        ]
    }
}
