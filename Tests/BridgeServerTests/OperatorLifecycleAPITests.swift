import BridgeApprovals
import BridgeCore
import BridgeCrypto
import BridgeServer
import Testing

@Suite("Operator API: sign-out, operator list, device-signed revocation")
struct OperatorLifecycleAPITests {
    let fixture: APIFixture
    let alice: OperatorDesk
    let bob: OperatorDesk
    let carol: OperatorDesk
    let root: OperatorDesk

    init() throws {
        fixture = try APIFixture()
        alice = try OperatorDesk(fixture, name: "alice", keyNumber: 11)
        bob = try OperatorDesk(fixture, name: "bob", keyNumber: 12)
        carol = try OperatorDesk(fixture, name: "carol", keyNumber: 14)
        root = try OperatorDesk(fixture, name: "root", keyNumber: 13)
        // A second apart, so "enrolment order" does not depend on ties.
        for desk in [alice, bob, carol] {
            #expect(try desk.enroll().status == 200)
            fixture.clock.advance(by: .seconds(1))
        }
        #expect(try root.enroll(role: .admin).status == 200)
    }

    func code(_ response: HTTPResponse) -> Int? {
        operatorErrorCode(response)?.numberValue?.int64Value.map(Int.init)
    }

    /// `POST /operator/operators/{name}/revocation` as `desk`.
    func revocationDocument(_ name: String, reason: String, as desk: OperatorDesk, token: String) -> HTTPResponse {
        desk.post("/operator/operators/{name}/revocation", ["reason": .string(reason)], token: token,
                  parameters: ["name": name])
    }

    /// `POST /operator/operators/{name}/revoke` with the document's nonce and expiry and `signer`'s signature.
    func revoke(_ name: String, reason: String, document: JSONValue, signer: OperatorDesk, as desk: OperatorDesk,
                token: String) throws -> HTTPResponse {
        let message = document["message"]
        return desk.post("/operator/operators/{name}/revoke", [
            "reason": .string(reason), "nonce": message?["nonce"] ?? .null, "expires_at": message?["expiresAt"] ?? .null,
            "signature": .string(try OperatorDesk.sign(document, with: signer.key)),
        ], token: token, parameters: ["name": name])
    }

    @Test func logoutEndsTheSessionAndTheTokenThenGetsMinus21() throws {
        let token = try alice.signIn()
        let other = try alice.signIn()
        #expect(alice.get("/operator/transfers", token: token).status == 200)
        let out = alice.post("/operator/logout", [:], token: token)
        #expect(out.status == 200)
        #expect(out.responseText == #"{"logged_out":true}"#)
        let after = alice.get("/operator/transfers", token: token)
        #expect(after.status == 401)
        #expect(code(after) == -21)
        let twice = alice.post("/operator/logout", [:], token: token)
        #expect(twice.status == 401)
        #expect(code(twice) == -21)
        #expect(code(alice.post("/operator/logout", [:])) == -21)
        // Only that session ended.
        #expect(alice.get("/operator/transfers", token: other).status == 200)
        #expect(try fixture.service.verifyAuditChain().ok)
    }

    @Test func adminsListTheOperatorsApproversGetMinus22() throws {
        let approver = alice.get("/operator/operators", token: try alice.signIn())
        #expect(approver.status == 403)
        #expect(code(approver) == -22)
        let list = root.get("/operator/operators", token: try root.signIn())
        #expect(list.status == 200)
        let entries = [alice, bob, carol, root].enumerated().map { index, desk in
            let enrolledAt = (fixture.clock.now() - .seconds(3 - index)).rfc3339
            return #"{"name":"\#(desk.name)","address":"\#(desk.address)","#
                + #""role":"\#(desk.name == "root" ? "admin" : "approver")","status":"active","enrolled_at":"\#(enrolledAt)"}"#
        }
        #expect(list.responseText == #"{"operators":["# + entries.joined(separator: ",") + "]}")
    }

    @Test func anAdminRevokesWithTheDeviceAndThePendingApprovalStopsCounting() throws {
        #expect(fixture.transfer("big", user: "user_789", amount: "-3000").status == 202)
        let aliceToken = try alice.signIn()
        #expect(alice.approve("big", token: aliceToken, signature: try alice.decisionSignature("big", token: aliceToken))
            .status == 200)
        fixture.clock.advance(by: .seconds(30))

        let rootToken = try root.signIn()
        let document = revocationDocument("alice", reason: "phished laptop", as: root, token: rootToken)
        #expect(document.status == 200)
        #expect(document.responseJSON["primaryType"] == "OperatorRevocation")
        let message = try #require(document.responseJSON["message"]?.objectValue)
        #expect(message["operator"]?.stringValue == alice.address)
        #expect(message["name"] == "alice")
        #expect(message["reason"] == "phished laptop")
        #expect(message["expiresAt"] == .number(JSONNumber(fixture.clock.now().secondsSinceEpoch + 300)))
        #expect(Hex.decode(message["nonce"]?.stringValue ?? "")?.count == 32)

        let revoked = try revoke("alice", reason: "phished laptop", document: document.responseJSON, signer: root, as: root,
                                 token: rootToken)
        #expect(revoked.status == 200)
        #expect(revoked.responseText == #"{"name":"alice","status":"revoked"}"#)

        // Alice's old token: -21. The order still needs two approvals that count.
        let refused = alice.get("/operator/transfers", token: aliceToken)
        #expect(refused.status == 401)
        #expect(code(refused) == -21)
        let approvedAt = (fixture.clock.now() - .seconds(30)).rfc3339
        let status = fixture.crm("GET", "/wallets/order", query: ["order_id": "big"])
        #expect(status.responseText == #"{"order_id":"big","status":"pending_approval","amount":-3000.00,"currency":"USD","#
            + #""external_user_id":"user_789","approvals":[{"operator":"alice","decision":"approve","at":"\#(approvedAt)","#
            + #""counts":false,"operator_status":"revoked"}],"approvals_counted":0,"approvals_required":2,"policy_version":null}"#)
        let pending = root.get("/operator/transfers", token: rootToken).responseJSON["transfers"]?.arrayValue?.first
        #expect(pending?["approvals_counted"] == 0)
        #expect(pending?["approvals"]?.arrayValue?.first?["counts"] == false)

        let bobToken = try bob.signIn()
        let second = bob.approve("big", token: bobToken, signature: try bob.decisionSignature("big", token: bobToken))
        #expect(second.responseJSON["status"] == "pending_approval")
        #expect(second.responseJSON["approvals_counted"] == 1)
        let carolToken = try carol.signIn()
        let third = carol.approve("big", token: carolToken, signature: try carol.decisionSignature("big", token: carolToken))
        #expect(third.responseJSON["status"] == "completed")
        #expect(third.responseJSON["approvals_counted"] == 2)
        #expect(try fixture.balance("user_789") == 200_000)

        let listed = root.get("/operator/operators", token: rootToken).responseJSON["operators"]?.arrayValue
        #expect(listed?.map { $0["status"]?.stringValue } == ["revoked", "active", "active", "active"])
        let event = try #require(try fixture.service.operators().first { $0.name == "alice" })
        #expect(event.status == .revoked)
    }

    @Test func refusalsCarryTheContractCodes() throws {
        let rootToken = try root.signIn()
        let bobToken = try bob.signIn()

        // An approver asking for a revocation document, or submitting one: -22 (403).
        let asApprover = revocationDocument("alice", reason: "x", as: bob, token: bobToken)
        #expect(asApprover.status == 403)
        #expect(code(asApprover) == -22)
        let document = revocationDocument("alice", reason: "lost", as: root, token: rootToken).responseJSON
        let byApprover = try revoke("alice", reason: "lost", document: document, signer: bob, as: bob, token: bobToken)
        #expect(byApprover.status == 403)
        #expect(code(byApprover) == -22)

        // Signed by another key than the session's: refused as a bad signature.
        let foreign = try revoke("alice", reason: "lost", document: document, signer: bob, as: root, token: rootToken)
        #expect(foreign.status == 401)

        // Past its expiry: -24.
        fixture.clock.advance(by: .seconds(300))
        let late = try revoke("alice", reason: "lost", document: document, signer: root, as: root, token: rootToken)
        #expect(late.status == 400)
        #expect(code(late) == -24)

        // Unknown name: 404. Missing fields: 400.
        #expect(revocationDocument("zed", reason: "x", as: root, token: rootToken).status == 404)
        #expect(root.post("/operator/operators/{name}/revoke", ["reason": "x"], token: rootToken,
                          parameters: ["name": "alice"]).status == 400)
        #expect(root.post("/operator/operators/{name}/revocation", [:], token: rootToken,
                          parameters: ["name": "alice"]).status == 400)

        // Revoked once, then again: -23 (409) for the document and for a signed revocation.
        let fresh = revocationDocument("alice", reason: "lost", as: root, token: rootToken).responseJSON
        #expect(try revoke("alice", reason: "lost", document: fresh, signer: root, as: root, token: rootToken).status == 200)
        let again = revocationDocument("alice", reason: "lost", as: root, token: rootToken)
        #expect(again.status == 409)
        #expect(code(again) == -23)
        let replayed = try revoke("alice", reason: "lost", document: fresh, signer: root, as: root, token: rootToken)
        #expect(replayed.status == 409)
        #expect(code(replayed) == -23)

        // Without a session, every lifecycle route is -21.
        #expect(code(root.get("/operator/operators", token: nil)) == -21)
        #expect(code(revocationDocument("bob", reason: "x", as: root, token: "")) == -21)
    }
}
