import BridgeApprovals
import BridgeCore
import BridgeCrypto

// Decoding the rows only the PostgreSQL store reads this way; the others are in BridgeApprovals
// (StoreRow+Models.swift), shared with SQLite.

extension WebhookDelivery {
    init(row: PostgresRow) throws(ApprovalError) {
        self.init(outboxID: try row.int64(0), url: try row.string(1), event: try row.string(2), body: try row.string(3),
                  createdAt: try row.timestamp(4), attempts: try row.int(5), nextAttemptAt: try row.timestamp(6),
                  deliveredAt: try row.optionalTimestamp(7), failedAt: try row.optionalTimestamp(8),
                  lastError: try row.optionalString(9))
    }
}

extension PolicyVersion {
    init(row: PostgresRow) throws(ApprovalError) {
        self.init(
            version: try row.int(0), policyJSON: try row.string(1), hash: try row.bytes(2),
            status: try row.enumeration(3, Status.self), proposedBy: try row.optionalString(4), note: try row.optionalString(5),
            createdAt: try row.timestamp(6), expiresAt: try row.optionalTimestamp(7), nonce: try row.bytes(8),
            effectiveAt: try row.optionalTimestamp(9)
        )
    }
}

extension PolicyApproval {
    init(row: PostgresRow) throws(ApprovalError) {
        self.init(version: try row.int(0), operatorID: try row.string(1), signature: try row.bytes(2),
                  createdAt: try row.timestamp(3))
    }
}
