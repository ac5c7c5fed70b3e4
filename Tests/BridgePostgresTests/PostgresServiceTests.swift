import BridgeApprovals
import BridgeCore
import BridgeCrypto
import BridgePostgres
import Foundation
import Testing

extension PostgresTests {
    /// The flows that matter for storage, run through `ApprovalService` on PostgreSQL: what commits stays committed
    /// across a restart, what fails leaves nothing, the audit chain verifies and a tampered row is named
    /// (BridgeStoreTests' ServiceOnSQLiteTests).
    @Suite("ApprovalService on PostgreSQL")
    struct ServiceTests {
        @Test func smallTransfersApplyAtOnceAndSurviveARestart() async throws {
            let harness = try await PostgresServiceHarness.make()
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
            let replay = try harness.transfer("o-1", amount: "250.25")
            #expect(replay.replayed)
            #expect(replay.order == credit.order)
            #expect(try harness.balance("u-1").balance == 25_025)
            #expect(throws: ApprovalError.duplicateOrder(orderID: "o-1")) { try harness.transfer("o-1", amount: "250.26") }
            #expect(try harness.balanceSums() == ["USD": 0])
            #expect(try harness.service.verifyAuditChain().ok)
        }

        @Test func aLargeDebitIsHeldThenAppliedOnQuorumAcrossARestart() async throws {
            let harness = try await PostgresServiceHarness.make()
            defer { harness.remove() }
            try harness.service.createWallet(externalUserID: "u-1", currency: "BTC", initialBalance: 500_000_000)
            let alice = try harness.enroll("alice", keyNumber: 1)
            let bob = try harness.enroll("bob", role: .admin, keyNumber: 2)
            let pending = try harness.transfer("big", currency: "BTC", amount: "-2.5")
            #expect(pending.order.status == .pendingApproval)
            #expect(pending.order.approvalsRequired == 2)
            #expect(try harness.balance("u-1", "BTC") == (500_000_000, 250_000_000))

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

        @Test func rejectionAndExpiryReleaseTheHold() async throws {
            let harness = try await PostgresServiceHarness.make()
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

        @Test func aRefusedTransferMovesNothingAndKeepsItsAnswerAcrossARestart() async throws {
            let harness = try await PostgresServiceHarness.make()
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

        @Test func challengesAreBoundedAndExpiredCredentialsDeleted() async throws {
            let harness = try await PostgresServiceHarness.make()
            defer { harness.remove() }
            let (alice, key) = try harness.enroll("alice", keyNumber: 1)
            var nonces: [[UInt8]] = []
            for _ in 0..<40 {
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
                                                  signature: try PostgresServiceHarness.sign(challenge.document, with: key),
                                                  clientIP: "127.0.0.1")
            harness.clock.advance(by: .seconds(9 * 3600))
            try harness.reopen()
            let pruned = try harness.service.pruneExpiredCredentials()
            #expect(pruned.challenges == ApprovalService.unusedChallengesKept)
            #expect(pruned.sessions == 1)
            #expect(try harness.service.pruneExpiredCredentials() == (0, 0))
            #expect(try harness.service.verifyAuditChain().ok)
        }

        /// An attacker with write access to the database edits an event; verification names that event.
        @Test func aTamperedAuditRowIsDetected() async throws {
            let harness = try await PostgresServiceHarness.make()
            defer { harness.remove() }
            try harness.service.createWallet(externalUserID: "u-1", currency: "USD", initialBalance: 10_000)
            try harness.transfer("o-1", amount: "5")
            try harness.transfer("o-2", amount: "6")
            #expect(try harness.service.verifyAuditChain().ok)
            try harness.store.withConnection { connection throws(ApprovalError) in
                do {
                    let changed = try connection.query(
                        "UPDATE audit_events SET payload = replace(payload, '\"5.00\"', '\"500.00\"') WHERE sequence = 2")
                    #expect(changed.affectedRows == 1)
                } catch {
                    throw .storage("\(error)")
                }
            }
            let verification = try ApprovalService.verifyAuditChain(store: harness.store)
            #expect(!verification.ok)
            #expect(verification.firstBroken?.sequence == 2)
            #expect(verification.firstBroken?.reason.contains("altered") == true)
        }

        /// The webhook outbox through a second instance: rows fanned out into deliveries in one serialized transaction
        /// are no longer due for the other instance.
        @Test func outboxRowsFannedOutByOneInstanceAreGoneForTheOther() async throws {
            let harness = try await PostgresServiceHarness.make()
            defer { harness.remove() }
            try harness.service.createWallet(externalUserID: "u-1", currency: "USD", initialBalance: 10_000)
            try harness.transfer("o-1", amount: "5")
            let second = try harness.secondInstance()
            let now = harness.clock.now()
            let fanned = try second.store.transaction { transaction throws(ApprovalError) -> Int in
                let messages = try transaction.dueOutboxMessages(at: now, limit: 10)
                for var message in messages {
                    try transaction.insertWebhookDeliveries(of: message, urls: ["https://crm.example/hook"])
                    message.deliveredAt = now
                    try transaction.updateOutboxMessage(message)
                }
                return messages.count
            }
            #expect(fanned == 1)
            #expect(try harness.store.read { transaction throws(ApprovalError) in
                try transaction.dueOutboxMessages(at: now, limit: 10)
            }.isEmpty)
            #expect(try harness.store.read { transaction throws(ApprovalError) in
                try transaction.dueWebhookDeliveries(at: now, urls: ["https://crm.example/hook"], limit: 10)
            }.map(\.event) == ["order.completed"])
        }
    }
}
