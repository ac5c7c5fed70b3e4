import BridgeCore
import Foundation
import ProcessTestSupport
import Synchronization
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension PostgresTests.ClusterTests {
    /// Two instances with webhooks to one receiver (claim lease 2 s): 40 transfers through both, and every outbox
    /// event reaches the receiver exactly once, signed, from one instance or the other (their delivery counters add
    /// up to the outbox).
    @Test func everyWebhookIsDeliveredOnceByOneOfTwoInstances() async throws {
        let receiver = try WebhookReceiver(secret: ConfiguredCluster.webhookSecret)
        defer { receiver.stop() }
        try await Cluster.run { cluster in
            let configuration = try ConfiguredCluster.configuration(cluster, receiver: receiver, leaseSeconds: 2)
            let instances = try await cluster.startConfigured(["a", "b"], configuration: configuration,
                                                              apiKey: ConfiguredCluster.apiKey)
            let users = try await ConfiguredCluster.createWallets(cluster, configuration: configuration, users: 4,
                                                                  balance: "1000.00")
            let sent = await concurrently(40, width: 8) { index in
                await SentTransfer.send(instances[index % 2], index: index % 2, orderID: "hook-\(index)",
                                        user: users[index % users.count], amount: index % 3 == 0 ? "-3.00" : "5.25")
            }
            for transfer in sent { #expect(transfer.status == 200, "\(transfer.summary)") }

            let outbox = try await ConfiguredCluster.waitForEveryWebhook(cluster, receiver: receiver, timeout: .seconds(20))
            // A second POST of a delivered event would come from an expired claim: give the lease time to run out.
            try await Task.sleep(for: .milliseconds(2_500))
            let requests = receiver.requests
            #expect(outbox.count == sent.count, "one order.completed per transfer: \(outbox.values.sorted())")
            #expect(Set(outbox.values) == ["order.completed"])
            let perDelivery = Dictionary(grouping: requests, by: { $0.delivery ?? "(none)" })
            #expect(Set(perDelivery.keys) == Set(outbox.keys), "delivery ids received vs the outbox")
            let repeated = perDelivery.filter { $0.value.count != 1 }.keys.sorted()
            #expect(repeated.isEmpty, "delivered more than once: \(repeated)")
            #expect(requests.allSatisfy { $0.answered })
            #expect(requests.allSatisfy { $0.signatureValid }, "X-WalletBridge-Signature must verify with the secret")
            for request in requests {
                let body = try JSONValue(parsing: request.body)
                #expect(body["event"]?.stringValue == request.event)
                #expect(request.event == outbox[request.delivery ?? ""], "\(request.body)")
            }
            let orders = requests.compactMap { try? JSONValue(parsing: $0.body)["order_id"]?.stringValue }
            #expect(orders.sorted() == sent.map(\.orderID).sorted())
            var delivered = 0.0
            for instance in instances { delivered += try await instance.counter("walletbridge_webhook_deliveries_total") }
            #expect(delivered == Double(outbox.count), "the instances' delivery counters add up to \(delivered)")
        }
    }

    /// Three instances under load (credits, debits, and large debits that wait for approvals), webhooks held at
    /// the receiver so each instance has claimed deliveries in flight; then one is killed with SIGKILL mid-load.
    /// Every transfer acknowledged by any instance stands at the survivors, applied exactly once; one without an
    /// answer either applied once or not at all; balances, holds and the audit chain add up; and the survivors
    /// deliver every webhook, the killed instance's claimed ones included once their lease ran out.
    @Test func anInstanceKilledMidLoadLosesNothingAndAppliesNothingTwice() async throws {
        let receiver = try WebhookReceiver(secret: ConfiguredCluster.webhookSecret)
        defer { receiver.stop() }
        try await Cluster.run { cluster in
            let configuration = try ConfiguredCluster.configuration(cluster, receiver: receiver, leaseSeconds: 2)
            let instances = try await cluster.startConfigured(["a", "b", "c"], configuration: configuration,
                                                              apiKey: ConfiguredCluster.apiKey)
            let (a, b, victim) = (instances[0], instances[1], instances[2])
            let users = try await ConfiguredCluster.createWallets(cluster, configuration: configuration, users: 4,
                                                                  balance: "100000.00")
            let start = 10_000_000
            @Sendable func amount(_ index: Int) -> String {
                index % 10 == 7 ? "-1500.00" : index % 3 == 0 ? "-2.50" : "4.75"
            }
            @Sendable func transfer(_ index: Int) async -> SentTransfer {
                let target = index % 3
                return await SentTransfer.send(instances[target], index: target, orderID: "load-\(index)",
                                               user: users[index % users.count], amount: amount(index))
            }

            // Phase 1: POSTs are held, so every instance claims deliveries it cannot finish; an instance has 8 in
            // flight to one receiver at most, so 17 held POSTs mean the victim has some.
            receiver.hold()
            let firstPhase = await concurrently(45, width: 6) { await transfer($0) }
            let holdDeadline = ContinuousClock.now + .seconds(3)
            while receiver.heldCount < 17, ContinuousClock.now < holdDeadline { try await Task.sleep(for: .milliseconds(10)) }
            let heldAtKill = receiver.heldCount

            // Phase 2: the victim is killed once 10 of these transfers were answered; the rest go on meanwhile.
            let progress = LoadState()
            let secondPhase = Task {
                await concurrently(60, width: 6) { offset in
                    let result = await transfer(45 + offset)
                    progress.record(result)
                    return result
                }
            }
            let killDeadline = ContinuousClock.now + .seconds(10)
            while progress.finished.load(ordering: .relaxed) < 10, ContinuousClock.now < killDeadline {
                try await Task.sleep(for: .milliseconds(2))
            }
            await cluster.kill(victim)
            #expect(!ChildProcess.isAlive(victim.process.pid))
            try await Task.sleep(for: .milliseconds(200))
            receiver.release()
            let sent = firstPhase + (await secondPhase.value)
            #expect(heldAtKill >= 17, "the victim had no webhook in flight when it was killed (held \(heldAtKill))")

            // Every answer is an acknowledgement (200 applied, 202 held for approval) or none at all (the victim).
            for transfer in sent where transfer.status != nil {
                #expect(transfer.status == 200 || transfer.status == 202, "\(transfer.summary)")
            }
            let unanswered = sent.filter { $0.status == nil }
            #expect(unanswered.allSatisfy { $0.instance == 2 }, "only the killed instance may leave a request unanswered")
            #expect(!unanswered.isEmpty, "the kill came after the load had ended")

            // What the survivors say about every order: acknowledged ones as acknowledged, the others applied once
            // or unknown.
            var expected = Dictionary(uniqueKeysWithValues: users.map { ($0, (balance: start, held: 0)) })
            var completed = 0
            for (position, transfer) in sent.enumerated() {
                let survivor = position % 2 == 0 ? a : b
                let reply = try await survivor.crm.order(transfer.orderID)
                let status = reply.status == 200 ? try reply.json()["status"]?.stringValue : nil
                switch transfer.status {
                case 200: #expect(status == "completed", "\(transfer.summary) -> \(reply.text)")
                case 202: #expect(status == "pending_approval", "\(transfer.summary) -> \(reply.text)")
                default:
                    #expect(reply.status == 404 || status == "completed" || status == "pending_approval",
                            "\(transfer.summary) -> \(reply.status) \(reply.text)")
                }
                if status == "completed" {
                    expected[transfer.user]!.balance += transfer.cents
                    completed += 1
                }
                if status == "pending_approval", transfer.cents < 0 { expected[transfer.user]!.held -= transfer.cents }
            }
            for user in users {
                let rows = try await cluster.sql("SELECT balance, held FROM wallets WHERE external_user_id = $1", [user])
                #expect(rows == [["\(expected[user]!.balance)", "\(expected[user]!.held)"]],
                        "\(user): start \(start) plus what the survivors report applied")
                #expect(try await a.balance(user) == expected[user]!.balance)
            }
            #expect(try await cluster.sql("SELECT sum(balance)::text FROM wallets") == [["0"]], "double entry")
            #expect(try await cluster.sql("""
                SELECT kind, payload::jsonb->>'order_id' FROM audit_events WHERE kind IN ('order.received', 'order.completed')
                GROUP BY 1, 2 HAVING count(*) > 1
                """) == [], "an order received or completed twice")
            #expect(try await cluster.sqlInteger("SELECT count(*) FROM orders WHERE status = 'completed'") == completed)
            let audit = try await cluster.auditVerify()
            #expect(audit.succeeded && audit.json?["ok"] == .bool(true), "\(audit.summary)")

            // The survivors deliver every event, the ones the victim claimed and never finished included.
            let outbox = try await ConfiguredCluster.waitForEveryWebhook(cluster, receiver: receiver, timeout: .seconds(30))
            let requests = receiver.requests
            let orphaned = Set(requests.filter { !$0.answered }.compactMap(\.delivery))
            #expect(!orphaned.isEmpty, "no POST of the killed instance was left in flight")
            let redelivered = Set(requests.filter(\.answered).compactMap(\.delivery))
            #expect(orphaned.isSubset(of: redelivered), "taken over by a survivor: \(orphaned.subtracting(redelivered))")
            #expect(Set(requests.compactMap(\.delivery)).isSubset(of: outbox.keys))
            let events = try await cluster.sqlInteger("""
                SELECT count(*) FROM orders WHERE status = 'completed'
                """) + (try await cluster.sqlInteger("SELECT count(*) FROM orders WHERE status = 'pending_approval'"))
            #expect(outbox.count == events, "one event per order: order.completed or order.pending_approval")
        }
    }

    /// Two instances under load while the database restarts: while it is down every answer is 503
    /// `service_unavailable` (never a wrong 200 or 400), afterwards 200 again without restarting `serve`; the CRM's
    /// retries of the 503s apply each order once; every acknowledged transfer is applied and the chain verifies.
    @Test func aDatabaseRestartUnderLoadAnswers503ThenRecovers() async throws {
        let server = try await onThread { try RestartablePostgresServer.create() }
        do {
            let database = try await onThread { try server.createDatabase("cluster_restart") }
            try await Self.restartUnderLoad(server: server, database: database)
        } catch {
            await onThread { server.remove() }
            throw error
        }
        await onThread { server.remove() }
    }

    private static func restartUnderLoad(server: RestartablePostgresServer, database: String) async throws {
        try await Cluster.run(database: database) { cluster in
            let instances = try await cluster.startDemo(["a", "b"])
            let users = ["demo-alice", "demo-bob"]
            var start: [String: Int] = [:]
            for user in users { start[user] = try await instances[0].balance(user) }

            let state = LoadState()
            let load = Task {
                await withTaskGroup(of: Void.self) { group in
                    for _ in 0..<4 {
                        group.addTask {
                            while state.running.load(ordering: .relaxed) {
                                let index = state.started.add(1, ordering: .relaxed).newValue
                                let result = await SentTransfer.send(
                                    instances[index % 2], index: index % 2, orderID: "restart-\(index)",
                                    user: users[index % 2], amount: index % 4 == 1 ? "-0.50" : "1.00")
                                state.record(result)
                                try? await Task.sleep(for: .milliseconds(15))
                            }
                        }
                    }
                }
            }
            func stopLoad() async {
                state.running.store(false, ordering: .relaxed)
                await load.value
            }
            do {
                try await Task.sleep(for: .seconds(1))
                await onThread { server.stop() }
                let down = ContinuousClock.now
                let health = try await LoopbackHTTP.send("GET", instances[0].url + "/health")
                #expect(health.status == 503, "/health while the database is down: \(health.status) \(health.text)")
                try await Task.sleep(for: .milliseconds(1_500))
                let restarting = ContinuousClock.now
                try await onThread { try server.start() }
                let up = ContinuousClock.now

                // Recovery without restarting serve: each instance acknowledges transfers sent after the restart.
                let deadline = up + .seconds(15)
                var recovered: [Int: ContinuousClock.Instant] = [:]
                while recovered.count < instances.count, ContinuousClock.now < deadline {
                    for entry in state.sent where entry.sentAt >= up && entry.status == 200 {
                        recovered[entry.instance] = min(recovered[entry.instance] ?? entry.sentAt, entry.sentAt)
                    }
                    try await Task.sleep(for: .milliseconds(20))
                }
                #expect(recovered.count == instances.count, "an instance did not answer 200 within 15 s of the restart")
                let settled = (recovered.values.max() ?? up) + .seconds(1)
                while ContinuousClock.now < settled + .seconds(1) { try await Task.sleep(for: .milliseconds(50)) }
                await stopLoad()

                let sent = state.sent
                for transfer in sent {
                    let allowed = transfer.status == 200 || (transfer.status == 503 && transfer.errorType == "service_unavailable")
                    #expect(allowed, "\(transfer.summary)")
                }
                let whileDown = sent.filter { $0.sentAt >= down && $0.answeredAt < restarting }
                #expect(!whileDown.isEmpty)
                for transfer in whileDown { #expect(transfer.status == 503, "while the database was down: \(transfer.summary)") }
                for transfer in sent where transfer.sentAt >= settled {
                    #expect(transfer.status == 200, "a second after recovery: \(transfer.summary)")
                }
                for instance in instances { #expect(instance.process.isRunning, "\(instance.name) was not restarted") }

                // The CRM sends every 503 again, as it is told to, 16 at a time (every pooled connection of both
                // instances gets used): each gets its 200, and applies once.
                let refused = sent.filter { $0.status != 200 }
                #expect(!refused.isEmpty)
                let retries = await concurrently(refused.count, width: 16) { index in
                    let transfer = refused[index]
                    return await SentTransfer.send(instances[index % 2], index: index % 2, orderID: transfer.orderID,
                                                   user: transfer.user, amount: transfer.amount)
                }
                for (transfer, again) in zip(refused, retries) {
                    #expect(again.status == 200, "retry of \(transfer.summary): \(again.summary)")
                }

                // Every transfer is now acknowledged: each applied exactly once.
                let orders = try await cluster.sql("SELECT order_id, status FROM orders WHERE order_id LIKE 'restart-%'")
                #expect(orders.count == sent.count)
                #expect(orders.allSatisfy { $0[1] == "completed" })
                for user in users {
                    let moved = sent.filter { $0.user == user }.reduce(0) { $0 + $1.cents }
                    for instance in instances {
                        #expect(try await instance.balance(user) == start[user]! + moved, "\(user) at \(instance.name)")
                    }
                }
                for transfer in sent where transfer.status == 200 && transfer.orderID.hasSuffix("7") {
                    let status = try await instances[(transfer.instance + 1) % 2].crm.orderStatus(transfer.orderID)
                    #expect(status["status"]?.stringValue == "completed", "\(transfer.summary)")
                }
                #expect(try await cluster.sql("""
                    SELECT payload::jsonb->>'order_id' FROM audit_events WHERE kind = 'order.received'
                    GROUP BY 1 HAVING count(*) > 1
                    """) == [], "an order received twice")
                let audit = try await cluster.auditVerify()
                #expect(audit.succeeded && audit.json?["ok"] == .bool(true), "\(audit.summary)")
            } catch {
                await stopLoad()
                throw error
            }
        }
    }
}
