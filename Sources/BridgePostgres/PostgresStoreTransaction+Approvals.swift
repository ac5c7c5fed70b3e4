import BridgeApprovals

// Operators' signed decisions on orders.
extension PostgresStoreTransaction {
    private static let approvalColumns = "order_id, operator_id, decision, signature, created_at, reason"

    func approvals(orderID: String) throws(ApprovalError) -> [ApprovalRecord] {
        try query("SELECT \(Self.approvalColumns) FROM approvals WHERE order_id = $1 ORDER BY id", [orderID],
                  row: ApprovalRecord.init(row:))
    }

    func approval(signature: [UInt8]) throws(ApprovalError) -> ApprovalRecord? {
        try queryFirst("SELECT \(Self.approvalColumns) FROM approvals WHERE signature = $1", [.bytes(signature)],
                       row: ApprovalRecord.init(row:))
    }

    func insertApproval(_ record: ApprovalRecord) throws(ApprovalError) {
        try run(
            "INSERT INTO approvals (\(Self.approvalColumns)) VALUES ($1, $2, $3, $4, $5, $6)",
            [record.orderID, record.operatorID, record.decision.rawValue, .bytes(record.signature), .time(record.createdAt),
             record.reason]
        )
    }

    func pendingApprovals(operatorID: String) throws(ApprovalError) -> [ApprovalRecord] {
        // From the pending orders (partial index orders_pending_by_age) to the operator's row through the
        // UNIQUE (order_id, operator_id) index: no scan of every approval ever recorded.
        try query(
            """
            SELECT a.order_id, a.operator_id, a.decision, a.signature, a.created_at, a.reason
            FROM orders o JOIN approvals a ON a.order_id = o.order_id AND a.operator_id = $1
            WHERE o.status = 'pending_approval' ORDER BY o.created_at, o.order_id
            """,
            [operatorID], row: ApprovalRecord.init(row:)
        )
    }
}
