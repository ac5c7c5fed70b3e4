import BridgeApprovals

// The webhook outbox and its deliveries, one per outbox message and receiver URL. The semantics are SQLite's: due
// rows are listed, and whoever updates them inside a store transaction owns them. Because store transactions are
// serialized across instances, a dispatcher that lists and leases due deliveries in one transaction (moves their
// next attempt past a lease) claims them for itself alone; claiming without the global lock (FOR UPDATE SKIP LOCKED)
// is a later step.
extension PostgresStoreTransaction {
    private static let outboxColumns = "id, event, body, created_at, next_attempt_at, attempts, delivered_at, failed_at"
    private static let deliveryColumns = """
        d.outbox_id, d.url, o.event, o.body, o.created_at, d.attempts, d.next_attempt_at, d.delivered_at, d.failed_at, \
        d.last_error
        """

    // MARK: Outbox

    func insertOutboxMessage(_ message: OutboxMessage) throws(ApprovalError) -> Int64 {
        let id = try queryFirst(
            """
            INSERT INTO outbox (event, body, created_at, next_attempt_at, attempts, delivered_at, failed_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id
            """,
            [message.event, message.body, .time(message.createdAt), .time(message.nextAttemptAt),
             .integer(message.attempts), .time(message.deliveredAt), .time(message.failedAt)]
        ) { row throws(ApprovalError) in try row.int64(0) }
        guard let id else { throw .storage("inserting an outbox message returned no id") }
        return id
    }

    func dueOutboxMessages(at time: Timestamp, limit: Int) throws(ApprovalError) -> [OutboxMessage] {
        try query(
            """
            SELECT \(Self.outboxColumns) FROM outbox
            WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1 ORDER BY id LIMIT $2
            """,
            [.time(time), .integer(max(0, limit))], row: OutboxMessage.init(row:)
        )
    }

    func updateOutboxMessage(_ message: OutboxMessage) throws(ApprovalError) {
        guard let id = message.id else { throw .storage("an outbox message without an id cannot be updated") }
        try updateOne(
            "outbox message \(id)",
            "UPDATE outbox SET next_attempt_at = $1, attempts = $2, delivered_at = $3, failed_at = $4 WHERE id = $5",
            [.time(message.nextAttemptAt), .integer(message.attempts), .time(message.deliveredAt), .time(message.failedAt),
             .integer(id)]
        )
    }

    // MARK: Deliveries

    func insertWebhookDeliveries(of message: OutboxMessage, urls: [String]) throws(ApprovalError) {
        guard let id = message.id else { throw .storage("an outbox message without an id has no deliveries") }
        for url in urls {
            try run(
                """
                INSERT INTO webhook_deliveries (outbox_id, url, attempts, next_attempt_at) VALUES ($1, $2, $3, $4)
                ON CONFLICT (outbox_id, url) DO NOTHING
                """,
                [.integer(id), url, .integer(message.attempts), .time(message.nextAttemptAt)]
            )
        }
    }

    func dueWebhookDeliveries(at time: Timestamp, urls: [String], limit: Int) throws(ApprovalError) -> [WebhookDelivery] {
        // The URLs travel as one text[], so the statement (and its plan) is the same for any list.
        try query(
            """
            SELECT \(Self.deliveryColumns) FROM webhook_deliveries d JOIN outbox o ON o.id = d.outbox_id
            WHERE d.delivered_at IS NULL AND d.failed_at IS NULL AND d.next_attempt_at <= $1
              AND d.url = ANY ($2::text[])
            ORDER BY d.next_attempt_at, d.outbox_id, d.url LIMIT $3
            """,
            [.time(time), .textArray(urls), .integer(max(0, limit))], row: WebhookDelivery.init(row:)
        )
    }

    func updateWebhookDelivery(_ delivery: WebhookDelivery) throws(ApprovalError) {
        try updateOne(
            "webhook delivery of outbox \(delivery.outboxID) to \(delivery.url)",
            """
            UPDATE webhook_deliveries SET attempts = $1, next_attempt_at = $2, delivered_at = $3, failed_at = $4,
                last_error = $5
            WHERE outbox_id = $6 AND url = $7
            """,
            [.integer(delivery.attempts), .time(delivery.nextAttemptAt), .time(delivery.deliveredAt),
             .time(delivery.failedAt), delivery.lastError, .integer(delivery.outboxID), delivery.url]
        )
    }

    func webhookDeliveries(outboxID: Int64) throws(ApprovalError) -> [WebhookDelivery] {
        try query(
            """
            SELECT \(Self.deliveryColumns) FROM webhook_deliveries d JOIN outbox o ON o.id = d.outbox_id
            WHERE d.outbox_id = $1 ORDER BY d.url
            """,
            [.integer(outboxID)], row: WebhookDelivery.init(row:)
        )
    }
}
