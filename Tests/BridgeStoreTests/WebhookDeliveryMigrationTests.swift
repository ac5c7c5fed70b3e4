import BridgeApprovals
import BridgeCore
import BridgeStore
import Testing

/// Migration 6 adds per-receiver webhook deliveries. Outbox rows the previous release left undelivered must still be
/// found and fanned out after it (URLs are configuration, so the fan-out happens at dispatch time, not in the SQL), keep
/// their attempts and due time, and the deliveries' state must survive a restart.
@Suite("SQLite store: the webhook deliveries migration")
struct WebhookDeliveryMigrationTests {
    static let start = Fixtures.start
    static let hooks = ["http://127.0.0.1:9/a", "http://127.0.0.1:9/b"]

    /// A database written by migrations 1-4 with three outbox rows: new (due now), retried twice (due in 4 s),
    /// delivered, and failed.
    func previousReleaseDatabase() throws -> TemporaryDatabase {
        let temporary = try TemporaryDatabase()
        let database = try SQLiteDatabase(path: temporary.path)
        #expect(try database.migrate(Array(SQLiteApprovalStore.migrations.prefix(4)), now: Self.start) == [1, 2, 3, 4])
        let now = Self.start.millisecondsSinceEpoch
        try database.transaction { () throws(ApprovalError) in
            try database.execute("""
                INSERT INTO outbox VALUES (1, 'order.completed', '{"order_id":"o-1"}', \(now), \(now), 0, NULL, NULL);
                INSERT INTO outbox VALUES (2, 'order.completed', '{"order_id":"o-2"}', \(now - 3000), \(now + 4000), 2,
                                           NULL, NULL);
                INSERT INTO outbox VALUES (3, 'order.completed', '{"order_id":"o-3"}', \(now), \(now), 1, \(now), NULL);
                INSERT INTO outbox VALUES (4, 'order.completed', '{"order_id":"o-4"}', \(now), \(now), 6, NULL, \(now));
                """)
        }
        database.close()
        return temporary
    }

    @Test func undeliveredRowsAreFannedOutWithTheirScheduleAndSurviveARestart() throws {
        let temporary = try previousReleaseDatabase()
        defer { temporary.remove() }
        do {
            let store = try temporary.open()
            defer { store.close() }
            let versions = try store.withDatabase { database throws(ApprovalError) in
                try database.appliedMigrations().map(\.version)
            }
            #expect(versions.last == SQLiteApprovalStore.migrations.last?.version)
            // Only the two undelivered rows are still due (row 2 not before its own due time).
            let due = try store.read { transaction throws(ApprovalError) in
                try transaction.dueOutboxMessages(at: Self.start + .seconds(10), limit: 10)
            }
            #expect(due.compactMap(\.id) == [1, 2])
            try store.transaction { transaction throws(ApprovalError) in
                for message in due {
                    try transaction.insertWebhookDeliveries(of: message, urls: Self.hooks)
                    var settled = message
                    settled.deliveredAt = Self.start
                    try transaction.updateOutboxMessage(settled)
                }
            }
            let now = try store.read { transaction throws(ApprovalError) in
                try transaction.dueWebhookDeliveries(at: Self.start, urls: Self.hooks, limit: 10)
            }
            #expect(now.map(\.outboxID) == [1, 1])
            #expect(now.map(\.url) == Self.hooks)
            let later = try store.read { transaction throws(ApprovalError) in
                try transaction.dueWebhookDeliveries(at: Self.start + .seconds(4), urls: Self.hooks, limit: 10)
            }
            let retried = later.filter { $0.outboxID == 2 }
            #expect(retried.count == 2)
            #expect(retried.allSatisfy { $0.attempts == 2 && $0.nextAttemptAt == Self.start + .seconds(4) })
            // One receiver took row 1, the other failed it once more: recorded before the "restart".
            var delivered = now[0]
            delivered.attempts += 1
            delivered.deliveredAt = Self.start
            var failed = now[1]
            failed.attempts += 1
            failed.nextAttemptAt = Self.start + .seconds(1)
            failed.lastError = "timed out"
            try store.transaction { transaction throws(ApprovalError) in
                try transaction.updateWebhookDelivery(delivered)
                try transaction.updateWebhookDelivery(failed)
            }
        }
        let reopened = try temporary.open()
        defer { reopened.close() }
        let rows = try reopened.read { transaction throws(ApprovalError) in
            try transaction.webhookDeliveries(outboxID: 1)
        }
        #expect(rows.count == 2)
        #expect(rows[0].deliveredAt == Self.start && rows[0].attempts == 1)
        #expect(rows[1].deliveredAt == nil && rows[1].attempts == 1)
        #expect(rows[1].nextAttemptAt == Self.start + .seconds(1) && rows[1].lastError == "timed out")
        // The fanned-out rows are not fanned out again, and the delivered or failed old rows never were.
        #expect(try reopened.read { transaction throws(ApprovalError) in
            try transaction.dueOutboxMessages(at: Self.start + .seconds(60), limit: 10)
        }.isEmpty)
        #expect(try reopened.read { transaction throws(ApprovalError) in
            try transaction.webhookDeliveries(outboxID: 3) + transaction.webhookDeliveries(outboxID: 4)
        }.isEmpty)
    }
}
