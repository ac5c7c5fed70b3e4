import BridgeApprovals
import BridgeCore

// Webhook deliveries, one per outbox message and receiver URL (migration 6).
extension SQLiteStoreTransaction {
    private static let deliveryColumns = """
        d.outbox_id, d.url, o.event, o.body, o.created_at, d.attempts, d.next_attempt_at, d.delivered_at, d.failed_at, \
        d.last_error
        """

    func insertWebhookDeliveries(of message: OutboxMessage, urls: [String]) throws(ApprovalError) {
        guard let id = message.id else { throw .storage("an outbox message without an id has no deliveries") }
        let database = try open()
        for url in urls {
            try database.run(
                """
                INSERT INTO webhook_deliveries (outbox_id, url, attempts, next_attempt_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (outbox_id, url) DO NOTHING
                """,
                [.integer(id), .text(url), .integer(Int64(message.attempts)),
                 .integer(message.nextAttemptAt.millisecondsSinceEpoch)]
            )
        }
    }

    func dueWebhookDeliveries(at time: Timestamp, urls: [String], limit: Int) throws(ApprovalError) -> [WebhookDelivery] {
        // The URLs travel as one JSON array, so the statement text (and its cached plan) is the same for any list.
        try open().query(
            """
            SELECT \(Self.deliveryColumns) FROM webhook_deliveries d JOIN outbox o ON o.id = d.outbox_id
            WHERE d.delivered_at IS NULL AND d.failed_at IS NULL AND d.next_attempt_at <= ?1
              AND d.url IN (SELECT value FROM json_each(?2))
            ORDER BY d.next_attempt_at, d.outbox_id, d.url LIMIT ?3
            """,
            [.integer(time.millisecondsSinceEpoch), .text(JSONValue.array(urls.map(JSONValue.string)).serialized()),
             .integer(Int64(max(0, limit)))],
            row: WebhookDelivery.init(row:)
        )
    }

    func updateWebhookDelivery(_ delivery: WebhookDelivery) throws(ApprovalError) {
        try updateOne(
            "webhook delivery of outbox \(delivery.outboxID) to \(delivery.url)",
            """
            UPDATE webhook_deliveries SET attempts = ?, next_attempt_at = ?, delivered_at = ?, failed_at = ?, last_error = ?
            WHERE outbox_id = ? AND url = ?
            """,
            [.integer(Int64(delivery.attempts)), .integer(delivery.nextAttemptAt.millisecondsSinceEpoch),
             .integer(delivery.deliveredAt?.millisecondsSinceEpoch), .integer(delivery.failedAt?.millisecondsSinceEpoch),
             .text(delivery.lastError), .integer(delivery.outboxID), .text(delivery.url)]
        )
    }

    func webhookDeliveries(outboxID: Int64) throws(ApprovalError) -> [WebhookDelivery] {
        try open().query(
            """
            SELECT \(Self.deliveryColumns) FROM webhook_deliveries d JOIN outbox o ON o.id = d.outbox_id
            WHERE d.outbox_id = ? ORDER BY d.url
            """,
            [.integer(outboxID)], row: WebhookDelivery.init(row:)
        )
    }
}

extension WebhookDelivery {
    init(row: SQLiteRow) throws(ApprovalError) {
        self.init(outboxID: try row.int64(0), url: try row.string(1), event: try row.string(2), body: try row.string(3),
                  createdAt: try row.timestamp(4), attempts: try row.int(5), nextAttemptAt: try row.timestamp(6),
                  deliveredAt: try row.optionalTimestamp(7), failedAt: try row.optionalTimestamp(8),
                  lastError: try row.optionalString(9))
    }
}
