import BridgeApprovals
import BridgeCore

// The audit chain. It stays linear across instances because every store transaction holds the one advisory lock:
// the head read here is the head when the transaction commits, and `sequence` is the primary key besides, so a fork
// could not commit even if a writer got round the lock.
extension PostgresStoreTransaction {
    private static let auditColumns = "sequence, time, actor, kind, payload, previous_hash, hash"
    private static let auditBySequence = "SELECT \(auditColumns) FROM audit_events WHERE sequence = $1"
    private static let auditInsert = "INSERT INTO audit_events (\(auditColumns)) VALUES ($1, $2, $3, $4, $5, $6, $7)"
    private static let auditHeadLink = "SELECT sequence, hash FROM audit_events ORDER BY sequence DESC LIMIT 1"

    func lastAuditEvent() throws(ApprovalError) -> AuditEvent? {
        guard let head = try lastAuditLink() else { return nil }
        if let cached = context.auditHead.event, cached.sequence == head.sequence, cached.hash == head.hash { return cached }
        let event = try queryFirst(Self.auditBySequence, [.integer(head.sequence)], row: AuditEvent.init(row:))
        context.auditHead.event = event
        return event
    }

    /// The newest event's sequence and hash, read once per transaction: all chaining needs, without the payload.
    private func lastAuditLink() throws(ApprovalError) -> (sequence: Int64, hash: [UInt8])? {
        if let known = context.auditLink { return known }
        let link = try queryFirst(Self.auditHeadLink) { row throws(ApprovalError) in (try row.int64(0), try row.bytes(1)) }
        context.auditLink = .some(link)
        return link
    }

    func appendAuditEvent(_ event: AuditEvent, canonicalPayload: String) throws(ApprovalError) {
        // The chain's shape is checked here too, so no caller can leave a gap or a fork for `audit verify` to find later.
        let last = try lastAuditLink()
        let expectedSequence = (last?.sequence ?? 0) + 1
        guard event.sequence == expectedSequence else {
            throw .storage("audit event \(event.sequence) refused: the next sequence is \(expectedSequence)")
        }
        guard event.previousHash == (last?.hash ?? AuditEvent.genesisHash) else {
            throw .storage("audit event \(event.sequence) refused: its previous hash is not the hash of event \(expectedSequence - 1)")
        }
        try run(
            Self.auditInsert,
            [.integer(event.sequence), .time(event.time), event.actor, event.kind, canonicalPayload,
             .bytes(event.previousHash), .bytes(event.hash)]
        )
        context.auditLink = .some((event.sequence, event.hash))
        context.auditHead.event = event
    }

    func auditEvents(after sequence: Int64, limit: Int) throws(ApprovalError) -> [AuditEvent] {
        try query(
            "SELECT \(Self.auditColumns) FROM audit_events WHERE sequence > $1 ORDER BY sequence LIMIT $2",
            [.integer(sequence), .integer(max(0, limit))], row: AuditEvent.init(row:)
        )
    }
}
