import BridgeApprovals
import BridgeCore
import BridgeCrypto
import BridgePostgres
import Foundation
import Synchronization
import Testing

extension PostgresTests {
    /// Two instances (two stores, each with its own connection pool, as two `serve` processes would have) on one
    /// database, driven from several threads at once: every guarantee holds across them (CONTRACT 9).
    @Suite("several instances on one database")
    struct MultiInstanceTests {
        /// The same order id sent 8 times at once, 4 copies to each instance (a CRM retrying against a load
        /// balancer): applied once, every caller the same answer, balances conserved, one linear audit chain.
        @Test func oneOrderIDSentToBothInstancesAtOnceAppliesOnce() async throws {
            let harness = try await PostgresServiceHarness.make()
            defer { harness.remove() }
            try harness.service.createWallet(externalUserID: "u-1", currency: "USD", initialBalance: 10_000)
            let second = try harness.secondInstance()
            let services = [harness.service, second.service]
            let outcomes = await onThreads(8) { index in
                Result { () throws(ApprovalError) -> TransferOutcome in
                    try services[index % 2].submitTransfer(
                        TransferRequest(orderID: "retry", externalUserID: "u-1", currency: "USD", amount: "-40"))
                }
            }
            let answers = try outcomes.map { try $0.get() }
            #expect(answers.filter { !$0.replayed }.count == 1)
            #expect(Set(answers.map(\.order)).count == 1)
            #expect(answers.allSatisfy { $0.order.balanceAfter == 6_000 && $0.order.status == .completed })
            #expect(try harness.balance("u-1").balance == 6_000)
            #expect(try second.service.wallet(externalUserID: "u-1", currency: "USD").balance == 6_000)
            #expect(try harness.balanceSums() == ["USD": 0])
            let received = try harness.store.read { transaction throws(ApprovalError) in
                try transaction.auditEvents(after: 0, limit: 100).filter { $0.kind == "order.received" }.count
            }
            #expect(received == 1)
            #expect(try ApprovalService.verifyAuditChain(store: second.store).ok)
        }

        /// A refused order id sent to both instances at once: one refusal is stored, every copy gets its answer.
        @Test func oneRefusedOrderIDSentToBothInstancesGetsOneAnswer() async throws {
            let harness = try await PostgresServiceHarness.make()
            defer { harness.remove() }
            try harness.service.createWallet(externalUserID: "u-1", currency: "USD", initialBalance: 100)
            let second = try harness.secondInstance()
            let services = [harness.service, second.service]
            let outcomes = await onThreads(6) { index in
                Result { () throws(ApprovalError) -> TransferOutcome in
                    try services[index % 2].submitTransfer(
                        TransferRequest(orderID: "too-much", externalUserID: "u-1", currency: "USD", amount: "-5"))
                }
            }
            let types = outcomes.map { outcome -> String in
                switch outcome {
                case .success: "applied"
                case .failure(let error): error.type
                }
            }
            #expect(types == Array(repeating: "insufficient_funds", count: 6))
            let refusals = try harness.store.read { transaction throws(ApprovalError) in
                try transaction.auditEvents(after: 0, limit: 100).filter { $0.kind == "order.refused" }.count
            }
            #expect(refusals == 1)
            #expect(try harness.balance("u-1").balance == 100)
            #expect(try harness.service.verifyAuditChain().ok)
        }

        /// 8 threads, half on each instance, each applying 12 distinct transfers on 3 shared wallets: no update lost,
        /// no debit beyond a balance, every cent accounted for, and one audit chain with every event in sequence.
        @Test func manyTransfersOnSharedWalletsFromBothInstancesConserveBalances() async throws {
            let harness = try await PostgresServiceHarness.make()
            defer { harness.remove() }
            let users = ["u-1", "u-2", "u-3"]
            for user in users { try harness.service.createWallet(externalUserID: user, currency: "USD", initialBalance: 2_000) }
            let second = try harness.secondInstance()
            let services = [harness.service, second.service]
            let perThread = 12
            let outcomes = await onThreads(8) { thread -> [Result<TransferOutcome, ApprovalError>] in
                (0..<perThread).map { index in
                    // Mostly debits of 3.00 on a wallet of 20.00: some must be refused for insufficient funds.
                    let amount = index % 4 == 0 ? "1.50" : "-3"
                    return Result { () throws(ApprovalError) -> TransferOutcome in
                        try services[thread % 2].submitTransfer(TransferRequest(
                            orderID: "t\(thread)-\(index)", externalUserID: users[(thread + index) % users.count],
                            currency: "USD", amount: amount))
                    }
                }
            }.flatMap { $0 }
            var expected: [String: Int128] = Dictionary(uniqueKeysWithValues: users.map { ($0, 2_000) })
            var applied = 0
            for outcome in outcomes {
                switch outcome {
                case .success(let transfer):
                    #expect(transfer.order.status == .completed)
                    expected[transfer.order.externalUserID, default: 0] += transfer.order.amount
                    applied += 1
                case .failure(let error):
                    #expect(error.type == "insufficient_funds", "\(error)")
                }
            }
            #expect(applied > 0 && applied < outcomes.count)
            for user in users {
                let balance = try harness.balance(user).balance
                #expect(balance == expected[user])
                #expect(balance >= 0)
            }
            #expect(try harness.balanceSums() == ["USD": 0])
            let verification = try ApprovalService.verifyAuditChain(store: second.store)
            #expect(verification.ok)
            let events = try harness.store.read { transaction throws(ApprovalError) in
                try transaction.auditEvents(after: 0, limit: 10_000)
            }
            #expect(events.map(\.sequence) == Array(1...Int64(events.count)))
            #expect(events.filter { $0.kind == "order.received" }.count == applied)
            #expect(events.filter { $0.kind == "order.refused" }.count == outcomes.count - applied)
        }

        /// 8 operators approve one 2-approval order at once, half through each instance: it applies exactly once.
        @Test func approvalsThroughBothInstancesApplyAnOrderExactlyOnce() async throws {
            let harness = try await PostgresServiceHarness.make()
            defer { harness.remove() }
            try harness.service.createWallet(externalUserID: "u-1", currency: "USD", initialBalance: 1_000_000)
            let approvers = try (1...8).map { number in try harness.enroll("op-\(number)", keyNumber: UInt8(number)) }
            try harness.transfer("big", amount: "-5000")
            let signatures = try approvers.map { approver in try harness.signature("big", with: approver.key) }
            let second = try harness.secondInstance()
            let services = [harness.service, second.service]
            let outcomes = await onThreads(8) { index in
                Result { () throws(ApprovalError) -> TransferOrder in
                    try services[index % 2].submitDecision(orderID: "big", decision: .approve, signature: signatures[index])
                }
            }
            let accepted = outcomes.compactMap { try? $0.get() }
            let refused = outcomes.compactMap { outcome -> ApprovalError? in
                guard case .failure(let error) = outcome else { return nil }
                return error
            }
            #expect(accepted.map(\.status).sorted { $0.rawValue < $1.rawValue } == [.completed, .pendingApproval])
            #expect(refused.count == 6)
            #expect(refused.allSatisfy { $0 == .orderNotPending(orderID: "big", status: .completed) })
            #expect(try harness.balance("u-1") == (500_000, 0))
            #expect(try harness.balanceSums() == ["USD": 0])
            #expect(try second.service.order(id: "big").1.count == 2)
            let completions = try second.store.transaction { transaction throws(ApprovalError) in
                try transaction.dueOutboxMessages(at: harness.clock.now(), limit: 100).filter { $0.event == "order.completed" }
            }
            #expect(completions.count == 1)
            #expect(try harness.service.verifyAuditChain().ok)
        }
    }
}
