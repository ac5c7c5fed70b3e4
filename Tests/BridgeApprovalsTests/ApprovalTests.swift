import BridgeApprovals
import BridgeCore
import BridgeCrypto
import Testing

@Suite("Approvals: quorum, eligibility, rejection")
struct ApprovalTests {
    let harness: Harness
    let ann: TestOperator
    let ben: TestOperator
    let cat: TestOperator
    let root: TestOperator

    init() throws {
        harness = try Harness()
        try harness.service.createWallet(externalUserID: "alice", currency: "USD", initialBalance: 500_000)
        ann = try harness.enroll("ann", keyNumber: 1)
        ben = try harness.enroll("ben", keyNumber: 2)
        cat = try harness.enroll("cat", keyNumber: 3)
        root = try harness.enroll("root", role: .admin, keyNumber: 4)
    }

    @Test func twoDistinctApprovalsApplyADebitExactlyOnce() throws {
        try harness.transfer("o1", amount: "-1500")
        let afterFirst = try harness.approve("o1", by: ann)
        #expect(afterFirst.status == .pendingApproval)
        #expect(try harness.walletBalance("alice") == (balance: 500_000, held: 150_000))
        let afterSecond = try harness.approve("o1", by: ben)
        #expect(afterSecond.status == .completed)
        #expect(afterSecond.balanceAfter == 350_000)
        #expect(afterSecond.decidedAt == harness.clock.now())
        #expect(try harness.walletBalance("alice") == (balance: 350_000, held: 0))
        #expect(try harness.balanceSums() == ["USD": 0])
        // A third approval finds the order already applied.
        #expect(approvalError { try harness.approve("o1", by: cat) } == .orderNotPending(orderID: "o1", status: .completed))
        #expect(try harness.walletBalance("alice").balance == 350_000)
        let (order, approvals) = try harness.service.order(id: "o1")
        #expect(order.status == .completed)
        #expect(approvals.map(\.operatorID) == [ann.id, ben.id])
        #expect(approvals.allSatisfy { $0.decision == .approve && $0.signature.count == 65 })
        let kinds = try harness.auditEvents().map(\.kind).suffix(4)
        #expect(Array(kinds) == ["order.pending_approval", "approval.accepted", "approval.accepted", "order.completed"])
        #expect(try harness.outbox().filter { $0.event == "order.completed" }.count == 1)
        // The retried CRM request now answers with the completed order.
        let retry = try harness.transfer("o1", amount: "-1500")
        #expect(retry.replayed && retry.order.status == .completed && retry.order.balanceAfter == 350_000)
    }

    @Test func aCreditAppliesOnQuorum() throws {
        try harness.transfer("o1", amount: "2500")
        try harness.approve("o1", by: cat)
        let order = try harness.approve("o1", by: ann)
        #expect(order.status == .completed)
        #expect(try harness.walletBalance("alice") == (balance: 750_000, held: 0))
    }

    @Test func aSignedRejectionRejectsAtOnceAndReleasesTheHold() throws {
        try harness.transfer("o1", amount: "-1500")
        try harness.approve("o1", by: ann)
        let order = try harness.reject("o1", by: ben, reason: "customer called")
        #expect(order.status == .rejected)
        #expect(order.reason == "rejected by ben: customer called")
        #expect(try harness.walletBalance("alice") == (balance: 500_000, held: 0))
        let (_, approvals) = try harness.service.order(id: "o1")
        #expect(approvals.last?.decision == .reject)
        #expect(approvals.last?.reason == "customer called")
        #expect(try harness.outbox().last?.event == "order.rejected")
        #expect(approvalError { try harness.approve("o1", by: cat) } == .orderNotPending(orderID: "o1", status: .rejected))
    }

    @Test func theRejectionReasonIsPartOfWhatIsSigned() throws {
        try harness.transfer("o1", amount: "-1500")
        let signed = try harness.signature("o1", by: ann, decision: .reject, reason: "fraud")
        // Submitting another reason than the device showed: the signature recovers to a stranger.
        let failure = approvalError {
            try harness.service.submitDecision(orderID: "o1", decision: .reject, signature: signed, reason: "typo")
        }
        #expect(failure?.type == "operator_not_enrolled")
        // An approval signature does not work as a rejection either.
        let approval = try harness.signature("o1", by: ann)
        #expect(approvalError {
            try harness.service.submitDecision(orderID: "o1", decision: .reject, signature: approval, reason: "")
        }?.type == "operator_not_enrolled")
        #expect(try harness.service.order(id: "o1").0.status == .pendingApproval)
    }

    @Test func theInitiatorNeverCounts() throws {
        try harness.transfer("o1", amount: "-1500", initiator: ann.id)
        let failure = approvalError { try harness.approve("o1", by: ann) }
        #expect(failure == .notAllowedByPolicy("ann initiated order o1 and cannot decide on it"))
        #expect(approvalError { try harness.reject("o1", by: ann) }?.type == "operator_not_allowed")
        try harness.approve("o1", by: ben)
        #expect(try harness.approve("o1", by: cat).status == .completed)
        let received = try #require(try harness.auditEvents().first { $0.kind == "order.received" && $0.payload["order_id"] == "o1" })
        #expect(received.actor == "operator:\(ann.id)")
        #expect(received.payload["initiator_operator_id"] == .string(ann.id))
    }

    @Test func roleEligibility() throws {
        let harness = try Harness(policy: ThresholdPolicy(approvals: 1, eligibility: ApproverEligibility(roles: [.admin])))
        try harness.service.createWallet(externalUserID: "alice", currency: "USD", initialBalance: 500_000)
        let approver = try harness.enroll("ann", keyNumber: 1)
        let admin = try harness.enroll("root", role: .admin, keyNumber: 4)
        try harness.transfer("o1", amount: "-1500")
        let failure = approvalError { try harness.approve("o1", by: approver) }
        #expect(failure == .notAllowedByPolicy("ann (approver) is not among the approvers policy large names for order o1"))
        #expect(try harness.approve("o1", by: admin).status == .completed)
    }

    @Test func anAdminMayDoWhatAnApproverMay() throws {
        try harness.transfer("o1", amount: "-1500")
        try harness.approve("o1", by: root)
        #expect(try harness.approve("o1", by: ann).status == .completed)
    }

    @Test func namedEligibility() throws {
        let eligibility = ApproverEligibility(operators: ["cat"])
        let harness = try Harness(policy: ThresholdPolicy(approvals: 1, eligibility: eligibility))
        try harness.service.createWallet(externalUserID: "alice", currency: "USD", initialBalance: 500_000)
        let ann = try harness.enroll("ann", keyNumber: 1)
        let root = try harness.enroll("root", role: .admin, keyNumber: 4)
        let cat = try harness.enroll("cat", keyNumber: 3)
        try harness.transfer("o1", amount: "-1500")
        #expect(approvalError { try harness.approve("o1", by: ann) }?.type == "operator_not_allowed")
        // Being an admin does not help when the policy names operators only.
        #expect(approvalError { try harness.approve("o1", by: root) }?.type == "operator_not_allowed")
        #expect(try harness.approve("o1", by: cat).status == .completed)
    }

    @Test func operatorsCanBeNamedByID() throws {
        /// Names its approver once the test knows the enrolled operator's id.
        final class NamedLater: TransferPolicy, @unchecked Sendable {
            var named: Set<String> = []
            func decide(_ facts: TransferFacts, velocity: any VelocityLookup) throws(ApprovalError) -> PolicyDecision {
                .requireApprovals(policy: "named", count: 1, eligibility: ApproverEligibility(operators: named),
                                  expiresAfter: .seconds(60))
            }
        }
        let policy = NamedLater()
        let harness = try Harness(policy: policy)
        try harness.service.createWallet(externalUserID: "alice", currency: "USD", initialBalance: 500_000)
        let ann = try harness.enroll("ann", keyNumber: 1)
        let ben = try harness.enroll("ben", keyNumber: 2)
        policy.named = [ben.id]
        try harness.transfer("o1", amount: "-1")
        #expect(approvalError { try harness.approve("o1", by: ann) }?.type == "operator_not_allowed")
        #expect(try harness.approve("o1", by: ben).status == .completed)
    }

    @Test func anOrderNamingNobodyAcceptsAnyActiveOperator() throws {
        let harness = try Harness(policy: ThresholdPolicy(approvals: 1, eligibility: ApproverEligibility()))
        try harness.service.createWallet(externalUserID: "alice", currency: "USD", initialBalance: 500_000)
        let ann = try harness.enroll("ann", keyNumber: 1)
        try harness.transfer("o1", amount: "-1500")
        #expect(try harness.approve("o1", by: ann).status == .completed)
    }

    @Test func anApprovalDocumentExistsOnlyForPendingOrders() throws {
        try harness.transfer("small", amount: "5")
        #expect(approvalError { _ = try harness.service.approvalDocument(orderID: "small") }
            == .orderNotPending(orderID: "small", status: .completed))
        #expect(approvalError { _ = try harness.service.approvalDocument(orderID: "nope") } == .orderNotFound(orderID: "nope"))
        try harness.transfer("big", amount: "-1500")
        let document = try harness.service.approvalDocument(orderID: "big")
        let order = try harness.service.order(id: "big").0
        #expect(document["message"]?["amount"] == "-1500.00")
        #expect(document["message"]?["nonce"] == .string(Hex.encodePrefixed(order.nonce)))
        #expect(document["message"]?["expiresAt"] == .number(JSONNumber(try #require(order.expiresAt).secondsSinceEpoch)))
        #expect(document["message"]?["wallet"] == .string(order.walletID))
    }

    @Test func aSessionBindsTheSignatureToTheSignedInOperator() throws {
        try harness.transfer("o1", amount: "-1500")
        let bySomeoneElse = approvalError {
            try harness.service.submitDecision(orderID: "o1", decision: .approve, signature: try harness.signature("o1", by: ann),
                                               sessionOperatorID: ben.id)
        }
        #expect(bySomeoneElse?.type == "signature_invalid")
        let order = try harness.service.submitDecision(orderID: "o1", decision: .approve,
                                                       signature: try harness.signature("o1", by: ann),
                                                       sessionOperatorID: ann.id)
        #expect(order.status == .pendingApproval)
    }

    @Test func verifyingADecisionChangesNothing() throws {
        try harness.transfer("o1", amount: "-1500")
        let signature = try harness.signature("o1", by: ann)
        let events = try harness.auditEvents().count
        #expect(try harness.service.verifyDecision(orderID: "o1", decision: .approve, signature: signature) == ann.record)
        #expect(try harness.service.verifyDecision(orderID: "o1", decision: .approve, signature: signature) == ann.record)
        #expect(try harness.auditEvents().count == events)
        #expect(try harness.service.order(id: "o1").1.isEmpty)
        try harness.service.submitDecision(orderID: "o1", decision: .approve, signature: signature)
        // Once submitted, verification refuses it like a second submission would.
        #expect(approvalError { _ = try harness.service.verifyDecision(orderID: "o1", decision: .approve, signature: signature) }
            == .replayedSignature)
    }

    @Test func malformedSignaturesAreRefusedBeforeAnyLookup() throws {
        try harness.transfer("o1", amount: "-1500")
        #expect(approvalError {
            try harness.service.submitDecision(orderID: "o1", decision: .approve, signature: [1, 2, 3])
        }?.type == "signature_invalid")
        var badV = try harness.signature("o1", by: ann)
        badV[64] = 30  // v must be 27 or 28
        #expect(approvalError { try harness.service.submitDecision(orderID: "o1", decision: .approve, signature: badV) }?
            .type == "signature_invalid")
    }
}
