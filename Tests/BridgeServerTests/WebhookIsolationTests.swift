import BridgeApprovals
import BridgeCore
import BridgeServer
import Dispatch
import Foundation
import Synchronization
import Testing

/// A receiver that never answers (its POSTs hang, then time out) beside one that answers at once, recorded on the
/// manual clock and in wall-clock time.
final class DeadAndHealthyTransport: WebhookTransport {
    struct Sent: Sendable {
        let url: URL
        let body: String
        let at: Timestamp
        let wall: ContinuousClock.Instant
    }

    let dead: URL
    let hang: Duration
    private let clock: ManualClock
    private let log = Mutex<[Sent]>([])
    private let returns = Mutex<[ContinuousClock.Instant]>([])

    init(dead: URL, hang: Duration, clock: ManualClock) {
        self.dead = dead
        self.hang = hang
        self.clock = clock
    }

    var sent: [Sent] { log.withLock { $0 } }
    /// When each POST to the dead receiver gave up.
    var deadReturns: [ContinuousClock.Instant] { returns.withLock { $0 } }

    func post(_ request: WebhookRequest) -> Result<Int, WebhookTransportError> {
        log.withLock {
            $0.append(Sent(url: request.url, body: String(decoding: request.body, as: UTF8.self), at: clock.now(),
                           wall: .now))
        }
        guard request.url == dead else { return .success(200) }
        Thread.sleep(forTimeInterval: Double(hang.components.attoseconds) / 1e18 + Double(hang.components.seconds))
        returns.withLock { $0.append(.now) }
        return .failure(WebhookTransportError("no answer within 5 s"))
    }
}

@Suite("Webhooks: one receiver never delays another")
struct WebhookIsolationTests {
    static let dead = URL(string: "http://127.0.0.1:9/dead")!
    static let healthy = URL(string: "http://127.0.0.1:9/healthy")!
    static let alerts = URL(string: "http://127.0.0.1:9/alerts")!

    @Test("A dead receiver beside a healthy one: every message reaches the healthy one at once; the dead one's retries keep 1/2/4/8/16 s and each raises its alert after the fifth retry")
    func aDeadReceiverDelaysNoOne() throws {
        let clock = ManualClock()
        let start = clock.now()
        let store = InMemoryApprovalStore()
        var ids: [Int64] = []
        for index in 0..<8 {
            ids.append(try store.transaction { transaction throws(ApprovalError) in
                try transaction.insertOutboxMessage(OutboxMessage(event: "order.completed", body: #"{"n":\#(index)}"#,
                                                                  createdAt: clock.now(), nextAttemptAt: clock.now()))
            })
        }
        let transport = DeadAndHealthyTransport(dead: Self.dead, hang: .milliseconds(400), clock: clock)
        let log = WebhookLogCollector()
        let metrics = WebhookMetrics()
        let subject = WebhookDispatcher(store: store, clock: clock, transport: transport, signer: WebhookSigner(secret: "s"),
                                        urls: [Self.dead, Self.healthy], alertURL: Self.alerts, metrics: metrics,
                                        logger: log.logger)

        let first = try subject.runOnce()
        #expect(first == WebhookDispatcher.RunSummary(delivered: 8, retried: 8))
        // The healthy receiver got all eight while the dead one was still hanging (its POSTs take 400 ms each).
        let healthy = transport.sent.filter { $0.url == Self.healthy }
        #expect(healthy.count == 8)
        let firstGiveUp = try #require(transport.deadReturns.min())
        #expect(healthy.allSatisfy { $0.wall < firstGiveUp })
        // The schedule as recorded in the store: each dead delivery failed at +0, its retry is due at +1 s.
        var due: [Timestamp] = []
        for id in ids {
            due += try store.read { transaction throws(ApprovalError) in try transaction.webhookDeliveries(outboxID: id) }
                .filter { $0.url == Self.dead.absoluteString }.map(\.nextAttemptAt)
        }
        #expect(due == Array(repeating: start + .seconds(1), count: 8))
        var recorded: [Duration] = []
        for _ in 0..<40 {
            clock.advance(by: .seconds(1))
            try subject.runOnce()
            // The next due time the first dead delivery has in the store after each pass, relative to the start.
            if let next = try store.read({ transaction throws(ApprovalError) in
                try transaction.webhookDeliveries(outboxID: ids[0])
            }).first(where: { $0.url == Self.dead.absoluteString && $0.failedAt == nil })?.nextAttemptAt,
               recorded.last != next - start {
                recorded.append(next - start)
            }
        }
        // Each retry is due at its failure time + 1, 2, 4, 8, 16 s (the first entry was recorded before the loop).
        #expect([.seconds(1)] + recorded == [.seconds(1), .seconds(3), .seconds(7), .seconds(15), .seconds(31)])
        let deadAttempts = transport.sent.filter { $0.url == Self.dead }
        for id in ids {
            let times = deadAttempts.filter { $0.body == #"{"n":\#(id - ids[0])}"# }.map { $0.at - start }
            #expect(times == [.zero, .seconds(1), .seconds(3), .seconds(7), .seconds(15), .seconds(31)], "outbox \(id)")
        }
        #expect(transport.sent.filter { $0.url == Self.healthy }.count == 8)  // never sent twice
        let alerts = transport.sent.filter { $0.url == Self.alerts }
        #expect(alerts.count == 8)
        #expect(alerts.allSatisfy { $0.at == start + .seconds(31) })
        #expect(try JSONValue(parsing: try #require(alerts.first).body)["url"] == .string(Self.dead.absoluteString))
        #expect(log.all.filter { $0.0 == .error && $0.1.hasPrefix("ALERT: webhook order.completed") }.count == 8)
        let snapshot = metrics.snapshot()
        #expect(snapshot.deliveries == 8)
        #expect(snapshot.failedAttempts == 48)
        #expect(snapshot.failedMessages == 8)

        for id in ids {
            let deliveries = try store.transaction { transaction throws(ApprovalError) in
                try transaction.webhookDeliveries(outboxID: id)
            }
            #expect(deliveries.map(\.url) == [Self.dead.absoluteString, Self.healthy.absoluteString])
            #expect(deliveries[0].failedAt == start + .seconds(31))
            #expect(deliveries[0].attempts == 6)
            #expect(deliveries[0].lastError == "no answer within 5 s")
            #expect(deliveries[1].deliveredAt == start)
        }
    }

    @Test("The background loop: a message queued while the dead receiver hangs reaches the healthy one at once")
    func theLoopKeepsTheHealthyReceiverCurrent() throws {
        let clock = ManualClock()
        let store = InMemoryApprovalStore()
        let transport = DeadAndHealthyTransport(dead: Self.dead, hang: .seconds(2), clock: clock)
        let subject = WebhookDispatcher(store: store, clock: clock, transport: transport, signer: WebhookSigner(secret: "s"),
                                        urls: [Self.dead, Self.healthy], pollInterval: .milliseconds(20))
        subject.start()
        defer { subject.stop() }
        for index in 0..<3 {
            let queued = ContinuousClock.now
            _ = try store.transaction { transaction throws(ApprovalError) in
                try transaction.insertOutboxMessage(OutboxMessage(event: "order.completed", body: #"{"n":\#(index)}"#,
                                                                  createdAt: clock.now(), nextAttemptAt: clock.now()))
            }
            subject.wake()
            var reached: ContinuousClock.Instant?
            for _ in 0..<1000 where reached == nil {
                reached = transport.sent.first { $0.url == Self.healthy && $0.body == #"{"n":\#(index)}"# }?.wall
                if reached == nil { usleep(1000) }
            }
            let delay = try #require(reached) - queued
            // Well before the dead receiver's 2 s hang ends: it does not hold the healthy one up.
            #expect(delay < .milliseconds(1500), "message \(index) reached the healthy receiver after \(delay)")
        }
    }

    @Test("A message queued before deliveries existed keeps its attempts and due time when it is fanned out")
    func aMessageFromBeforeTheMigrationKeepsItsSchedule() throws {
        let database = try WebhookTestDatabase()
        defer { database.remove() }
        let clock = ManualClock()
        let start = clock.now()
        let store = try database.open(clock: clock)
        // As migration 6 finds a row that had failed twice under the old one-row-at-a-time dispatcher.
        let id = try store.transaction { transaction throws(ApprovalError) in
            try transaction.insertOutboxMessage(OutboxMessage(event: "order.completed", body: "{}", createdAt: start,
                                                              nextAttemptAt: start, attempts: 2))
        }
        let transport = WebhookScriptedTransport(clock: clock, script: [500])
        let subject = WebhookDispatcher(store: store, clock: clock, transport: transport, signer: WebhookSigner(secret: "s"),
                                        urls: [Self.healthy])
        #expect(try subject.runOnce() == WebhookDispatcher.RunSummary(retried: 1))
        let delivery = try #require(try store.transaction { transaction throws(ApprovalError) in
            try transaction.webhookDeliveries(outboxID: id).first
        })
        #expect(delivery.attempts == 3)
        #expect(delivery.nextAttemptAt == start + .seconds(4))
    }
}

@Suite("The libcurl webhook client")
struct CurlWebhookTransportTests {
    @Test("A receiver that accepts and never answers times out without spinning a core")
    func aSilentReceiverCostsNoCPU() throws {
        let listener = try WebhookLoopbackReceiver()  // listens; nothing ever accepts or answers
        let url = try #require(URL(string: "http://127.0.0.1:\(listener.port)/hooks"))
        var before = timespec(), after = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &before)
        let started = ContinuousClock.now
        let result = CurlWebhookTransport().post(WebhookRequest(url: url, body: Array("{}".utf8), headers: [],
                                                                timeout: .milliseconds(1500)))
        let waited = ContinuousClock.now - started
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &after)
        let cpu = Double(after.tv_sec - before.tv_sec) + Double(after.tv_nsec - before.tv_nsec) / 1e9
        guard case .failure(let error) = result else {
            Issue.record("expected a timeout, got \(result)")
            return
        }
        #expect(error.reason.lowercased().contains("timed out") || error.reason.lowercased().contains("timeout"), "\(error)")
        #expect(waited >= .milliseconds(1400) && waited < .seconds(4))
        #expect(cpu < 0.1, "the wait cost \(cpu) s of CPU")
    }
}
