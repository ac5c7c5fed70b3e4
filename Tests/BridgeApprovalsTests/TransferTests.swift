import BridgeApprovals
import BridgeCore
import BridgeCrypto
import Testing

@Suite("Transfers: validation, idempotency, policy decisions, holds, expiry")
struct TransferTests {
    let harness: Harness

    init() throws {
        harness = try Harness(policy: ThresholdPolicy(deniedUsers: ["mallory"]))
        try harness.service.createWallet(externalUserID: "alice", currency: "USD", initialBalance: 500_000)  // 5,000.00
        try harness.service.createWallet(externalUserID: "mallory", currency: "USD", initialBalance: 10_000)
    }

    @Test func aSmallCreditAppliesAtOnce() throws {
        let outcome = try harness.transfer("o1", amount: "100.50")
        #expect(outcome.replayed == false)
        #expect(outcome.order.status == .completed)
        #expect(outcome.order.amount == 10_050)
        #expect(outcome.order.policyName == "small")
        #expect(outcome.order.balanceAfter == 510_050)
        #expect(outcome.wallet.balance == 510_050)
        #expect(try harness.balanceSums() == ["USD": 0])
        let settlement = try harness.allWallets().first { $0.id == Wallet.settlementID(currency: "USD") }
        #expect(settlement?.balance == -520_050)  // alice's and mallory's funding and the credit
    }

    @Test func aSmallDebitAppliesAtOnceAndWritesAuditAndWebhook() throws {
        let outcome = try harness.transfer("o1", amount: "-200")
        #expect(outcome.order.status == .completed)
        #expect(outcome.wallet.balance == 480_000)
        let kinds = try harness.auditEvents().map(\.kind)
        #expect(kinds.suffix(2) == ["order.received", "order.completed"])
        let webhook = try #require(try harness.outbox().last)
        #expect(webhook.event == "order.completed")
        #expect(webhook.body == #"{"event":"order.completed","order_id":"o1","status":"completed","amount":"-200.00","currency":"USD","external_user_id":"alice"}"#)
        #expect(webhook.nextAttemptAt == harness.clock.now())
    }

    @Test("Without webhook receivers (queuesWebhooks false) a transfer is audited as always but queues no outbox row")
    func noReceiversQueueNoWebhook() throws {
        let quiet = try Harness(policy: ThresholdPolicy()) { $0.queuesWebhooks = false }
        try quiet.service.createWallet(externalUserID: "alice", currency: "USD", initialBalance: 500_000)
        #expect(try quiet.transfer("o1", amount: "-200").order.status == .completed)
        #expect(try quiet.auditEvents().map(\.kind).suffix(2) == ["order.received", "order.completed"])
        #expect(try quiet.outbox().isEmpty)
        #expect(try harness.transfer("o1", amount: "-200").order.status == .completed)
        #expect(try harness.outbox().map(\.event) == ["order.completed"])
    }

    @Test func theSameOrderWithTheSameContentReturnsTheStoredOutcomeAndChangesNothing() throws {
        let first = try harness.transfer("o1", amount: "100.5")
        let eventsBefore = try harness.auditEvents().count
        let outboxBefore = try harness.outbox().count
        harness.clock.advance(by: .seconds(60))
        // "100.50" is the same amount as "100.5": content is compared in minor units, not as text.
        let second = try harness.transfer("o1", amount: "100.50")
        #expect(second.replayed)
        #expect(second.order == first.order)
        #expect(second.wallet.balance == 510_050)
        #expect(try harness.auditEvents().count == eventsBefore)
        #expect(try harness.outbox().count == outboxBefore)
    }

    @Test func theSameOrderWithOtherContentIsADuplicate() throws {
        try harness.transfer("o1", amount: "100")
        #expect(approvalError { try harness.transfer("o1", amount: "101") } == .duplicateOrder(orderID: "o1"))
        #expect(approvalError { try harness.transfer("o1", user: "mallory", amount: "100") } == .duplicateOrder(orderID: "o1"))
        // Even where the other currency has no wallet: the known id answers first.
        #expect(approvalError { try harness.transfer("o1", currency: "BTC", amount: "100") } == .duplicateOrder(orderID: "o1"))
        #expect(try harness.walletBalance("alice").balance == 510_000)
    }

    @Test func aDuplicateInAnotherCurrencyIsRefusedToo() throws {
        try harness.service.createWallet(externalUserID: "alice", currency: "BTC", initialBalance: 0)
        try harness.transfer("o1", amount: "100")
        #expect(approvalError { try harness.transfer("o1", currency: "BTC", amount: "100") } == .duplicateOrder(orderID: "o1"))
    }

    @Test func validationErrorsNameTheProblemAndStoreNoOrder() throws {
        #expect(approvalError { try harness.transfer("o1", currency: "EUR", amount: "1") } == .currencyNotSupported("EUR"))
        #expect(approvalError { try harness.transfer("o2", amount: "0") }?.type == "invalid_amount")
        #expect(approvalError { try harness.transfer("o3", amount: "0.00") }?.type == "invalid_amount")
        #expect(approvalError { try harness.transfer("o4", amount: "1.001") }?.type == "invalid_amount")
        #expect(approvalError { try harness.transfer("o5", amount: "ten") }?.type == "invalid_amount")
        #expect(approvalError { try harness.transfer("o6", user: "nobody", amount: "1") }
            == .accountNotFound(externalUserID: "nobody", currency: "USD"))
        #expect(approvalError { try harness.transfer("", amount: "1") } == .invalidRequest("order_id is empty"))
        #expect(approvalError { try harness.transfer(String(repeating: "x", count: 129), amount: "1") }
            == .invalidRequest("order_id is longer than 128 bytes"))
        #expect(approvalError { try harness.transfer("a\nb", amount: "1") } == .invalidRequest("order_id contains control characters"))
        // DEL and a C1 control (U+0085, two bytes in UTF-8) too; other non-ASCII text is a valid id.
        for id in ["a\u{7F}b", "a\u{85}b"] {
            #expect(approvalError { try harness.transfer(id, amount: "1") } == .invalidRequest("order_id contains control characters"))
        }
        #expect(try harness.transfer("commande-été", amount: "1").order.status == .completed)
        #expect(approvalError { _ = try harness.service.order(id: "o1") } == .orderNotFound(orderID: "o1"))
        // An id of exactly 128 bytes is fine.
        #expect(try harness.transfer(String(repeating: "x", count: 128), amount: "1").order.status == .completed)
    }

    @Test func anAllowedDebitBeyondTheAvailableBalanceIsRefusedAndNotStored() throws {
        try harness.transfer("drain", amount: "-4950")  // above the 1,000 threshold: pending, and held
        let held = try harness.walletBalance("alice")
        #expect(held.balance == 500_000)
        #expect(held.held == 495_000)
        let refused = approvalError { try harness.transfer("o2", amount: "-50.01") }
        #expect(refused == .insufficientFunds(available: "50.00", requested: "50.01", currency: "USD"))
        #expect(approvalError { _ = try harness.service.order(id: "o2") } == .orderNotFound(orderID: "o2"))
        // Exactly the available amount is fine.
        #expect(try harness.transfer("o3", amount: "-50").order.status == .completed)
        #expect(try harness.walletBalance("alice") == (balance: 495_000, held: 495_000))
    }

    @Test func aDeniedTransferIsStoredAsRejectedSoRetriesAnswerTheSame() throws {
        let outcome = try harness.transfer("o1", user: "mallory", amount: "5")
        #expect(outcome.order.status == .rejected)
        #expect(outcome.order.reason == "denied by policy blocked-users")
        #expect(outcome.order.policyName == "blocked-users")
        #expect(outcome.wallet.balance == 10_000)
        let retry = try harness.transfer("o1", user: "mallory", amount: "5")
        #expect(retry.replayed)
        #expect(retry.order == outcome.order)
        #expect(try harness.outbox().last?.event == "order.rejected")
        #expect(try harness.auditEvents().last?.kind == "order.rejected")
    }

    @Test func aLargeCreditWaitsForApprovalWithANonceAndExpiry() throws {
        let outcome = try harness.transfer("o1", amount: "1000.01")
        #expect(outcome.order.status == .pendingApproval)
        #expect(outcome.order.approvalsRequired == 2)
        #expect(outcome.order.eligibleApprovers == ApproverEligibility(roles: [.approver]))
        #expect(outcome.order.nonce.count == 32)
        #expect(outcome.order.expiresAt == harness.clock.now() + .seconds(7200))
        // A credit holds nothing and moves nothing until approved.
        #expect(outcome.wallet.balance == 500_000)
        #expect(outcome.wallet.held == 0)
        #expect(try harness.service.pendingOrders().map(\.orderID) == ["o1"])
        #expect(try harness.outbox().last?.body.contains(#""status":"pending_approval""#) == true)
    }

    @Test func aLargeDebitHoldsItsAmount() throws {
        let outcome = try harness.transfer("o1", amount: "-1500")
        #expect(outcome.order.status == .pendingApproval)
        #expect(outcome.wallet.balance == 500_000)
        #expect(outcome.wallet.held == 150_000)
        #expect(outcome.wallet.available == 350_000)
        #expect(approvalError { try harness.transfer("o2", amount: "-3500.01") }
            == .insufficientFunds(available: "3500.00", requested: "3500.01", currency: "USD"))
        #expect(try harness.walletBalance("alice").held == 150_000)
    }

    @Test func expiryReleasesHoldsOnTheClock() throws {
        try harness.transfer("o1", amount: "-1500")
        try harness.transfer("o2", amount: "2000")
        harness.clock.advance(by: .seconds(7199))
        #expect(try harness.service.expireDueOrders().isEmpty)
        harness.clock.advance(by: .seconds(1))
        let expired = try harness.service.expireDueOrders()
        #expect(expired.map(\.orderID) == ["o1", "o2"])
        #expect(expired.allSatisfy { $0.status == .expired && $0.decidedAt == harness.clock.now() })
        #expect(try harness.walletBalance("alice") == (balance: 500_000, held: 0))
        #expect(try harness.service.pendingOrders().isEmpty)
        #expect(try harness.outbox().suffix(2).map(\.event) == ["order.expired", "order.expired"])
        #expect(try harness.auditEvents().suffix(2).map(\.actor) == ["system", "system"])
        // A retry of an expired order answers with the expired order.
        let retry = try harness.transfer("o1", amount: "-1500")
        #expect(retry.replayed)
        #expect(retry.order.status == .expired)
        #expect(try harness.service.expireDueOrders().isEmpty)
    }

    @Test func aRequireWithoutAWindowUsesTheConfiguredDefault() throws {
        let harness = try Harness(
            policy: FixedPolicy(decision: .requireApprovals(policy: "p", count: 0, eligibility: ApproverEligibility(),
                                                            expiresAfter: .zero)),
            configure: { $0.defaultApprovalExpiry = .seconds(600) })
        try harness.service.createWallet(externalUserID: "alice", currency: "USD")
        let order = try harness.transfer("o1", amount: "1").order
        #expect(order.expiresAt == harness.clock.now() + .seconds(600))
        #expect(order.approvalsRequired == 1)
    }

    @Test func velocityLookupsSeeCompletedAndPendingOrdersOfTheUser() throws {
        final class Recording: TransferPolicy, @unchecked Sendable {
            var seen: [(count: Int, absoluteSum: Int128)] = []
            func decide(_ facts: TransferFacts, velocity: any VelocityLookup) throws(ApprovalError) -> PolicyDecision {
                seen.append(try velocity.totals(externalUserID: facts.externalUserID, currency: "USD",
                                                since: facts.time - .seconds(3600)))
                return facts.amount > 100_000
                    ? .requireApprovals(policy: "big", count: 1, eligibility: ApproverEligibility(), expiresAfter: .seconds(60))
                    : facts.amount == 7 ? .deny(policy: "sevens") : .allow(policy: nil)
            }
        }
        let policy = Recording()
        let harness = try Harness(policy: policy)
        try harness.service.createWallet(externalUserID: "alice", currency: "USD")
        try harness.transfer("a", amount: "10")
        try harness.transfer("b", amount: "0.07")  // denied: not counted
        try harness.transfer("c", amount: "2000")  // pending: counted
        harness.clock.advance(by: .seconds(3601))  // a and c leave the window
        try harness.transfer("d", amount: "1")
        #expect(policy.seen.map(\.count) == [0, 1, 1, 0])
        #expect(policy.seen.map(\.absoluteSum) == [0, 1000, 1000, 0])
    }
}
