import BridgeCore
import BridgeCrypto

/// The result of recomputing the audit chain.
public struct AuditVerification: Sendable {
    /// True when every event links to its predecessor and hashes to its stored hash.
    public let ok: Bool
    /// Events read.
    public let events: Int
    /// The last event's stored hash (the genesis hash for an empty chain).
    public let head: [UInt8]
    /// The first event that does not verify, and why.
    public let firstBroken: (sequence: Int64, reason: String)?

    public init(ok: Bool, events: Int, head: [UInt8], firstBroken: (sequence: Int64, reason: String)?) {
        self.ok = ok
        self.events = events
        self.head = head
        self.firstBroken = firstBroken
    }
}

extension ApprovalService {
    /// Metadata key of the fingerprint of the policy set the audit log last recorded.
    static let policyFingerprintKey = "policy.fingerprint"

    /// `SHA-256(previousHash || canonical JSON of {sequence, time, actor, kind, payload})`, `time` in milliseconds
    /// since the epoch and canonical meaning sorted keys, no whitespace, numbers as written.
    public static func auditHash(previousHash: [UInt8], sequence: Int64, time: Timestamp, actor: String, kind: String,
                                 payload: JSONValue) -> [UInt8] {
        auditHash(previousHash: previousHash, sequence: sequence, time: time, actor: actor, kind: kind,
                  canonicalPayload: payload.serialized(.canonical))
    }

    /// ``auditHash(previousHash:sequence:time:actor:kind:payload:)`` with the payload's canonical JSON already
    /// written: the object around it is spelled out here in its canonical key order (actor, kind, payload, sequence,
    /// time), so the payload is serialized once for the hash and the store.
    public static func auditHash(previousHash: [UInt8], sequence: Int64, time: Timestamp, actor: String, kind: String,
                                 canonicalPayload: String) -> [UInt8] {
        var bytes = previousHash
        bytes.append(contentsOf: #"{"actor":"#.utf8)
        JSONValue.appendQuoted(actor, to: &bytes)
        bytes.append(contentsOf: #","kind":"#.utf8)
        JSONValue.appendQuoted(kind, to: &bytes)
        bytes.append(contentsOf: #","payload":"#.utf8)
        bytes.append(contentsOf: canonicalPayload.utf8)
        bytes.append(contentsOf: #","sequence":\#(sequence),"time":\#(time.millisecondsSinceEpoch)}"#.utf8)
        return Hash.sha256(bytes)
    }

    /// Recomputes every hash of this service's audit chain.
    public func verifyAuditChain() throws(ApprovalError) -> AuditVerification {
        try Self.verifyAuditChain(store: store)
    }

    /// Recomputes every hash of the audit chain in `store` (what `walletbridge audit verify` runs), reading it in
    /// pages so a long chain never holds the store for long. Names the first event that does not verify.
    public static func verifyAuditChain(store: any ApprovalStore, pageSize: Int = 2000)
        throws(ApprovalError) -> AuditVerification
    {
        var previousHash = AuditEvent.genesisHash
        var expectedSequence: Int64 = 1
        var count = 0
        while true {
            let after = expectedSequence - 1
            // A snapshot read per page: it never waits for (or holds up) writers, on any store.
            let page = try store.read { transaction throws(ApprovalError) in
                try transaction.auditEvents(after: after, limit: max(1, pageSize))
            }
            if page.isEmpty { break }
            for event in page {
                count += 1
                func broken(_ reason: String) -> AuditVerification {
                    AuditVerification(ok: false, events: count, head: previousHash,
                                      firstBroken: (sequence: event.sequence, reason: reason))
                }
                guard event.sequence == expectedSequence else {
                    return broken("sequence \(event.sequence) follows \(expectedSequence - 1); events are missing or reordered")
                }
                guard event.previousHash == previousHash else {
                    return broken("its previous hash does not match the hash of event \(expectedSequence - 1)")
                }
                let recomputed = auditHash(previousHash: event.previousHash, sequence: event.sequence, time: event.time,
                                           actor: event.actor, kind: event.kind, payload: event.payload)
                guard recomputed == event.hash else {
                    return broken("its content does not hash to the stored hash (the event was altered)")
                }
                previousHash = event.hash
                expectedSequence += 1
            }
        }
        return AuditVerification(ok: true, events: count, head: previousHash, firstBroken: nil)
    }

    /// Records the active policy set in the audit chain when its fingerprint differs from the last one recorded.
    /// Returns true when it recorded a change.
    ///
    /// The service no longer calls this: since policy versions exist, the configuration's policies seed version 1
    /// (``seedPolicy(_:actor:)``) and only admins' signatures change the policy (``approvePolicy(version:signature:sessionOperatorID:)``).
    /// Both keep the same `policy.fingerprint` metadata current, so a database that recorded `policy.changed` events
    /// before continues one history.
    @discardableResult
    public func recordPolicy(fingerprint: String, json: JSONValue, actor: String = "system") throws(ApprovalError) -> Bool {
        try store.transaction { transaction throws(ApprovalError) in
            let previous = try transaction.metadata(Self.policyFingerprintKey)
            guard previous != fingerprint else { return false }
            try transaction.setMetadata(Self.policyFingerprintKey, fingerprint)
            try ChangeRecorder(transaction: transaction, time: clock.now(), actor: actor).audit("policy.changed", [
                "fingerprint": .string(fingerprint),
                "previous_fingerprint": previous.map(JSONValue.string) ?? .null,
                "policy": json,
            ])
            return true
        }
    }
}

extension ApprovalService {
    /// Up to `limit` audit events after `sequence`, oldest first: the operator event stream and the audit tail read
    /// the chain through this, so every instance on a shared database sees the same events in the same order.
    public func auditEvents(after sequence: Int64, limit: Int) throws(ApprovalError) -> [AuditEvent] {
        try store.read { transaction throws(ApprovalError) in
            try transaction.auditEvents(after: max(0, sequence), limit: max(1, limit))
        }
    }

    /// The sequence of the newest audit event (0 for an empty chain).
    public func lastAuditSequence() throws(ApprovalError) -> Int64 {
        try store.read { transaction throws(ApprovalError) in try transaction.lastAuditEvent()?.sequence ?? 0 }
    }
}
