import BridgeApprovals
import BridgeCore

// Refused transfers kept under their order id, and the pruning of expired login challenges and sessions
// (migration 5).
extension SQLiteStoreTransaction {
    private static let refusalColumns = "order_id, external_user_id, currency, amount, status, type, message, created_at"

    func transferRefusal(orderID: String) throws(ApprovalError) -> TransferRefusal? {
        try open().queryFirst("SELECT \(Self.refusalColumns) FROM order_refusals WHERE order_id = ?", [.text(orderID)]) {
            row throws(ApprovalError) in
            TransferRefusal(orderID: try row.string(0), externalUserID: try row.string(1), currency: try row.string(2),
                            amount: try row.string(3), status: try row.int(4), type: try row.string(5),
                            message: try row.string(6), createdAt: try row.timestamp(7))
        }
    }

    func insertTransferRefusal(_ refusal: TransferRefusal) throws(ApprovalError) {
        let database = try open()
        // An id is an order or a refusal, never both: the caller looked for an order in this same transaction.
        try database.run(
            "INSERT INTO order_refusals (\(Self.refusalColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [.text(refusal.orderID), .text(refusal.externalUserID), .text(refusal.currency), .text(refusal.amount),
             .integer(Int64(refusal.status)), .text(refusal.type), .text(refusal.message),
             .integer(refusal.createdAt.millisecondsSinceEpoch)]
        )
    }

    func deleteChallenges(operatorID: String, keeping: Int) throws(ApprovalError) {
        try open().run(
            """
            DELETE FROM login_challenges WHERE operator_id = ?1 AND used_at IS NULL AND nonce NOT IN (
                SELECT nonce FROM login_challenges WHERE operator_id = ?1 AND used_at IS NULL
                ORDER BY issued_at DESC, nonce LIMIT ?2)
            """,
            [.text(operatorID), .integer(Int64(max(0, keeping)))]
        )
    }

    func deleteExpiredCredentials(before time: Timestamp) throws(ApprovalError) -> (challenges: Int, sessions: Int) {
        let database = try open()
        let cutoff: [SQLiteValue] = [.integer(time.millisecondsSinceEpoch)]
        let challenges = try database.run("DELETE FROM login_challenges WHERE expires_at < ?", cutoff)
        let sessions = try database.run("DELETE FROM sessions WHERE expires_at < ?", cutoff)
        return (challenges, sessions)
    }
}
