import BridgeApprovals
import BridgeServer
import BridgeStore
import Foundation
import Testing

/// Several instances on one database each run a dispatcher: a delivery is claimed by one of them (a lease), and a
/// dead instance's claim is taken over when its lease runs out.
@Suite("Webhook deliveries claimed across instances")
struct WebhookClaimTests {
    let helpers = WebhookDispatcherTests()

    @Test func twoInstancesRunningTogetherPostEachDeliveryOnce() async throws {
        let database = try WebhookTestDatabase()
        defer { database.remove() }
        let clock = ManualClock()
        let first = try database.open(clock: clock), second = try database.open(clock: clock)
        let ids = try (0..<20).map { index in try helpers.enqueue(first, clock: clock, body: #"{"n":\#(index)}"#) }
        let transport = WebhookScriptedTransport(clock: clock, script: [])
        let instances = [helpers.dispatcher(first, clock: clock, transport: transport),
                         helpers.dispatcher(second, clock: clock, transport: transport)]
        // Both at once, on threads of their own (runOnce blocks on SQLite and the POSTs).
        try await withThrowingTaskGroup(of: Void.self) { group in
            for instance in instances {
                group.addTask {
                    try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
                        Thread {
                            do {
                                for _ in 0..<3 { try instance.runOnce() }
                                done.resume()
                            } catch { done.resume(throwing: error) }
                        }.start()
                    }
                }
            }
            try await group.waitForAll()
        }
        let bodies = transport.sent.map(\.body)
        #expect(bodies.count == 20)
        #expect(Set(bodies).count == 20)
        for id in ids { #expect(try helpers.row(first, id: id, clock: clock) == nil) }
    }

    @Test func aDeadInstancesClaimIsTakenOverWhenItsLeaseRunsOut() throws {
        let database = try WebhookTestDatabase()
        defer { database.remove() }
        let clock = ManualClock()
        let store = try database.open(clock: clock)
        let id = try helpers.enqueue(store, clock: clock)
        // The claim a dispatcher writes before its POST, left behind by a process killed mid-POST.
        let survivorTransport = WebhookScriptedTransport(clock: clock, script: [])
        let survivor = helpers.dispatcher(store, clock: clock, transport: survivorTransport)
        try store.transaction { transaction throws(ApprovalError) in
            guard var message = try transaction.dueOutboxMessages(at: clock.now(), limit: 1).first else {
                throw .storage("the outbox row is not due")
            }
            try transaction.insertWebhookDeliveries(of: message, urls: [WebhookDispatcherTests.receiver.absoluteString])
            message.deliveredAt = clock.now()
            try transaction.updateOutboxMessage(message)
            guard var claimed = try transaction.webhookDeliveries(outboxID: id).first else { throw .storage("no delivery") }
            claimed.nextAttemptAt = clock.now() + WebhookDispatcher.defaultClaimLease
            try transaction.updateWebhookDelivery(claimed)
        }
        try survivor.runOnce()
        #expect(survivorTransport.sent.isEmpty)  // still somebody else's
        clock.advance(by: WebhookDispatcher.defaultClaimLease)
        try survivor.runOnce()
        #expect(survivorTransport.sent.count == 1)
        #expect(try helpers.row(store, id: id, clock: clock) == nil)
    }
}
