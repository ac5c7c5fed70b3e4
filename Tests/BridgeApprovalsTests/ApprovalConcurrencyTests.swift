import BridgeApprovals
import BridgeCore
import BridgeCrypto
import Testing

@Suite("Concurrent approvals apply an order exactly once")
struct ApprovalConcurrencyTests {
    @Test func eightOperatorsApprovingAtOnceApplyTheOrderOnce() async throws {
        let harness = try Harness()
        try harness.service.createWallet(externalUserID: "alice", currency: "USD", initialBalance: 500_000)
        var operators: [TestOperator] = []
        for number in 1...8 { operators.append(try harness.enroll("op\(number)", keyNumber: UInt8(number))) }
        try harness.transfer("o1", amount: "-1500")
        // Sign first, so the eight submissions really race.
        let signatures = try operators.map { try harness.signature("o1", by: $0) }

        let results = await withTaskGroup(of: Result<TransferOrder, ApprovalError>.self) { group in
            for signature in signatures {
                group.addTask {
                    do throws(ApprovalError) {
                        return .success(try harness.service.submitDecision(orderID: "o1", decision: .approve,
                                                                           signature: signature))
                    } catch {
                        return .failure(error)
                    }
                }
            }
            var results: [Result<TransferOrder, ApprovalError>] = []
            for await result in group { results.append(result) }
            return results
        }

        let accepted = results.compactMap { try? $0.get() }
        let refused = results.compactMap { if case .failure(let error) = $0 { error } else { nil } }
        #expect(accepted.count == 2)
        #expect(accepted.filter { $0.status == .completed }.count == 1)
        #expect(refused.count == 6)
        #expect(refused.allSatisfy { $0 == .orderNotPending(orderID: "o1", status: .completed) })
        #expect(try harness.walletBalance("alice") == (balance: 350_000, held: 0))
        #expect(try harness.balanceSums() == ["USD": 0])
        #expect(try harness.auditEvents().filter { $0.kind == "order.completed" }.count == 1)
        #expect(try harness.outbox().filter { $0.event == "order.completed" }.count == 1)
        #expect(try harness.service.order(id: "o1").1.count == 2)
        #expect(try harness.service.verifyAuditChain().ok)
    }

    @Test func theSameApprovalSubmittedEightTimesAtOnceCountsOnce() async throws {
        let harness = try Harness(policy: ThresholdPolicy(approvals: 1))
        try harness.service.createWallet(externalUserID: "alice", currency: "USD", initialBalance: 500_000)
        let ann = try harness.enroll("ann", keyNumber: 1)
        try harness.transfer("o1", amount: "-1500")
        let signature = try harness.signature("o1", by: ann)

        let errors = await withTaskGroup(of: ApprovalError?.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    do throws(ApprovalError) {
                        try harness.service.submitDecision(orderID: "o1", decision: .approve, signature: signature)
                        return nil
                    } catch {
                        return error
                    }
                }
            }
            var errors: [ApprovalError?] = []
            for await error in group { errors.append(error) }
            return errors
        }
        #expect(errors.filter { $0 == nil }.count == 1)
        // Whoever lost the race sees either the spent signature or the applied order, never a second application.
        #expect(errors.compactMap { $0 }.allSatisfy {
            $0 == .replayedSignature || $0 == .orderNotPending(orderID: "o1", status: .completed)
        })
        #expect(try harness.walletBalance("alice") == (balance: 350_000, held: 0))
        #expect(try harness.auditEvents().filter { $0.kind == "order.completed" }.count == 1)
    }

    @Test func theSameTransferSubmittedEightTimesAtOnceIsStoredOnce() async throws {
        let harness = try Harness()
        try harness.service.createWallet(externalUserID: "alice", currency: "USD", initialBalance: 500_000)
        let outcomes = try await withThrowingTaskGroup(of: TransferOutcome.self) { group in
            for _ in 0..<8 { group.addTask { try harness.transfer("o1", amount: "-100") } }
            var outcomes: [TransferOutcome] = []
            for try await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
        #expect(outcomes.filter { !$0.replayed }.count == 1)
        #expect(Set(outcomes.map(\.order)).count == 1)
        #expect(try harness.walletBalance("alice").balance == 490_000)
    }
}
