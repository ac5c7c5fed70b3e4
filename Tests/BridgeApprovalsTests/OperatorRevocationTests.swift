import BridgeApprovals
import BridgeCore
import BridgeCrypto
import Testing

@Suite("Operator revocation: sessions end, pending approvals stop counting, device-signed by an admin")
struct OperatorRevocationTests {
    let harness: Harness
    let ann: TestOperator
    let ben: TestOperator
    let cat: TestOperator
    let root: TestOperator

    init() throws {
        harness = try Harness()
        ann = try harness.enroll("ann", keyNumber: 1)
        ben = try harness.enroll("ben", keyNumber: 2)
        cat = try harness.enroll("cat", keyNumber: 3)
        root = try harness.enroll("root", role: .admin, keyNumber: 9)
        try harness.service.createWallet(externalUserID: "alice", currency: "USD", initialBalance: 1_000_000)
    }

    /// Signs in as `signer` (device-signed Login) and returns the bearer token.
    func signIn(_ signer: TestOperator) throws -> String {
        let challenge = try harness.service.loginChallenge(address: signer.record.address.checksummed)
        return try harness.service.createSession(nonce: challenge.nonce,
                                                 signature: try Harness.sign(challenge.document, with: signer.key),
                                                 clientIP: "10.0.0.1").token
    }

    /// The document `admin` gets for revoking `name`, and `signer`'s device signature over it.
    func signedRevocation(of name: String, reason: String = "device lost", requestedBy admin: TestOperator,
                          signer: TestOperator? = nil) throws -> (message: JSONObject, signature: [UInt8]) {
        let document = try harness.service.revocationDocument(name: name, reason: reason, adminID: admin.id)
        return (try #require(document["message"]?.objectValue), try Harness.sign(document, with: (signer ?? admin).key))
    }

    /// Submits a signed revocation as the service's route does: the message's nonce and expiry, the session's operator.
    @discardableResult
    func submit(_ signed: (message: JSONObject, signature: [UInt8]), name: String, reason: String = "device lost",
                as session: TestOperator) throws -> OperatorRevocationOutcome {
        try harness.service.revokeOperator(
            name: name, reason: reason, nonce: try #require(Hex.decode(signed.message["nonce"]?.stringValue ?? "")),
            expiresAtSeconds: try #require(signed.message["expiresAt"]?.numberValue?.int64Value),
            signature: signed.signature, sessionOperatorID: session.id)
    }

    @Test func aRevocationBetweenTwoApprovalsLeavesTheOrderNeedingAnotherApprover() throws {
        #expect(try harness.transfer("o1", amount: "-2000").order.status == .pendingApproval)
        try harness.approve("o1", by: ann)
        harness.clock.advance(by: .seconds(60))
        let outcome = try harness.service.revokeOperator(name: "ann", reason: "phished", actor: "cli:root")
        #expect(outcome.withdrawnOrderIDs == ["o1"])
        #expect(outcome.reason == "phished")

        var (order, records) = try harness.service.order(id: "o1")
        #expect(order.status == .pendingApproval)
        var tally = try harness.service.approvalTally(for: order, records: records)
        #expect(tally.approvalsCounted == 0)
        #expect(tally.approvalsRequired == 2)
        #expect(tally.entries.map(\.operatorName) == ["ann"])
        #expect(tally.entries.map(\.counts) == [false])
        #expect(tally.entries.map(\.operatorStatus) == [.revoked])

        // ben's approval would have completed it; with ann's withdrawn it is the first that counts.
        #expect(try harness.approve("o1", by: ben).status == .pendingApproval)
        #expect(try harness.walletBalance("alice") == (1_000_000, 200_000))
        harness.clock.advance(by: .seconds(60))
        #expect(try harness.approve("o1", by: cat).status == .completed)
        #expect(try harness.walletBalance("alice") == (800_000, 0))

        (order, records) = try harness.service.order(id: "o1")
        tally = try harness.service.approvalTally(for: order, records: records)
        #expect(tally.approvalsCounted == 2)
        #expect(tally.entries.map(\.operatorName) == ["ann", "ben", "cat"])
        #expect(tally.entries.map(\.counts) == [false, true, true])

        let events = try harness.auditEvents()
        let revoked = try #require(events.first { $0.kind == "operator.revoked" })
        #expect(revoked.actor == "cli:root")
        #expect(revoked.payload["name"] == "ann")
        #expect(revoked.payload["reason"] == "phished")
        #expect(revoked.payload["withdrawn_orders"] == ["o1"])
        #expect(revoked.payload["sessions_ended"] == [])
        let withdrawn = try #require(events.first { $0.kind == "approval.withdrawn" })
        #expect(withdrawn.sequence == revoked.sequence + 1)
        #expect(withdrawn.payload["order_id"] == "o1")
        #expect(withdrawn.payload["operator_name"] == "ann")
        #expect(withdrawn.payload["approvals"] == 0)
        #expect(withdrawn.payload["approvals_required"] == 2)
        #expect(try harness.service.verifyAuditChain().ok)
    }

    @Test func anApprovalOnADecidedOrderKeepsCountingAfterItsOperatorIsRevoked() throws {
        try harness.transfer("o1", amount: "-2000")
        try harness.approve("o1", by: ann)
        #expect(try harness.approve("o1", by: ben).status == .completed)
        harness.clock.advance(by: .seconds(1))
        let outcome = try harness.service.revokeOperator(name: "ann", reason: "left the desk", actor: "cli:root")
        #expect(outcome.withdrawnOrderIDs.isEmpty)
        let (order, records) = try harness.service.order(id: "o1")
        let tally = try harness.service.approvalTally(for: order, records: records)
        #expect(tally.entries.map(\.counts) == [true, true])
        #expect(tally.entries.map(\.operatorStatus) == [.revoked, .active])
        #expect(tally.approvalsCounted == 2)
    }

    @Test func revokingEndsEverySessionAtOnceAndTheOldTokenGetsMinus21() throws {
        let first = try signIn(ann)
        let second = try signIn(ann)
        let loggedOut = try signIn(ann)
        try harness.service.revokeSession(token: loggedOut)
        let bens = try signIn(ben)
        harness.clock.advance(by: .seconds(5))

        let outcome = try harness.service.revokeOperator(name: "ann", reason: "phished", actor: "cli:root")
        let hashes = [first, second].map { Hash.sha256(Hex.decode($0) ?? []) }
        #expect(Set(outcome.endedSessions.map(Hex.encode)) == Set(hashes.map(Hex.encode)))
        let event = try #require(try harness.auditEvents().last)
        #expect(event.kind == "operator.revoked")
        #expect(Set(event.payload["sessions_ended"]?.arrayValue?.compactMap(\.stringValue) ?? []) == Set(hashes.map(Hex.encode)))

        for token in [first, second] {
            let refused = approvalError { _ = try harness.service.authenticate(token: token, clientIP: "10.0.0.1") }
            #expect(refused?.code == .notSignedIn)
            #expect(refused?.code.rawValue == -21)
            #expect(refused?.httpStatus == 401)
            #expect(refused?.message.contains("revoked") == true)
        }
        // Signing in again is refused too (-21), and other operators' sessions are untouched.
        let again = approvalError { _ = try harness.service.loginChallenge(address: ann.record.address.checksummed) }
        #expect(again == .operatorRevoked(name: "ann"))
        #expect(again?.code.rawValue == -21)
        #expect(try harness.service.authenticate(token: bens, clientIP: "10.0.0.1").name == "ben")
    }

    @Test func anAdminRevokesWithADeviceSignedOperatorRevocation() throws {
        try harness.transfer("o1", amount: "-2000")
        try harness.approve("o1", by: ann)
        let annToken = try signIn(ann)
        let signed = try signedRevocation(of: "ann", requestedBy: root)
        #expect(signed.message == [
            "operator": .string(ann.record.address.checksummed), "name": "ann", "reason": "device lost",
            "nonce": signed.message["nonce"] ?? .null,
            "expiresAt": .number(JSONNumber(harness.clock.now().secondsSinceEpoch + 300)),
        ])
        #expect(Hex.decode(signed.message["nonce"]?.stringValue ?? "")?.count == 32)

        harness.clock.advance(by: .seconds(299))
        let outcome = try submit(signed, name: "ann", as: root)
        #expect(outcome.revokedOperator.status == .revoked)
        #expect(outcome.withdrawnOrderIDs == ["o1"])
        #expect(outcome.endedSessions == [Hash.sha256(Hex.decode(annToken) ?? [])])
        let event = try #require(try harness.auditEvents().first { $0.kind == "operator.revoked" })
        #expect(event.actor == "operator:\(root.id)")
        #expect(event.payload["signed_by"] == "root")
        #expect(event.payload["reason"] == "device lost")
        #expect(event.payload["signature"] == .string(Hex.encodePrefixed(signed.signature)))
        #expect(event.payload["nonce"] == signed.message["nonce"])
        #expect(approvalError { _ = try harness.service.authenticate(token: annToken, clientIP: "10.0.0.1") }?.code == .notSignedIn)
    }

    @Test func aNonAdminGetsMinus22() throws {
        let asApprover = approvalError { _ = try harness.service.revocationDocument(name: "ann", reason: "x", adminID: ben.id) }
        #expect(asApprover?.code == .notPermitted)
        #expect(asApprover?.code.rawValue == -22)
        #expect(asApprover?.httpStatus == 403)
        // A document an admin fetched, signed by an approver and submitted in the approver's session: still -22.
        let document = try harness.service.revocationDocument(name: "ann", reason: "device lost", adminID: root.id)
        let message = try #require(document["message"]?.objectValue)
        let byBen = (message: message, signature: try Harness.sign(document, with: ben.key))
        let refused = approvalError { try submit(byBen, name: "ann", as: ben) }
        #expect(refused?.code.rawValue == -22)
        #expect(try harness.service.operators().first { $0.name == "ann" }?.status == .active)
    }

    @Test func revokingTwiceIsMinus23() throws {
        let signed = try signedRevocation(of: "ann", requestedBy: root)
        try harness.service.revokeOperator(name: "ann", reason: "phished", actor: "cli:root")
        let events = try harness.auditEvents().count
        for attempt in [
            approvalError { try harness.service.revokeOperator(name: "ann", reason: "again", actor: "cli:root") },
            approvalError { try submit(signed, name: "ann", as: root) },
            approvalError { _ = try harness.service.revocationDocument(name: "ann", reason: "again", adminID: root.id) },
        ] {
            #expect(attempt?.code == .conflict)
            #expect(attempt?.code.rawValue == -23)
            #expect(attempt?.httpStatus == 409)
        }
        #expect(try harness.auditEvents().count == events)
    }

    @Test func anExpiredRevocationDocumentIsMinus24() throws {
        let signed = try signedRevocation(of: "ann", requestedBy: root)
        harness.clock.advance(by: .seconds(300))
        let late = approvalError { try submit(signed, name: "ann", as: root) }
        #expect(late?.code == .expired)
        #expect(late?.code.rawValue == -24)
        #expect(late?.message.contains("OperatorRevocation of ann") == true)
        #expect(try harness.service.operators().first { $0.name == "ann" }?.status == .active)
    }

    @Test func theSignatureMustCoverTheStoredOperatorAndTheSubmittedFields() throws {
        let signed = try signedRevocation(of: "ann", reason: "device lost", requestedBy: root)
        // Submitted with another reason, for another operator, or signed by another admin's key: not root's signature.
        #expect(approvalError { try submit(signed, name: "ann", reason: "other", as: root) }?.type == "signature_invalid")
        #expect(approvalError { try submit(signed, name: "ben", as: root) }?.type == "signature_invalid")
        let stranger = (message: signed.message, signature: try Harness.sign(
            try harness.service.revocationDocument(name: "ann", reason: "device lost", adminID: root.id), with: cat.key))
        #expect(approvalError { try submit(stranger, name: "ann", as: root) }?.type == "signature_invalid")
        // An expiry further ahead than a fresh document's is refused before any signature check.
        var extended = signed.message
        extended["expiresAt"] = .number(JSONNumber(harness.clock.now().secondsSinceEpoch + 3600))
        #expect(approvalError { try submit((extended, signed.signature), name: "ann", as: root) }?.type == "invalid_request")
        #expect(try harness.service.operators().allSatisfy { $0.status == .active })
        #expect(try submit(signed, name: "ann", as: root).revokedOperator.name == "ann")
    }

    @Test func anUnknownNameIs404AndAReasonIsRequired() throws {
        let unknown = approvalError { try harness.service.revokeOperator(name: "zed", reason: "x", actor: "cli:root") }
        #expect(unknown == .notFound("operator zed"))
        #expect(unknown?.httpStatus == 404)
        #expect(approvalError { _ = try harness.service.revocationDocument(name: "zed", reason: "x", adminID: root.id) }
            == .notFound("operator zed"))
        #expect(approvalError { try harness.service.revokeOperator(name: "ann", reason: "", actor: "cli:root") }?.type
            == "invalid_request")
        #expect(approvalError {
            try harness.service.revokeOperator(name: "ann", reason: String(repeating: "x", count: 501), actor: "cli:root")
        }?.type == "invalid_request")
    }
}
