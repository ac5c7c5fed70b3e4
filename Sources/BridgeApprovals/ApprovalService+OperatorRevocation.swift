import BridgeCore
import BridgeCrypto

extension ApprovalService {
    /// How long an `OperatorRevocation` document may be signed and submitted: long enough to read it on the device.
    public static let revocationDocumentLifetime: Duration = .seconds(5 * 60)

    /// Revokes the operator called `name`, on the station itself (`walletbridge admin operator revoke`): all their
    /// sessions end at once, and their approvals on orders still pending stop counting (those orders need others).
    /// Audited as `operator.revoked` by `actor`, plus one `approval.withdrawn` per such order.
    /// `.notFound` for an unknown name, `.conflict` when the operator is already revoked.
    @discardableResult
    public func revokeOperator(name: String, reason: String, actor: String) throws(ApprovalError)
        -> OperatorRevocationOutcome
    {
        try Self.validateIdentifier(name, what: "the operator name")
        try Self.validateRevocationReason(reason)
        return try store.transaction { transaction throws(ApprovalError) in
            guard let record = try transaction.operatorRecord(name: name) else { throw .notFound("operator \(name)") }
            return try revoke(record, reason: reason, evidence: [:], actor: actor, in: transaction)
        }
    }

    /// ``revokeOperator(name:reason:actor:)`` by operator id, for tools that hold the id.
    @discardableResult
    public func revokeOperator(id: String, reason: String? = nil, actor: String) throws(ApprovalError)
        -> OperatorRevocationOutcome
    {
        if let reason { try Self.validateRevocationReason(reason) }
        return try store.transaction { transaction throws(ApprovalError) in
            guard let record = try transaction.operatorRecord(id: id) else { throw .notFound("operator \(id)") }
            return try revoke(record, reason: reason, evidence: [:], actor: actor, in: transaction)
        }
    }

    /// The EIP-712 `OperatorRevocation` the admin signed in as `adminID` signs to revoke `name` for `reason`: built from
    /// the STORED operator, with a fresh random nonce and an expiry ``revocationDocumentLifetime`` from now.
    /// `.forbidden` unless the requester is an active admin, `.notFound` for an unknown name, `.conflict` when the
    /// operator is already revoked.
    public func revocationDocument(name: String, reason: String, adminID: String) throws(ApprovalError) -> JSONValue {
        try Self.validateIdentifier(name, what: "the operator name")
        try Self.validateRevocationReason(reason)
        let nonce = try randomBytes(32)
        return try store.read { transaction throws(ApprovalError) in
            _ = try activeAdmin(adminID, in: transaction)
            guard let target = try transaction.operatorRecord(name: name) else { throw .notFound("operator \(name)") }
            guard target.status == .active else { throw Self.alreadyRevoked(target) }
            let expiresAt = Timestamp(secondsSinceEpoch: (clock.now() + Self.revocationDocumentLifetime).secondsSinceEpoch)
            return typedData.document(.operatorRevocation, message: typedData.operatorRevocationMessage(
                operatorAddress: target.address, name: target.name, reason: reason, nonce: nonce, expiresAt: expiresAt))
        }
    }

    /// Revokes `name` on an admin's device-signed `OperatorRevocation`. The document is rebuilt from the STORED
    /// operator and the submitted reason, nonce and expiry (Unix seconds); it must be unexpired (`.expired`), its
    /// signature must recover to the session's operator (`sessionOperatorID`), who must be an active admin
    /// (`.forbidden`). Then as ``revokeOperator(name:reason:actor:)``, audited with the signature, by the admin.
    @discardableResult
    public func revokeOperator(name: String, reason: String, nonce: [UInt8], expiresAtSeconds: Int64, signature: [UInt8],
                               sessionOperatorID: String) throws(ApprovalError) -> OperatorRevocationOutcome
    {
        try Self.validateIdentifier(name, what: "the operator name")
        try Self.validateRevocationReason(reason)
        guard nonce.count == 32 else { throw .invalidRequest("the nonce must be 32 bytes, got \(nonce.count)") }
        let parsedSignature = try Self.parseSignature(signature)
        return try store.transaction { transaction throws(ApprovalError) in
            let now = clock.now()
            guard let admin = try transaction.operatorRecord(id: sessionOperatorID) else {
                throw .sessionInvalid("operator \(sessionOperatorID) does not exist")
            }
            guard let target = try transaction.operatorRecord(name: name) else { throw .notFound("operator \(name)") }
            let expiresAt = try Self.revocationExpiry(expiresAtSeconds, now: now)
            guard now < expiresAt else {
                throw .expired("The OperatorRevocation of \(name) (valid until \(expiresAt.rfc3339))")
            }
            let digest = try typedData.digest(.operatorRevocation, message: typedData.operatorRevocationMessage(
                operatorAddress: target.address, name: target.name, reason: reason, nonce: nonce, expiresAt: expiresAt))
            guard try Self.recoverSigner(parsedSignature, digest: digest) == admin.address else {
                throw .invalidSignature("it does not recover to \(admin.name)'s key over the OperatorRevocation of "
                    + "\(name) as stored (signed content differs, or another key signed)")
            }
            _ = try activeAdmin(admin.id, in: transaction)
            guard target.status == .active else { throw Self.alreadyRevoked(target) }
            return try revoke(target, reason: reason, evidence: [
                "nonce": .string(Hex.encodePrefixed(nonce)), "expires_at": .string(expiresAt.rfc3339),
                "signature": .string(Hex.encodePrefixed(signature)), "signed_by": .string(admin.name),
            ], actor: "operator:" + admin.id, in: transaction)
        }
    }

    // MARK: The revocation itself

    /// Marks `record` revoked, ends its live sessions and withdraws its approvals from pending orders, auditing it
    /// all in the caller's transaction.
    func revoke(_ record: Operator, reason: String?, evidence: JSONObject, actor: String,
                in transaction: any StoreTransaction) throws(ApprovalError) -> OperatorRevocationOutcome
    {
        guard record.status == .active else { throw Self.alreadyRevoked(record) }
        let now = clock.now()
        var revoked = record
        revoked.status = .revoked
        revoked.revokedAt = now
        try transaction.updateOperator(revoked)
        let endedSessions = try transaction.revokeSessions(operatorID: record.id, at: now)
        // A rejection ends its order at once, so on a pending order only approvals can be the operator's.
        let withdrawn = try transaction.pendingApprovals(operatorID: record.id).filter { $0.decision == .approve }

        let recorder = ChangeRecorder(transaction: transaction, time: now, actor: actor)
        var payload: JSONObject = [
            "operator_id": .string(record.id), "name": .string(record.name), "role": .string(record.role.rawValue),
            "address": .string(record.address.checksummed),
            "reason": reason.map(JSONValue.string) ?? .null,
            "sessions_ended": .array(endedSessions.map { .string(Hex.encode($0)) }),
            "withdrawn_orders": .array(withdrawn.map { .string($0.orderID) }),
        ]
        for (key, value) in evidence { payload[key] = value }
        try recorder.audit("operator.revoked", payload)
        for approval in withdrawn {
            guard let order = try transaction.order(id: approval.orderID) else {
                throw .storage("approval on order \(approval.orderID), which is missing")
            }
            let counted = try countingApprovers(try transaction.approvals(orderID: order.orderID), in: transaction)
            try recorder.audit("approval.withdrawn", [
                "order_id": .string(order.orderID), "operator_id": .string(record.id), "operator_name": .string(record.name),
                "approved_at": .string(approval.createdAt.rfc3339), "reason": .string("operator revoked"),
                "approvals": .number(JSONNumber(counted)),
                "approvals_required": .number(JSONNumber(order.approvalsRequired)),
            ])
        }
        return OperatorRevocationOutcome(revokedOperator: revoked, reason: reason, endedSessions: endedSessions,
                                         withdrawnOrderIDs: withdrawn.map(\.orderID))
    }

    /// The operator `id` when they are an active admin: `.operatorRevoked` for a revoked one, `.forbidden` for an
    /// approver.
    func activeAdmin(_ id: String, in transaction: any StoreTransaction) throws(ApprovalError) -> Operator {
        guard let record = try transaction.operatorRecord(id: id) else {
            throw .sessionInvalid("operator \(id) does not exist")
        }
        guard record.status == .active else { throw .operatorRevoked(name: record.name) }
        guard record.role == .admin else {
            throw .forbidden("\(record.name) is an \(record.role.rawValue); only an admin may revoke operators")
        }
        return record
    }

    static func alreadyRevoked(_ record: Operator) -> ApprovalError {
        .conflict("operator \(record.name) was already revoked" + (record.revokedAt.map { " at \($0.rfc3339)" } ?? ""))
    }

    /// A reason is required, printable and at most ``maximumTextLength`` bytes: it is signed and kept in the audit log.
    static func validateRevocationReason(_ reason: String) throws(ApprovalError) {
        guard !reason.isEmpty else { throw .invalidRequest("the reason is empty; say why the operator is revoked") }
        guard reason.utf8.count <= maximumTextLength else {
            throw .invalidRequest("the reason is longer than \(maximumTextLength) bytes")
        }
        guard !reason.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw .invalidRequest("the reason contains control characters")
        }
    }

    /// The submitted expiry as a time: not before the epoch, and no later than a document issued now would say, so a
    /// signed revocation cannot be made to last (and no input overflows the millisecond clock).
    static func revocationExpiry(_ seconds: Int64, now: Timestamp) throws(ApprovalError) -> Timestamp {
        let latest = (now + revocationDocumentLifetime).secondsSinceEpoch
        guard seconds >= 0, seconds <= latest else {
            throw .invalidRequest("expires_at \(seconds) is not a time within \(revocationDocumentLifetime) from now")
        }
        return Timestamp(secondsSinceEpoch: seconds)
    }
}
