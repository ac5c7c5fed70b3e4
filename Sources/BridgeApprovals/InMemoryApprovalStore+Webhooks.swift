extension InMemoryTransaction {
    // MARK: Webhook deliveries

    func insertWebhookDeliveries(of message: OutboxMessage, urls: [String]) throws(ApprovalError) {
        try checkOpen()
        guard let id = message.id else { throw .storage("an outbox message without an id has no deliveries") }
        for url in urls where tables.webhookDeliveries[id]?[url] == nil {
            tables.webhookDeliveries[id, default: [:]][url] = WebhookDelivery(
                outboxID: id, url: url, event: message.event, body: message.body, createdAt: message.createdAt,
                attempts: message.attempts, nextAttemptAt: message.nextAttemptAt)
            undoLog.append { $0.webhookDeliveries[id]?[url] = nil }
        }
    }

    func dueWebhookDeliveries(at time: Timestamp, urls: [String], limit: Int) throws(ApprovalError) -> [WebhookDelivery] {
        try checkOpen()
        let wanted = Set(urls)
        return tables.webhookDeliveries.values.flatMap(\.values)
            .filter { $0.deliveredAt == nil && $0.failedAt == nil && $0.nextAttemptAt <= time && wanted.contains($0.url) }
            .sorted { ($0.nextAttemptAt, $0.outboxID, $0.url) < ($1.nextAttemptAt, $1.outboxID, $1.url) }
            .prefix(max(0, limit)).map { $0 }
    }

    func updateWebhookDelivery(_ delivery: WebhookDelivery) throws(ApprovalError) {
        try checkOpen()
        guard let old = tables.webhookDeliveries[delivery.outboxID]?[delivery.url] else {
            throw .storage("no webhook delivery of outbox \(delivery.outboxID) to \(delivery.url) to update")
        }
        tables.webhookDeliveries[delivery.outboxID]?[delivery.url] = delivery
        undoLog.append { $0.webhookDeliveries[old.outboxID]?[old.url] = old }
    }

    func webhookDeliveries(outboxID: Int64) throws(ApprovalError) -> [WebhookDelivery] {
        try checkOpen()
        return (tables.webhookDeliveries[outboxID] ?? [:]).values.sorted { $0.url < $1.url }
    }
}
