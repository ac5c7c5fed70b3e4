import BridgeApprovals
import BridgeCore

// Operators, their invites, login challenges and sessions.
extension PostgresStoreTransaction {
    private static let operatorColumns = "id, name, role, address, public_key, path, status, enrolled_at, revoked_at"
    private static let inviteColumns = "code_hash, role, created_at, expires_at, used_at, used_by_operator_id"
    private static let challengeColumns = "nonce, operator_id, issued_at, expires_at, used_at"
    private static let sessionColumns = "token_hash, operator_id, created_at, expires_at, last_used_at, bound_ip, revoked_at"

    // MARK: Operators

    func operatorRecord(id: String) throws(ApprovalError) -> Operator? {
        try queryFirst("SELECT \(Self.operatorColumns) FROM operators WHERE id = $1", [id], row: Operator.init(row:))
    }

    func operatorRecord(address: String) throws(ApprovalError) -> Operator? {
        try queryFirst("SELECT \(Self.operatorColumns) FROM operators WHERE address = $1", [address.lowercased()],
                       row: Operator.init(row:))
    }

    func operatorRecord(name: String) throws(ApprovalError) -> Operator? {
        try queryFirst("SELECT \(Self.operatorColumns) FROM operators WHERE name = $1", [name], row: Operator.init(row:))
    }

    func allOperators() throws(ApprovalError) -> [Operator] {
        try query("SELECT \(Self.operatorColumns) FROM operators ORDER BY enrolled_at, enrolment_order", row: Operator.init(row:))
    }

    func insertOperator(_ record: Operator) throws(ApprovalError) {
        try run(
            "INSERT INTO operators (\(Self.operatorColumns)) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            [record.id, record.name, record.role.rawValue, Hex.encodePrefixed(record.address.bytes), .bytes(record.publicKey),
             record.path, record.status.rawValue, .time(record.enrolledAt), .time(record.revokedAt)]
        )
    }

    func updateOperator(_ record: Operator) throws(ApprovalError) {
        try updateOne(
            "operator \(record.id)", "UPDATE operators SET role = $1, status = $2, revoked_at = $3 WHERE id = $4",
            [record.role.rawValue, record.status.rawValue, .time(record.revokedAt), record.id]
        )
    }

    // MARK: Invites

    func invite(codeHash: [UInt8]) throws(ApprovalError) -> Invite? {
        try queryFirst("SELECT \(Self.inviteColumns) FROM invites WHERE code_hash = $1", [.bytes(codeHash)],
                       row: Invite.init(row:))
    }

    func insertInvite(_ invite: Invite) throws(ApprovalError) {
        try run(
            "INSERT INTO invites (\(Self.inviteColumns)) VALUES ($1, $2, $3, $4, $5, $6)",
            [.bytes(invite.codeHash), invite.role.rawValue, .time(invite.createdAt), .time(invite.expiresAt),
             .time(invite.usedAt), invite.usedByOperatorID]
        )
    }

    func updateInvite(_ invite: Invite) throws(ApprovalError) {
        try updateOne(
            "invite", "UPDATE invites SET used_at = $1, used_by_operator_id = $2 WHERE code_hash = $3",
            [.time(invite.usedAt), invite.usedByOperatorID, .bytes(invite.codeHash)]
        )
    }

    // MARK: Login challenges

    func challenge(nonce: [UInt8]) throws(ApprovalError) -> LoginChallenge? {
        try queryFirst("SELECT \(Self.challengeColumns) FROM login_challenges WHERE nonce = $1", [.bytes(nonce)],
                       row: LoginChallenge.init(row:))
    }

    func insertChallenge(_ challenge: LoginChallenge) throws(ApprovalError) {
        try run(
            "INSERT INTO login_challenges (\(Self.challengeColumns)) VALUES ($1, $2, $3, $4, $5)",
            [.bytes(challenge.nonce), challenge.operatorID, .time(challenge.issuedAt), .time(challenge.expiresAt),
             .time(challenge.usedAt)]
        )
    }

    func updateChallenge(_ challenge: LoginChallenge) throws(ApprovalError) {
        try updateOne("login challenge", "UPDATE login_challenges SET used_at = $1 WHERE nonce = $2",
                      [.time(challenge.usedAt), .bytes(challenge.nonce)])
    }

    func deleteChallenges(operatorID: String, keeping: Int) throws(ApprovalError) {
        try run(
            """
            DELETE FROM login_challenges WHERE operator_id = $1 AND used_at IS NULL AND nonce NOT IN (
                SELECT nonce FROM login_challenges WHERE operator_id = $1 AND used_at IS NULL
                ORDER BY issued_at DESC, nonce LIMIT $2)
            """,
            [operatorID, .integer(max(0, keeping))]
        )
    }

    // MARK: Sessions

    func session(tokenHash: [UInt8]) throws(ApprovalError) -> OperatorSession? {
        try queryFirst("SELECT \(Self.sessionColumns) FROM sessions WHERE token_hash = $1", [.bytes(tokenHash)],
                       row: OperatorSession.init(row:))
    }

    func insertSession(_ session: OperatorSession) throws(ApprovalError) {
        try run(
            "INSERT INTO sessions (\(Self.sessionColumns)) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            [.bytes(session.tokenHash), session.operatorID, .time(session.createdAt), .time(session.expiresAt),
             .time(session.lastUsedAt), session.boundIP, .time(session.revokedAt)]
        )
    }

    func updateSession(_ session: OperatorSession) throws(ApprovalError) {
        try updateOne(
            "session", "UPDATE sessions SET last_used_at = $1, revoked_at = $2 WHERE token_hash = $3",
            [.time(session.lastUsedAt), .time(session.revokedAt), .bytes(session.tokenHash)]
        )
    }

    func revokeSessions(operatorID: String, at time: Timestamp) throws(ApprovalError) -> [[UInt8]] {
        // Read, then update the same rows: this transaction holds the store's lock, so no other store transaction
        // changes them in between.
        let ended = try query(
            """
            SELECT token_hash FROM sessions WHERE operator_id = $1 AND revoked_at IS NULL AND expires_at > $2
            ORDER BY created_at, token_hash
            """,
            [operatorID, .time(time)]) { row throws(ApprovalError) in try row.bytes(0) }
        guard !ended.isEmpty else { return [] }
        let changed = try run(
            "UPDATE sessions SET revoked_at = $2 WHERE operator_id = $1 AND revoked_at IS NULL AND expires_at > $2",
            [operatorID, .time(time)])
        guard changed == ended.count else { throw .storage("revoking sessions changed \(changed) rows, not \(ended.count)") }
        return ended
    }

    func deleteExpiredCredentials(before time: Timestamp) throws(ApprovalError) -> (challenges: Int, sessions: Int) {
        let challenges = try run("DELETE FROM login_challenges WHERE expires_at < $1", [.time(time)])
        let sessions = try run("DELETE FROM sessions WHERE expires_at < $1", [.time(time)])
        return (challenges, sessions)
    }
}
