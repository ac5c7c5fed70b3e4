import BridgeApprovals
import BridgeCore
import BridgeCrypto
import BridgeStore
import Foundation
import Testing

/// The flows that matter for storage, run through `ApprovalService` on SQLite: what commits stays committed across a
/// restart, what fails leaves nothing, and concurrent approvals apply an order exactly once.
@Suite("ApprovalService on SQLite")
struct ServiceOnSQLiteTests {
    @Test func smallTransfersApplyAtOnceAndSurviveARestart() throws {
        let harness = try SQLiteServiceHarness()
        defer { harness.remove() }
        try harness.service.createWallet(externalUserID: "u-1", currency: "USD", initialBalance: 50_000)
        let credit = try harness.transfer("o-1", amount: "250.25")
        #expect(credit.order.status == .completed)
        #expect(credit.wallet.balance == 75_025)
        let debit = try harness.transfer("o-2", amount: "-500")
        #expect(debit.order.status == .completed)
        #expect(debit.order.balanceAfter == 25_025)

        try harness.reopen()
        #expect(try harness.balance("u-1").balance == 25_025)
        // The same order id and content answers the stored outcome after the restart and changes nothing.
        let replay = try harness.transfer("o-1", amount: "250.25")
        #expect(replay.replayed)
        #expect(replay.order == credit.order)
        #expect(try harness.balance("u-1").balance == 25_025)
        #expect(throws: ApprovalError.duplicateOrder(orderID: "o-1")) { try harness.transfer("o-1", amount: "250.26") }
        #expect(try harness.balanceSums() == ["USD": 0])
        #expect(try harness.service.verifyAuditChain().ok)
    }

    @Test func aLargeDebitIsHeldThenAppliedOnQuorumAcrossARestart() throws {
        let harness = try SQLiteServiceHarness()
        defer { harness.remove() }
        try harness.service.createWallet(externalUserID: "u-1", currency: "BTC", initialBalance: 500_000_000)
        let alice = try harness.enroll("alice", keyNumber: 1)
        let bob = try harness.enroll("bob", role: .admin, keyNumber: 2)
        let pending = try harness.transfer("big", currency: "BTC", amount: "-2.5")
        #expect(pending.order.status == .pendingApproval)
        #expect(pending.order.approvalsRequired == 2)
        #expect(try harness.balance("u-1", "BTC") == (500_000_000, 250_000_000))

        // A restart between the approvals loses nothing: the hold, the nonce and the first approval are on disk.
        let first = try harness.signature("big", with: alice.key)
        #expect(try harness.service.submitDecision(orderID: "big", decision: .approve, signature: first).status == .pendingApproval)
        try harness.reopen()
        #expect(try harness.service.pendingOrders().map(\.orderID) == ["big"])
        #expect(throws: ApprovalError.replayedSignature) {
            try harness.service.submitDecision(orderID: "big", decision: .approve, signature: first)
        }
        let second = try harness.signature("big", with: bob.key)
        let completed = try harness.service.submitDecision(orderID: "big", decision: .approve, signature: second)
        #expect(completed.status == .completed)
        #expect(completed.balanceAfter == 250_000_000)
        #expect(try harness.balance("u-1", "BTC") == (250_000_000, 0))
        #expect(try harness.service.order(id: "big").1.map(\.operatorID) == [alice.record.id, bob.record.id])
        #expect(try harness.balanceSums() == ["BTC": 0])

        let outbox = try harness.store.transaction { transaction throws(ApprovalError) in
            try transaction.dueOutboxMessages(at: harness.clock.now(), limit: 100)
        }
        #expect(outbox.map(\.event) == ["order.pending_approval", "order.completed"])
        let verification = try ApprovalService.verifyAuditChain(store: harness.store)
        #expect(verification.ok)
        #expect(verification.events == 10)
        let kinds = try harness.store.transaction { transaction throws(ApprovalError) in
            try transaction.auditEvents(after: 0, limit: 100).map(\.kind)
        }
        #expect(kinds == ["wallet.created", "invite.created", "operator.enrolled", "invite.created", "operator.enrolled",
                          "order.received", "order.pending_approval", "approval.accepted", "approval.accepted", "order.completed"])
    }

    @Test func rejectionAndExpiryReleaseTheHold() throws {
        let harness = try SQLiteServiceHarness()
        defer { harness.remove() }
        try harness.service.createWallet(externalUserID: "u-1", currency: "USD", initialBalance: 500_000)
        let alice = try harness.enroll("alice", keyNumber: 1)
        try harness.transfer("rejected", amount: "-2000")
        try harness.transfer("expires", amount: "-1500")
        #expect(try harness.balance("u-1") == (500_000, 350_000))

        let refusal = try harness.signature("rejected", with: alice.key, decision: .reject, reason: "unknown beneficiary")
        let rejected = try harness.service.submitDecision(orderID: "rejected", decision: .reject, signature: refusal,
                                                          reason: "unknown beneficiary")
        #expect(rejected.status == .rejected)
        #expect(try harness.balance("u-1") == (500_000, 150_000))

        harness.clock.advance(by: .seconds(24 * 3600))
        try harness.reopen()
        #expect(try harness.service.expireDueOrders().map(\.orderID) == ["expires"])
        #expect(try harness.balance("u-1") == (500_000, 0))
        #expect(try harness.service.order(id: "expires").0.status == .expired)
        #expect(try harness.service.verifyAuditChain().ok)
    }

    /// A refused transfer moves nothing and stores no order; its refusal is kept under the order id (one audit event,
    /// `order.refused`) and survives a restart: the CRM's retry, even after a deposit, gets the same answer.
    @Test func aRefusedTransferMovesNothingAndKeepsItsAnswerAcrossARestart() throws {
        let harness = try SQLiteServiceHarness()
        defer { harness.remove() }
        try harness.service.createWallet(externalUserID: "u-1", currency: "USD", initialBalance: 10_000)
        let before = try ApprovalService.verifyAuditChain(store: harness.store)
        #expect(throws: ApprovalError.insufficientFunds(available: "100.00", requested: "100.01", currency: "USD")) {
            try harness.transfer("too-much", amount: "-100.01")
        }
        try harness.reopen()
        #expect(throws: ApprovalError.orderNotFound(orderID: "too-much")) { try harness.service.order(id: "too-much") }
        let after = try ApprovalService.verifyAuditChain(store: harness.store)
        #expect(after.events == before.events + 1)
        #expect(try harness.balance("u-1").balance == 10_000)

        try harness.transfer("deposit", amount: "50")
        let retried = approvalError { try harness.transfer("too-much", amount: "-100.010") }
        #expect(retried?.type == "insufficient_funds")
        #expect(retried?.httpStatus == 400)
        #expect(approvalError { try harness.transfer("too-much", amount: "-1") } == .duplicateOrder(orderID: "too-much"))
        #expect(try harness.balance("u-1").balance == 15_000)
        #expect(try harness.service.verifyAuditChain().ok)
    }

    /// Login challenges cannot pile up (16 unused kept per operator) and expired challenges and sessions are deleted,
    /// through migration 5's indexes.
    @Test func challengesAreBoundedAndExpiredCredentialsDeleted() throws {
        let harness = try SQLiteServiceHarness()
        defer { harness.remove() }
        let (alice, key) = try harness.enroll("alice", keyNumber: 1)
        var nonces: [[UInt8]] = []
        for _ in 0..<100 {
            nonces.append(try harness.service.loginChallenge(address: alice.address.checksummed).nonce)
            harness.clock.advance(by: .milliseconds(1))
        }
        let kept = try harness.store.transaction { transaction throws(ApprovalError) in
            var kept: [[UInt8]] = []
            for nonce in nonces where try transaction.challenge(nonce: nonce) != nil { kept.append(nonce) }
            return kept
        }
        #expect(kept == Array(nonces.suffix(ApprovalService.unusedChallengesKept)))
        let challenge = try harness.service.loginChallenge(address: alice.address.checksummed)
        _ = try harness.service.createSession(nonce: challenge.nonce,
                                              signature: try SQLiteServiceHarness.sign(challenge.document, with: key),
                                              clientIP: "127.0.0.1")
        harness.clock.advance(by: .seconds(9 * 3600))
        try harness.reopen()
        let pruned = try harness.service.pruneExpiredCredentials()
        #expect(pruned.challenges == ApprovalService.unusedChallengesKept)  // 15 unused and the one redeemed
        #expect(pruned.sessions == 1)
        #expect(try harness.service.pruneExpiredCredentials() == (0, 0))
        #expect(try harness.service.verifyAuditChain().ok)
    }

    /// An attacker with write access to the file edits an event; verification names that event.
    @Test func aTamperedAuditRowIsDetected() throws {
        let harness = try SQLiteServiceHarness()
        defer { harness.remove() }
        try harness.service.createWallet(externalUserID: "u-1", currency: "USD", initialBalance: 10_000)
        try harness.transfer("o-1", amount: "5")
        try harness.transfer("o-2", amount: "6")
        #expect(try harness.service.verifyAuditChain().ok)
        try harness.store.withDatabase { database throws(ApprovalError) in
            try database.run("UPDATE audit_events SET payload = replace(payload, '\"5.00\"', '\"500.00\"') WHERE sequence = 2")
        }
        let verification = try ApprovalService.verifyAuditChain(store: harness.store)
        #expect(!verification.ok)
        #expect(verification.firstBroken?.sequence == 2)
        #expect(verification.firstBroken?.reason.contains("altered") == true)
    }

    /// CONCURRENCY: 8 operators submit approvals for the same 2-approval order at once. It applies exactly once.
    @Test func eightConcurrentApprovalsApplyTheOrderExactlyOnce() async throws {
        let harness = try SQLiteServiceHarness()
        defer { harness.remove() }
        try harness.service.createWallet(externalUserID: "u-1", currency: "USD", initialBalance: 1_000_000)
        let approvers = try (1...8).map { number in try harness.enroll("op-\(number)", keyNumber: UInt8(number)) }
        try harness.transfer("big", amount: "-5000")
        let signatures = try approvers.map { approver in try harness.signature("big", with: approver.key) }
        let service = harness.service

        let outcomes = await withTaskGroup(of: Result<TransferOrder, ApprovalError>.self) { group in
            for signature in signatures {
                group.addTask {
                    Result { () throws(ApprovalError) -> TransferOrder in
                        try service.submitDecision(orderID: "big", decision: .approve, signature: signature)
                    }
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let accepted = outcomes.compactMap { try? $0.get() }
        let refused = outcomes.compactMap { outcome -> ApprovalError? in
            guard case .failure(let error) = outcome else { return nil }
            return error
        }
        #expect(accepted.map(\.status).sorted { $0.rawValue < $1.rawValue } == [.completed, .pendingApproval])
        #expect(refused.count == 6)
        #expect(refused.allSatisfy { $0 == .orderNotPending(orderID: "big", status: .completed) })

        // Moved once: the debit left the wallet and reached the settlement account a single time.
        #expect(try harness.balance("u-1") == (500_000, 0))
        #expect(try harness.balanceSums() == ["USD": 0])
        #expect(try harness.service.order(id: "big").1.count == 2)
        let completions = try harness.store.transaction { transaction throws(ApprovalError) in
            try transaction.dueOutboxMessages(at: harness.clock.now(), limit: 100).filter { $0.event == "order.completed" }
        }
        #expect(completions.count == 1)
        #expect(try harness.service.verifyAuditChain().ok)
    }

    /// The same order id sent 8 times at once (a CRM retrying): one application, every caller the same answer.
    @Test func eightConcurrentCopiesOfOneTransferApplyOnce() async throws {
        let harness = try SQLiteServiceHarness()
        defer { harness.remove() }
        try harness.service.createWallet(externalUserID: "u-1", currency: "USD", initialBalance: 10_000)
        let service = harness.service
        let outcomes = try await withThrowingTaskGroup(of: TransferOutcome.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try service.submitTransfer(TransferRequest(orderID: "retry", externalUserID: "u-1", currency: "USD", amount: "-40"))
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.filter { !$0.replayed }.count == 1)
        #expect(Set(outcomes.map(\.order)).count == 1)
        #expect(outcomes.allSatisfy { $0.order.balanceAfter == 6_000 })
        #expect(try harness.balance("u-1").balance == 6_000)
    }
}
