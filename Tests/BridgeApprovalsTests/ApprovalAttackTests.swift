import BridgeApprovals
import BridgeCore
import BridgeCrypto
import Testing

/// Each attack on the approval flow, in its own test: the refusal is the specific error and nothing changes.
@Suite("Attacks on approvals are refused")
struct ApprovalAttackTests {
    let harness: Harness
    let ann: TestOperator
    let ben: TestOperator
    let cat: TestOperator

    init() throws {
        harness = try Harness()
        try harness.service.createWallet(externalUserID: "alice", currency: "USD", initialBalance: 500_000)
        ann = try harness.enroll("ann", keyNumber: 1)
        ben = try harness.enroll("ben", keyNumber: 2)
        cat = try harness.enroll("cat", keyNumber: 3)
        try harness.transfer("o1", amount: "-1500")
    }

    /// The order is still pending with only `approvals` recorded and the hold in place.
    func expectUnchanged(approvals: Int, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let (order, records) = try harness.service.order(id: "o1")
        #expect(order.status == .pendingApproval, sourceLocation: sourceLocation)
        #expect(records.count == approvals, sourceLocation: sourceLocation)
        #expect(try harness.walletBalance("alice") == (balance: 500_000, held: 150_000), sourceLocation: sourceLocation)
    }

    @Test func aReplayedApprovalIsRefused() throws {
        let signature = try harness.signature("o1", by: ann)
        try harness.service.submitDecision(orderID: "o1", decision: .approve, signature: signature)
        let events = try harness.auditEvents().count
        let failure = approvalError {
            try harness.service.submitDecision(orderID: "o1", decision: .approve, signature: signature)
        }
        #expect(failure == .replayedSignature)
        try expectUnchanged(approvals: 1)
        #expect(try harness.auditEvents().count == events)
    }

    @Test func anApprovalForAlteredContentIsRefused() throws {
        // The device was shown (and signed) a smaller amount than the stored order's.
        var altered = try #require(try harness.service.approvalDocument(orderID: "o1").objectValue)
        var message = try #require(altered["message"]?.objectValue)
        message["amount"] = "-15.00"
        altered["message"] = .object(message)
        let signature = try Harness.sign(.object(altered), with: ann.key)
        let failure = approvalError {
            try harness.service.submitDecision(orderID: "o1", decision: .approve, signature: signature)
        }
        // Over the stored content the signature recovers to some unrelated key.
        #expect(failure?.type == "operator_not_enrolled")
        #expect(failure != .notEnrolled(address: ann.record.address.checksummed))
        // With a session, the refusal says the signature is not the signed-in operator's over this order.
        let withSession = approvalError {
            try harness.service.submitDecision(orderID: "o1", decision: .approve, signature: signature,
                                               sessionOperatorID: ann.id)
        }
        #expect(withSession?.type == "signature_invalid")
        try expectUnchanged(approvals: 0)
    }

    @Test func anApprovalForAnotherOrderDoesNotCount() throws {
        try harness.transfer("o2", amount: "1500")  // a credit: nothing more is held
        let forO2 = try harness.signature("o2", by: ann)
        let failure = approvalError { try harness.service.submitDecision(orderID: "o1", decision: .approve, signature: forO2) }
        #expect(failure?.type == "operator_not_enrolled")
        try expectUnchanged(approvals: 0)
    }

    @Test func anApprovalForAnotherDeploymentDoesNotCount() throws {
        var document = try #require(try harness.service.approvalDocument(orderID: "o1").objectValue)
        var domain = try #require(document["domain"]?.objectValue)
        domain["salt"] = .string("0x" + String(repeating: "00", count: 32))
        document["domain"] = .object(domain)
        let signature = try Harness.sign(.object(document), with: ann.key)
        #expect(approvalError { try harness.service.submitDecision(orderID: "o1", decision: .approve, signature: signature) }?
            .type == "operator_not_enrolled")
        try expectUnchanged(approvals: 0)
    }

    @Test func anExpiredApprovalIsRefused() throws {
        let signature = try harness.signature("o1", by: ann)  // signed in time...
        harness.clock.advance(by: .seconds(7200))  // ...submitted at expiresAt
        let failure = approvalError {
            try harness.service.submitDecision(orderID: "o1", decision: .approve, signature: signature)
        }
        #expect(failure?.type == "expired")
        #expect(failure?.message.contains("approval window of order o1") == true)
        try expectUnchanged(approvals: 0)
        try harness.service.expireDueOrders()
        #expect(approvalError { try harness.service.submitDecision(orderID: "o1", decision: .approve, signature: signature) }
            == .orderNotPending(orderID: "o1", status: .expired))
    }

    @Test func aSignatureFromANonEnrolledKeyIsRefused() throws {
        let stranger = try Harness.key(99)
        let signature = try Harness.sign(try harness.service.approvalDocument(orderID: "o1"), with: stranger)
        let failure = approvalError {
            try harness.service.submitDecision(orderID: "o1", decision: .approve, signature: signature)
        }
        #expect(failure == .notEnrolled(address: Harness.address(stranger).checksummed))
        try expectUnchanged(approvals: 0)
    }

    @Test func aSignatureFromARevokedOperatorIsRefused() throws {
        try harness.service.revokeOperator(id: ann.id, actor: "admin:test")
        let failure = approvalError { try harness.approve("o1", by: ann) }
        #expect(failure == .operatorRevoked(name: "ann"))
        try expectUnchanged(approvals: 0)
    }

    @Test func aRevokedOperatorsEarlierApprovalStopsCounting() throws {
        try harness.approve("o1", by: ann)
        try harness.service.revokeOperator(id: ann.id, actor: "admin:test")
        // ben's approval would have been the second; with ann revoked it is the first that counts.
        #expect(try harness.approve("o1", by: ben).status == .pendingApproval)
        #expect(try harness.approve("o1", by: cat).status == .completed)
    }

    @Test func aSecondDecisionByTheSameOperatorIsRefused() throws {
        try harness.approve("o1", by: ann)
        // A new signature (a rejection this time) from the operator who already approved.
        let failure = approvalError { try harness.reject("o1", by: ann) }
        #expect(failure == .alreadyDecided(operatorName: "ann", orderID: "o1"))
        try expectUnchanged(approvals: 1)
    }

    @Test func aTamperedAuditRowIsNamedByVerify() throws {
        try harness.approve("o1", by: ann)
        #expect(try harness.service.verifyAuditChain().ok)
        let events = try harness.auditEvents()
        let target = try #require(events.first { $0.kind == "order.received" && $0.payload["order_id"] == "o1" })
        var payload = try #require(target.payload.objectValue)
        payload["amount"] = "-15.00"
        try harness.store.overwriteAuditEvent(AuditEvent(
            sequence: target.sequence, time: target.time, actor: target.actor, kind: target.kind, payload: .object(payload),
            previousHash: target.previousHash, hash: target.hash))
        let verification = try harness.service.verifyAuditChain()
        #expect(verification.ok == false)
        #expect(verification.firstBroken?.sequence == target.sequence)
        #expect(verification.firstBroken?.reason == "its content does not hash to the stored hash (the event was altered)")
        #expect(verification.events == Int(target.sequence))
    }
}
