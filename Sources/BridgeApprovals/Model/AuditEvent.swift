import BridgeCore

/// One link of the audit chain: `hash = SHA-256(previousHash || canonical JSON of the event body)`, written in the
/// same transaction as the change it records, so the log cannot say something the data does not, or miss a change.
public struct AuditEvent: Sendable, Equatable {
    public let sequence: Int64
    public let time: Timestamp
    /// Who caused it: `crm`, `operator:<id>`, `admin:<id>`, `system`.
    public let actor: String
    /// What happened, e.g. `order.received`, `order.completed`, `approval.accepted`, `operator.enrolled`.
    public let kind: String
    public let payload: JSONValue
    /// 32 zero bytes for the first event.
    public let previousHash: [UInt8]
    public let hash: [UInt8]

    public init(sequence: Int64, time: Timestamp, actor: String, kind: String, payload: JSONValue, previousHash: [UInt8],
                hash: [UInt8]) {
        self.sequence = sequence
        self.time = time
        self.actor = actor
        self.kind = kind
        self.payload = payload
        self.previousHash = previousHash
        self.hash = hash
    }

    /// The hash of the chain before its first event.
    public static let genesisHash = [UInt8](repeating: 0, count: 32)
}

/// A webhook waiting for delivery (CONTRACT 2.4), written in the same transaction as the status change it announces.
public struct OutboxMessage: Sendable, Hashable {
    /// Assigned by the store on insert.
    public var id: Int64?
    /// `order.completed`, `order.pending_approval`, ...
    public let event: String
    /// The exact JSON body to POST.
    public let body: String
    public let createdAt: Timestamp
    public var nextAttemptAt: Timestamp
    public var attempts: Int
    public var deliveredAt: Timestamp?
    /// Set when every retry failed and an alert was raised.
    public var failedAt: Timestamp?

    public init(id: Int64? = nil, event: String, body: String, createdAt: Timestamp, nextAttemptAt: Timestamp,
                attempts: Int = 0, deliveredAt: Timestamp? = nil, failedAt: Timestamp? = nil) {
        self.id = id
        self.event = event
        self.body = body
        self.createdAt = createdAt
        self.nextAttemptAt = nextAttemptAt
        self.attempts = attempts
        self.deliveredAt = deliveredAt
        self.failedAt = failedAt
    }
}
