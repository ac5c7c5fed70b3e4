/// One outbox message on its way to one receiver URL (CONTRACT 2.4): each (message, URL) pair has its own attempts
/// and schedule, so a receiver that never answers delays neither the other receivers nor its own other messages.
public struct WebhookDelivery: Sendable, Hashable {
    /// The outbox row it carries.
    public let outboxID: Int64
    /// The receiver, as configured.
    public let url: String
    /// The outbox row's event and exact body (read with the delivery, never stored twice).
    public let event: String
    public let body: String
    public let createdAt: Timestamp
    public var attempts: Int
    public var nextAttemptAt: Timestamp
    public var deliveredAt: Timestamp?
    /// Set when the last retry failed and the alert was raised.
    public var failedAt: Timestamp?
    /// What went wrong on the last failed attempt.
    public var lastError: String?

    public init(outboxID: Int64, url: String, event: String, body: String, createdAt: Timestamp, attempts: Int = 0,
                nextAttemptAt: Timestamp, deliveredAt: Timestamp? = nil, failedAt: Timestamp? = nil, lastError: String? = nil) {
        self.outboxID = outboxID
        self.url = url
        self.event = event
        self.body = body
        self.createdAt = createdAt
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.deliveredAt = deliveredAt
        self.failedAt = failedAt
        self.lastError = lastError
    }
}
