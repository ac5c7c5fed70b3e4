import BridgeApprovals
import BridgeCore

// Transfer orders, and the business refusals kept under an order id (an id is one or the other, never both).
extension PostgresStoreTransaction {
    private static let orderColumns = """
        order_id, external_user_id, currency, wallet_id, amount, status, policy_name, approvals_required, \
        eligible_approvers, nonce, created_at, expires_at, decided_at, balance_after, reason, initiator_operator_id, \
        policy_version
        """
    private static let orderByID = "SELECT \(orderColumns) FROM orders WHERE order_id = $1"
    private static let orderInsert = """
        INSERT INTO orders (\(orderColumns)) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
        """
    private static let refusalColumns = "order_id, external_user_id, currency, amount, status, type, message, created_at"

    func order(id: String) throws(ApprovalError) -> TransferOrder? {
        try queryFirst(Self.orderByID, [id], row: TransferOrder.init(row:))
    }

    func insertOrder(_ order: TransferOrder) throws(ApprovalError) {
        try run(
            Self.orderInsert,
            [order.orderID, order.externalUserID, order.currency, order.walletID, .money(order.amount),
             order.status.rawValue, order.policyName, .integer(order.approvalsRequired),
             order.eligibleApprovers.map(\.canonicalJSON), .bytes(order.nonce), .time(order.createdAt),
             .time(order.expiresAt), .time(order.decidedAt), .money(order.balanceAfter), order.reason,
             order.initiatorOperatorID, .integer(order.policyVersion)]
        )
    }

    func updateOrder(_ order: TransferOrder) throws(ApprovalError) {
        // What a decision changes; the request's content is immutable (it is what approvals sign).
        try updateOne(
            "order \(order.orderID)",
            "UPDATE orders SET status = $1, decided_at = $2, balance_after = $3, reason = $4 WHERE order_id = $5",
            [order.status.rawValue, .time(order.decidedAt), .money(order.balanceAfter), order.reason, order.orderID]
        )
    }

    func orders(status: OrderStatus, limit: Int) throws(ApprovalError) -> [TransferOrder] {
        // The status is written into the SQL (one statement per status; it is an enum, never input) so the planner
        // sees that the pending list matches the partial index orders_pending_by_age.
        try query(
            "SELECT \(Self.orderColumns) FROM orders WHERE status = '\(status.rawValue)' ORDER BY created_at, order_id LIMIT $1",
            [.integer(max(0, limit))], row: TransferOrder.init(row:)
        )
    }

    func pendingOrders(expiringAtOrBefore time: Timestamp) throws(ApprovalError) -> [TransferOrder] {
        try query(
            """
            SELECT \(Self.orderColumns) FROM orders
            WHERE status = 'pending_approval' AND expires_at <= $1 ORDER BY expires_at, order_id
            """,
            [.time(time)], row: TransferOrder.init(row:)
        )
    }

    func orderTotals(externalUserID: String, currency: String?, statuses: Set<OrderStatus>, since: Timestamp)
        throws(ApprovalError) -> (count: Int, absoluteSum: Int128)
    {
        let statusList: String? = .textArray(statuses.map(\.rawValue).sorted())
        // Two texts rather than "currency IS NOT DISTINCT FROM" so each uses orders_by_user fully.
        let rows: [Int128]
        if let currency {
            rows = try query(
                """
                SELECT amount FROM orders WHERE external_user_id = $1 AND currency = $2 \
                AND created_at >= $3 AND status = ANY ($4::text[])
                """,
                [externalUserID, currency, .time(since), statusList]) { row throws(ApprovalError) in try row.money(0) }
        } else {
            rows = try query(
                """
                SELECT amount FROM orders WHERE external_user_id = $1 \
                AND created_at >= $2 AND status = ANY ($3::text[])
                """,
                [externalUserID, .time(since), statusList]) { row throws(ApprovalError) in try row.money(0) }
        }
        // Summed here, exactly and checked, as on SQLite: a sum beyond Int128 is refused the same way. The magnitude
        // of Int128.min is itself beyond Int128 (a row no service wrote, but it must not trap).
        var sum: Int128 = 0
        for amount in rows {
            guard let magnitude = Int128(exactly: amount.magnitude) else {
                throw .invalidAmount("\(externalUserID)'s velocity window sum would exceed what the service can hold (2^127 - 1 minor units)")
            }
            sum = try MinorUnits.adding(sum, magnitude, "\(externalUserID)'s velocity window sum")
        }
        return (rows.count, sum)
    }

    func pendingOrderCount(walletID: String) throws(ApprovalError) -> Int {
        try queryFirst(
            "SELECT count(*) FROM orders WHERE wallet_id = $1 AND status = 'pending_approval'", [walletID]
        ) { row throws(ApprovalError) in try row.int(0) } ?? 0
    }

    func transferRefusal(orderID: String) throws(ApprovalError) -> TransferRefusal? {
        try queryFirst("SELECT \(Self.refusalColumns) FROM order_refusals WHERE order_id = $1", [orderID]) {
            row throws(ApprovalError) in
            TransferRefusal(orderID: try row.string(0), externalUserID: try row.string(1), currency: try row.string(2),
                            amount: try row.string(3), status: try row.int(4), type: try row.string(5),
                            message: try row.string(6), createdAt: try row.timestamp(7))
        }
    }

    func insertTransferRefusal(_ refusal: TransferRefusal) throws(ApprovalError) {
        // An id is an order or a refusal, never both: the caller looked for an order in this same transaction.
        try run(
            "INSERT INTO order_refusals (\(Self.refusalColumns)) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            [refusal.orderID, refusal.externalUserID, refusal.currency, refusal.amount, .integer(refusal.status),
             refusal.type, refusal.message, .time(refusal.createdAt)]
        )
    }
}
