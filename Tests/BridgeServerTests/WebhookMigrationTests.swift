import BridgeApprovals
import BridgeCore
import BridgeServer
import BridgeStore
import Foundation
import Testing

/// An upgrade must not lose webhooks: outbox rows a release before migration 6 left undelivered are delivered to every
/// configured receiver by the per-receiver dispatcher after the upgrade, keeping their retry count.
@Suite("Webhooks after the upgrade to per-receiver deliveries")
struct WebhookMigrationTests {
    static let first = URL(string: "http://127.0.0.1:9/first")!
    static let second = URL(string: "http://127.0.0.1:9/second")!

    @Test("Undelivered rows from a database written by migrations 1-4 reach both receivers; delivered ones are not resent")
    func undeliveredRowsFromBeforeTheMigrationAreDelivered() throws {
        let database = try WebhookTestDatabase()
        defer { database.remove() }
        let clock = ManualClock()
        let now = clock.now().millisecondsSinceEpoch
        do {
            let old = try SQLiteDatabase(path: database.path)
            _ = try old.migrate(Array(SQLiteApprovalStore.migrations.prefix(4)), now: clock.now())
            try old.transaction { () throws(ApprovalError) in
                try old.execute("""
                    INSERT INTO outbox VALUES (1, 'order.completed', '{"order_id":"o-1"}', \(now), \(now), 0, NULL, NULL);
                    INSERT INTO outbox VALUES (2, 'order.failed', '{"order_id":"o-2"}', \(now), \(now), 3, NULL, NULL);
                    INSERT INTO outbox VALUES (3, 'order.completed', '{"order_id":"o-3"}', \(now), \(now), 1, \(now),
                                               NULL);
                    """)
            }
            old.close()
        }
        let store = try database.open(clock: clock)
        defer { store.close() }
        let transport = WebhookScriptedTransport(clock: clock, script: [])
        let dispatcher = WebhookDispatcher(store: store, clock: clock, transport: transport,
                                           signer: WebhookSigner(secret: "s3cret"), urls: [Self.first, Self.second])
        let summary = try dispatcher.runOnce()
        #expect(summary.delivered == 4)
        let sent = Set(transport.sent.map { "\($0.url.path) \($0.headers["X-WalletBridge-Delivery"] ?? "")" })
        #expect(sent == ["/first 1", "/second 1", "/first 2", "/second 2"])
        #expect(transport.sent.count == 4)
        let second = try store.read { transaction throws(ApprovalError) in try transaction.webhookDeliveries(outboxID: 2) }
        // The row had been tried three times before the upgrade; this was its fourth attempt at each receiver.
        #expect(second.map(\.attempts) == [4, 4])
        #expect(second.allSatisfy { $0.deliveredAt != nil })
        #expect(try dispatcher.runOnce().processed == 0)
    }
}
