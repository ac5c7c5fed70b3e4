import BridgeApprovals
import BridgeCore
import BridgeStore
import Dispatch
import Foundation
import Synchronization
import Testing

/// `ApprovalService.submitTransfer(_:completion:)` on SQLite: the HTTP worker's path, where no thread waits for the
/// commit. The answers must be exactly those of the waiting call, given only once durable, on the committer thread.
@Suite("Transfers submitted without waiting, on SQLite")
struct TransferWithoutWaitingTests {
    /// One completion's outcome and the thread it ran on.
    private struct Completion: Sendable {
        let outcome: Result<TransferOutcome, ApprovalError>
        let thread: String
    }

    /// Submits `request` without waiting and then waits (the test's own thread) for its completion.
    private static func submit(_ service: ApprovalService, _ request: TransferRequest) -> Completion {
        let done = DispatchSemaphore(value: 0)
        let completion = Mutex<Completion?>(nil)
        service.submitTransfer(request) { outcome in
            completion.withLock { $0 = Completion(outcome: outcome, thread: threadName()) }
            done.signal()
        }
        done.wait()
        return completion.withLock { $0! }
    }

    private static func threadName() -> String {
        ((try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? "").trimmingCharacters(in: .newlines)
    }

    private static func waiting(_ service: ApprovalService, _ request: TransferRequest) -> Result<TransferOutcome, ApprovalError> {
        do throws(ApprovalError) {
            return .success(try service.submitTransfer(request))
        } catch {
            return .failure(error)
        }
    }

    /// The same requests on two fresh databases, one waiting and one not: applied, replayed, a duplicate, a refusal
    /// that is remembered and repeated, an unsupported currency, a bad id. Every answer is equal, and every
    /// completion that reached the store ran on the committer thread.
    @Test func theAnswersAreThoseOfTheWaitingCall() throws {
        let waitingHarness = try SQLiteServiceHarness()
        let harness = try SQLiteServiceHarness()
        defer {
            waitingHarness.remove()
            harness.remove()
        }
        #expect(harness.store.completesTransactionsWithoutBlocking)
        for each in [waitingHarness, harness] {
            try each.service.createWallet(externalUserID: "u-1", currency: "USD", initialBalance: 10_000)
        }
        let requests: [TransferRequest] = [
            TransferRequest(orderID: "credit", externalUserID: "u-1", currency: "USD", amount: "250.25"),
            TransferRequest(orderID: "debit", externalUserID: "u-1", currency: "USD", amount: "-5"),
            TransferRequest(orderID: "credit", externalUserID: "u-1", currency: "USD", amount: "250.25"),
            TransferRequest(orderID: "credit", externalUserID: "u-1", currency: "USD", amount: "250.26"),
            TransferRequest(orderID: "too-much", externalUserID: "u-1", currency: "USD", amount: "-1000"),
            TransferRequest(orderID: "too-much", externalUserID: "u-1", currency: "USD", amount: "-1000.00"),
            TransferRequest(orderID: "too-much", externalUserID: "u-1", currency: "USD", amount: "-1"),
            TransferRequest(orderID: "yen", externalUserID: "u-1", currency: "JPY", amount: "1"),
            TransferRequest(orderID: "yen", externalUserID: "u-1", currency: "JPY", amount: "1"),
            TransferRequest(orderID: "", externalUserID: "u-1", currency: "USD", amount: "1"),
            TransferRequest(orderID: "nobody", externalUserID: "u-404", currency: "USD", amount: "-1"),
        ]
        for request in requests {
            let expected = Self.waiting(waitingHarness.service, request)
            let completion = Self.submit(harness.service, request)
            #expect(completion.outcome == expected, "order \(request.orderID) \(request.amount)")
            if request.orderID != "" { #expect(completion.thread == "walletbridge-co") }
        }
        // What the not-waiting harness answered is durable: the same after a restart.
        try harness.reopen()
        #expect(try harness.balance("u-1").balance == 10_000 + 25_025 - 500)
        #expect(try harness.balanceSums() == ["USD": 0])
        #expect(try harness.service.verifyAuditChain().ok)
        let replayed = Self.submit(harness.service, requests[4])
        #expect(replayed.outcome == Self.waiting(waitingHarness.service, requests[4]))
    }

    /// 64 transfers submitted at once from one thread: each call returns before the commits, the committer runs
    /// them in groups, and every one is applied exactly once and survives a restart.
    @Test func manySubmittedAtOnceAllApplyDurably() throws {
        let harness = try SQLiteServiceHarness()
        defer { harness.remove() }
        try harness.service.createWallet(externalUserID: "u-1", currency: "USD", initialBalance: 0)
        let count = 64
        let completed = DispatchGroup()
        let outcomes = Mutex<[String: Result<TransferOutcome, ApprovalError>]>([:])
        for index in 0..<count {
            completed.enter()
            let orderID = "batch-\(index)"
            harness.service.submitTransfer(TransferRequest(orderID: orderID, externalUserID: "u-1", currency: "USD",
                                                           amount: "1.01")) { outcome in
                outcomes.withLock { $0[orderID] = outcome }
                completed.leave()
            }
        }
        #expect(completed.wait(timeout: .now() + 30) == .success)
        let results = outcomes.withLock { $0 }
        #expect(results.count == count)
        #expect(results.values.allSatisfy { (try? $0.get())?.order.status == .completed })
        // Each balance after is distinct: the orders applied one after another, none twice.
        let balancesAfter = Set(results.values.compactMap { try? $0.get().order.balanceAfter })
        #expect(balancesAfter == Set((1...count).map { Int128($0) * 101 }))

        try harness.reopen()
        #expect(try harness.balance("u-1").balance == Int128(count) * 101)
        #expect(try harness.balanceSums() == ["USD": 0])
        #expect(try harness.service.verifyAuditChain().ok)
    }
}
