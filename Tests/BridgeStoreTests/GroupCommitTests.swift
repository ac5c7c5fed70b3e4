import BridgeApprovals
import BridgeCore
@testable import BridgeStore
import Foundation
import Synchronization
import Testing

/// Group commit: concurrent transactions share one COMMIT, yet each behaves as if it ran alone, in order, durably.
@Suite("Group commit")
struct GroupCommitTests {
    /// Runs `work(index)` on `count` real threads at once (not the cooperative pool, whose few threads would take
    /// turns) and returns when all finished.
    private static func onThreads(_ count: Int, _ work: @escaping @Sendable (Int) -> Void) {
        let finished = DispatchGroup()
        for index in 0..<count {
            finished.enter()
            Thread {
                work(index)
                finished.leave()
            }.start()
        }
        finished.wait()
    }

    /// Waits until `count` transactions are queued behind a leader (a condition, not a timing assumption).
    private static func waitUntilQueued(_ store: SQLiteApprovalStore, count: Int) {
        while store.queuedTransactionCount < count { usleep(1_000) }
    }

    @Test func concurrentTransfersApplyExactlyOnceAndConserveMoney() throws {
        let harness = try SQLiteServiceHarness()
        defer { harness.remove() }
        let users = ["u-1", "u-2", "u-3", "u-4"]
        for user in users { try harness.service.createWallet(externalUserID: user, currency: "USD", initialBalance: 100_000) }
        let service = harness.service
        let threads = 8, perThread = 25
        let failures = Mutex<[String]>([])
        Self.onThreads(threads) { thread in
            for index in 0..<perThread {
                // Every thread writes to every wallet, so groups mix transfers on the same rows.
                let user = users[(thread + index) % users.count]
                let amount = index.isMultiple(of: 2) ? "-1.25" : "2.50"
                do {
                    let outcome = try service.submitTransfer(
                        TransferRequest(orderID: "t\(thread)-\(index)", externalUserID: user, currency: "USD", amount: amount))
                    if outcome.order.status != .completed || outcome.replayed {
                        failures.withLock { $0.append("t\(thread)-\(index): \(outcome.order.status)") }
                    }
                } catch {
                    failures.withLock { $0.append("t\(thread)-\(index): \(error)") }
                }
            }
        }
        #expect(failures.withLock { $0 } == [])

        var expected: [String: Int128] = [:]
        for thread in 0..<threads {
            for index in 0..<perThread {
                expected[users[(thread + index) % users.count], default: 100_000] += index.isMultiple(of: 2) ? -125 : 250
            }
        }
        for user in users { #expect(try harness.balance(user).balance == expected[user]) }
        #expect(try harness.balanceSums() == ["USD": 0])
        let orderCount = try harness.store.withDatabase { database throws(ApprovalError) in
            try database.queryFirst("SELECT count(*) FROM orders WHERE order_id LIKE 't%'") { row throws(ApprovalError) in try row.int64(0) }
        }
        #expect(orderCount == Int64(threads * perThread))
        #expect(try harness.service.verifyAuditChain().ok)

        // Every answer was durable: a reopened store sees the same books.
        try harness.reopen()
        for user in users { #expect(try harness.balance(user).balance == expected[user]) }
        #expect(try harness.service.verifyAuditChain().ok)
    }

    @Test func aFailingBodyInAGroupAffectsOnlyItsCaller() throws {
        let database = try TemporaryDatabase()
        let store = try database.open()
        defer {
            store.close()
            database.remove()
        }
        // Each body appends an audit event chained onto whatever it sees last, then writes its own metadata row.
        @Sendable func appendAndMark(_ name: String, in transaction: any StoreTransaction) throws(ApprovalError) -> Int64 {
            let event = Fixtures.auditChain(1, startingAfter: try transaction.lastAuditEvent())[0]
            try transaction.appendAuditEvent(event)
            try transaction.setMetadata("body.\(name)", "written")
            return event.sequence
        }
        // The first caller leads a group of one and holds it open until the three others are queued, so they form
        // the next group together: ok-1, fails, ok-2, in that order. The last thread only releases the leader.
        let leaderRunning = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let results = Mutex<[String: String]>([:])
        let bodies: [(name: String, fails: Bool)] = [("ok-1", false), ("fails", true), ("ok-2", false)]
        Self.onThreads(2 + bodies.count) { index in
            if index == bodies.count + 1 {
                Self.waitUntilQueued(store, count: bodies.count)
                release.signal()
                return
            }
            let name = index == 0 ? "leader" : bodies[index - 1].name
            let outcome: String
            do throws(ApprovalError) {
                if index == 0 {
                    let sequence = try store.transaction { transaction throws(ApprovalError) in
                        leaderRunning.signal()
                        release.wait()
                        return try appendAndMark(name, in: transaction)
                    }
                    outcome = "sequence \(sequence)"
                } else {
                    leaderRunning.wait()
                    leaderRunning.signal()
                    // Queue strictly in order, each after the previous one is waiting.
                    Self.waitUntilQueued(store, count: index - 1)
                    let fails = bodies[index - 1].fails
                    let sequence = try store.transaction { transaction throws(ApprovalError) in
                        let sequence = try appendAndMark(name, in: transaction)
                        if fails { throw .storage("refused after writing event \(sequence)") }
                        return sequence
                    }
                    outcome = "sequence \(sequence)"
                }
            } catch {
                outcome = "error \(error)"
            }
            results.withLock { $0[name] = outcome }
        }
        let answers = results.withLock { $0 }
        #expect(answers["leader"] == "sequence 1")
        #expect(answers["ok-1"] == "sequence 2")
        #expect(answers["fails"]?.contains("refused after writing event 3") == true)
        // The failed body's event 3 was rolled back, so the next body chained onto event 2 (the cached head followed).
        #expect(answers["ok-2"] == "sequence 3")

        let marks = try store.read { transaction throws(ApprovalError) in
            try ["leader", "ok-1", "fails", "ok-2"].map { name throws(ApprovalError) in try transaction.metadata("body.\(name)") }
        }
        #expect(marks == ["written", "written", nil, "written"])
        #expect(try ApprovalService.verifyAuditChain(store: store).ok)
        let events = try store.read { transaction throws(ApprovalError) in try transaction.auditEvents(after: 0, limit: 10) }
        #expect(events.map(\.sequence) == [1, 2, 3])
    }

    @Test func aTransactionStartedInsideABodyRunsInlineInsteadOfDeadlocking() throws {
        let database = try TemporaryDatabase()
        let store = try database.open()
        defer {
            store.close()
            database.remove()
        }
        let inner = try store.transaction { outer throws(ApprovalError) in
            try outer.setMetadata("outer", "1")
            return try store.transaction { nested throws(ApprovalError) in
                // The nested body sees the enclosing body's uncommitted row: it runs in the same transaction.
                try nested.setMetadata("inner", try nested.metadata("outer") ?? "missing")
                return "inner done"
            }
        }
        #expect(inner == "inner done")
        // A nested body that throws undoes only itself; the enclosing body carries on and commits.
        try store.transaction { outer throws(ApprovalError) in
            try outer.setMetadata("kept", "yes")
            do throws(ApprovalError) {
                try store.transaction { nested throws(ApprovalError) in
                    try nested.setMetadata("undone", "yes")
                    throw .storage("nested refusal")
                }
            } catch {
                try outer.setMetadata("caught", "\(error)".contains("nested refusal") ? "yes" : "no")
            }
        }
        let values = try store.read { transaction throws(ApprovalError) in
            try ["outer", "inner", "kept", "undone", "caught"].map { key throws(ApprovalError) in try transaction.metadata(key) }
        }
        #expect(values == ["1", "1", "yes", nil, "yes"])
    }
}
