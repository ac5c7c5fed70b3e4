import BridgeApprovals
import BridgeCore
import BridgeCrypto
import BridgeServer
import Testing

/// An operator desk driving the operator API with a private key standing in for the device.
struct OperatorDesk {
    let fixture: APIFixture
    let key: PrivateKey
    let name: String

    var address: String { EthereumAddress(publicKey: key.publicKey).checksummed }

    init(_ fixture: APIFixture, name: String, keyNumber: UInt8) throws {
        self.fixture = fixture
        self.name = name
        key = try PrivateKey([UInt8](repeating: 0, count: 31) + [keyNumber])
    }

    static func sign(_ document: JSONValue, with key: PrivateKey) throws -> String {
        Hex.encodePrefixed(try EthereumSignature.sign(digest: try TypedData(json: document).digest(), with: key).bytes)
    }

    func post(_ pattern: String, _ body: JSONObject, token: String? = nil, parameters: [String: String] = [:],
              path: String? = nil) -> HTTPResponse {
        var headers: [String: String] = [:]
        if let token { headers["Authorization"] = "Bearer \(token)" }
        let request = HTTPRequest(method: "POST", path: path ?? pattern, headers: headers,
                                  body: Array(JSONValue.object(body).serialized().utf8))
        return APIFixture.call(fixture.operators.endpoints, "POST", pattern, request, parameters: parameters)
    }

    func get(_ pattern: String, token: String?, query: [String: String] = [:], parameters: [String: String] = [:])
        -> HTTPResponse {
        var headers: [String: String] = [:]
        if let token { headers["authorization"] = "Bearer \(token)" }
        let request = HTTPRequest(method: "GET", path: pattern, query: query, headers: headers)
        return APIFixture.call(fixture.operators.endpoints, "GET", pattern, request, parameters: parameters)
    }

    /// Enrols through the API: the enrolment document, signed, then `POST /operator/enroll`.
    @discardableResult
    func enroll(role: OperatorRole = .approver) throws -> HTTPResponse {
        let invite = try fixture.service.createInvite(role: role, actor: "admin:test")
        let fields: JSONObject = ["name": .string(name), "invite": .string(invite), "address": .string(address),
                                  "path": "m/44'/60'/0'/0/0"]
        let document = post("/operator/enrollment", fields)
        #expect(document.status == 200)
        var signed = fields
        signed["signature"] = .string(try Self.sign(document.responseJSON, with: key))
        return post("/operator/enroll", signed)
    }

    /// Signs in: challenge, device signature, session. Returns the bearer token.
    func signIn() throws -> String {
        let challenge = post("/operator/challenge", ["address": .string(address)])
        #expect(challenge.status == 200)
        let signature = try Self.sign(challenge.responseJSON["typedData"] ?? .null, with: key)
        let session = post("/operator/session", ["nonce": challenge.responseJSON["nonce"] ?? .null,
                                                 "signature": .string(signature)])
        #expect(session.status == 200)
        return session.responseJSON["token"]?.stringValue ?? ""
    }

    /// The signature of the order's TransferApproval (or TransferRejection) as served by the API.
    func decisionSignature(_ orderID: String, token: String, reject reason: String? = nil) throws -> String {
        let query = reason.map { ["decision": "reject", "reason": $0] } ?? [:]
        let document = get("/operator/transfers/{order_id}/approval", token: token, query: query,
                           parameters: ["order_id": orderID])
        #expect(document.status == 200)
        return try Self.sign(document.responseJSON, with: key)
    }

    func approve(_ orderID: String, token: String, signature: String) -> HTTPResponse {
        post("/operator/transfers/{order_id}/approve", ["signature": .string(signature)], token: token,
             parameters: ["order_id": orderID])
    }

    func reject(_ orderID: String, token: String, signature: String, reason: String) -> HTTPResponse {
        post("/operator/transfers/{order_id}/reject", ["signature": .string(signature), "reason": .string(reason)],
             token: token, parameters: ["order_id": orderID])
    }
}

/// The contract error body's `error`, `code` and `hint` keys, and its code.
func operatorErrorCode(_ response: HTTPResponse) -> JSONValue? {
    guard let object = response.responseJSON.objectValue, object.keys.sorted() == ["code", "error", "hint"] else { return nil }
    return object["code"]
}

@Suite("Operator API handlers")
struct OperatorAPITests {
    @Test func enrolsThroughTheAPIAndRefusesAReusedOrForgedEnrolment() throws {
        let fixture = try APIFixture()
        let alice = try OperatorDesk(fixture, name: "alice", keyNumber: 11)
        let enrolled = try alice.enroll()
        #expect(enrolled.status == 200)
        #expect(enrolled.responseJSON["name"] == "alice")
        #expect(enrolled.responseJSON["role"] == "approver")
        #expect(enrolled.responseJSON["address"]?.stringValue == alice.address)

        // A document signed by another key than the claimed address.
        let invite = try fixture.service.createInvite(role: .approver, actor: "admin:test")
        let mallory = try OperatorDesk(fixture, name: "mallory", keyNumber: 66)
        let fields: JSONObject = ["name": "mallory", "invite": .string(invite), "address": .string(alice.address),
                                  "path": "m/44'/60'/0'/0/0"]
        var forged = fields
        forged["signature"] = .string(try OperatorDesk.sign(mallory.post("/operator/enrollment", fields).responseJSON,
                                                            with: mallory.key))
        let refused = mallory.post("/operator/enroll", forged)
        #expect(refused.status == 401)
        #expect(operatorErrorCode(refused) == .number(JSONNumber(ErrorCode.badArgument.rawValue)))
        #expect(try fixture.service.operators().map(\.name) == ["alice"])

        let missing = mallory.post("/operator/enroll", ["name": "mallory"])
        #expect(missing.status == 400)
        #expect(operatorErrorCode(missing) != nil)
    }

    @Test func signsInWithADeviceSignedChallengeOnly() throws {
        let fixture = try APIFixture()
        let alice = try OperatorDesk(fixture, name: "alice", keyNumber: 11)
        try alice.enroll()
        let token = try alice.signIn()
        #expect(token.count == 64)
        #expect(alice.get("/operator/transfers", token: token).status == 200)

        // A challenge signed by a stranger's key, then the same challenge redeemed twice.
        let challenge = alice.post("/operator/challenge", ["address": .string(alice.address)])
        let stranger = try PrivateKey([UInt8](repeating: 0, count: 31) + [99])
        let forged = alice.post("/operator/session", [
            "nonce": challenge.responseJSON["nonce"] ?? .null,
            "signature": .string(try OperatorDesk.sign(challenge.responseJSON["typedData"] ?? .null, with: stranger)),
        ])
        #expect(forged.status == 401)
        let genuine: JSONObject = [
            "nonce": challenge.responseJSON["nonce"] ?? .null,
            "signature": .string(try OperatorDesk.sign(challenge.responseJSON["typedData"] ?? .null, with: alice.key)),
        ]
        let session = alice.post("/operator/session", genuine)
        #expect(session.status == 200)
        #expect(session.responseJSON["operator"]?["name"] == "alice")
        #expect(session.responseJSON["expires_at"] == .string((fixture.clock.now() + .seconds(8 * 3600)).rfc3339))
        #expect(alice.post("/operator/session", genuine).status == 401)

        let unknown = alice.post("/operator/challenge", ["address": .string(EthereumAddress(publicKey: stranger.publicKey).checksummed)])
        #expect(unknown.status == 401)
        #expect(alice.post("/operator/challenge", ["address": "not an address"]).status == 400)
    }

    @Test func everyOperatorRouteButSignInNeedsAValidBearerToken() throws {
        let fixture = try APIFixture()
        let alice = try OperatorDesk(fixture, name: "alice", keyNumber: 11)
        try alice.enroll()
        #expect(fixture.transfer("big", user: "user_789", amount: "2000").status == 202)
        for token in [nil, "", "abc", String(repeating: "0", count: 64)] as [String?] {
            let responses = [
                alice.get("/operator/transfers", token: token),
                alice.get("/operator/transfers/{order_id}/approval", token: token, parameters: ["order_id": "big"]),
                alice.approve("big", token: token ?? "", signature: "0x00"),
                alice.reject("big", token: token ?? "", signature: "0x00", reason: "no"),
            ]
            for response in responses {
                #expect(response.status == 401)
                #expect(operatorErrorCode(response) != nil)
                #expect(response.responseJSON["error"]?.stringValue?.hasPrefix("Invalid session") == true)
            }
        }
        // Idle for longer than the idle timeout: the token stops working.
        let token = try alice.signIn()
        fixture.clock.advance(by: .seconds(31 * 60))
        #expect(alice.get("/operator/transfers", token: token).status == 401)
    }

    @Test func twoOperatorsApproveAHeldTransferAndItCompletes() throws {
        let fixture = try APIFixture()
        let alice = try OperatorDesk(fixture, name: "alice", keyNumber: 11)
        let bob = try OperatorDesk(fixture, name: "bob", keyNumber: 12)
        try alice.enroll()
        try bob.enroll(role: .admin)
        #expect(fixture.transfer("big-credit", user: "user_456", amount: "1500.25").status == 202)
        let aliceToken = try alice.signIn()
        let bobToken = try bob.signIn()

        let pending = alice.get("/operator/transfers", token: aliceToken, query: ["status": "pending"])
        #expect(pending.status == 200)
        let expiresAt = (fixture.clock.now() + .seconds(24 * 3600)).rfc3339
        #expect(pending.responseText == #"{"transfers":[{"order_id":"big-credit","external_user_id":"user_456","#
            + #""currency":"USD","amount":1500.25,"amount_text":"1500.25","direction":"credit","status":"pending_approval","#
            + #""approvals_required":2,"approvals_counted":0,"approvals":[],"expires_at":"\#(expiresAt)","#
            + #""policy":"large-transfers","policy_version":null}]}"#)

        let document = alice.get("/operator/transfers/{order_id}/approval", token: aliceToken,
                                 parameters: ["order_id": "big-credit"])
        #expect(document.responseJSON["primaryType"] == "TransferApproval")
        #expect(document.responseJSON["message"]?["amount"] == "1500.25")

        let first = alice.approve("big-credit", token: aliceToken,
                                  signature: try alice.decisionSignature("big-credit", token: aliceToken))
        #expect(first.status == 200)
        #expect(first.responseJSON["status"] == "pending_approval")
        #expect(first.responseJSON["approvals"]?.arrayValue?.count == 1)
        #expect(try fixture.balance() == 100_050)

        fixture.clock.advance(by: .seconds(60))
        let second = bob.approve("big-credit", token: bobToken,
                                 signature: try bob.decisionSignature("big-credit", token: bobToken))
        #expect(second.status == 200)
        #expect(second.responseJSON["status"] == "completed")
        #expect(try fixture.balance() == 250_075)

        let status = fixture.crm("GET", "/wallets/order", query: ["order_id": "big-credit"])
        let approvedAt = fixture.clock.now().rfc3339
        let firstAt = (fixture.clock.now() - .seconds(60)).rfc3339
        #expect(status.responseText == #"{"order_id":"big-credit","status":"completed","amount":1500.25,"currency":"USD","#
            + #""external_user_id":"user_456","approvals":[{"operator":"alice","decision":"approve","at":"\#(firstAt)","#
            + #""counts":true,"operator_status":"active"},{"operator":"bob","decision":"approve","at":"\#(approvedAt)","#
            + #""counts":true,"operator_status":"active"}],"approvals_counted":2,"approvals_required":2,"policy_version":null}"#)
        #expect(alice.get("/operator/transfers", token: aliceToken).responseText == #"{"transfers":[]}"#)
        // The CRM's retry still gets the original 202; the order endpoint tells it the order completed.
        #expect(fixture.transfer("big-credit", user: "user_456", amount: "1500.25").status == 202)
        #expect(try fixture.balance() == 250_075)
    }

    @Test func replayedForeignAndExpiredApprovalsAreRefused() throws {
        let fixture = try APIFixture()
        let alice = try OperatorDesk(fixture, name: "alice", keyNumber: 11)
        let bob = try OperatorDesk(fixture, name: "bob", keyNumber: 12)
        try alice.enroll()
        try bob.enroll()
        #expect(fixture.transfer("big-debit", user: "user_789", amount: "-3000").status == 202)
        let aliceToken = try alice.signIn()
        let bobToken = try bob.signIn()
        let aliceSignature = try alice.decisionSignature("big-debit", token: aliceToken)

        // Alice's signature presented in Bob's session: it is not Bob's.
        let foreign = bob.approve("big-debit", token: bobToken, signature: aliceSignature)
        #expect(foreign.status == 401)
        #expect(alice.approve("big-debit", token: aliceToken, signature: aliceSignature).status == 200)
        let replayed = alice.approve("big-debit", token: aliceToken, signature: aliceSignature)
        #expect(replayed.status == 409)
        #expect(operatorErrorCode(replayed) != nil)
        #expect(alice.approve("big-debit", token: aliceToken, signature: "0xzz").status == 400)

        // Bob signs, but submits after the 24 h window: refused, and the order expires without moving money.
        let bobSignature = try bob.decisionSignature("big-debit", token: bobToken)
        fixture.clock.advance(by: .seconds(24 * 3600))
        let bobAgain = try bob.signIn()
        let late = bob.approve("big-debit", token: bobAgain, signature: bobSignature)
        #expect(late.status == 400)
        #expect(late.responseJSON["error"]?.stringValue?.contains("has expired") == true)
        try fixture.service.expireDueOrders()
        #expect(fixture.crm("GET", "/wallets/order", query: ["order_id": "big-debit"]).responseJSON["status"] == "expired")
        #expect(try fixture.balance("user_789") == 500_000)
        #expect(try fixture.service.wallet(externalUserID: "user_789", currency: "USD").held == 0)
        let unknown = bob.get("/operator/transfers/{order_id}/approval", token: bobAgain, parameters: ["order_id": "nope"])
        #expect(unknown.status == 404)
    }

    @Test func aSignedRejectionEndsTheOrderAndReleasesTheHold() throws {
        let fixture = try APIFixture()
        let alice = try OperatorDesk(fixture, name: "alice", keyNumber: 11)
        try alice.enroll()
        #expect(fixture.transfer("big-debit", user: "user_789", amount: "-3000").status == 202)
        let token = try alice.signIn()
        let document = alice.get("/operator/transfers/{order_id}/approval", token: token,
                                 query: ["decision": "reject", "reason": "unknown payee"], parameters: ["order_id": "big-debit"])
        #expect(document.responseJSON["primaryType"] == "TransferRejection")
        #expect(document.responseJSON["message"]?["reason"] == "unknown payee")

        // A rejection signed for one reason and submitted with another does not verify.
        let signature = try alice.decisionSignature("big-debit", token: token, reject: "unknown payee")
        #expect(alice.reject("big-debit", token: token, signature: signature, reason: "other").status == 401)
        let rejected = alice.reject("big-debit", token: token, signature: signature, reason: "unknown payee")
        #expect(rejected.status == 200)
        #expect(rejected.responseJSON["status"] == "rejected")
        #expect(rejected.responseJSON["approvals"]?.arrayValue?.first?["reason"] == "unknown payee")
        #expect(try fixture.service.wallet(externalUserID: "user_789", currency: "USD").held == 0)
        let after = alice.get("/operator/transfers/{order_id}/approval", token: token, parameters: ["order_id": "big-debit"])
        #expect(after.status == 409)
        #expect(alice.get("/operator/transfers", token: token, query: ["status": "completed"]).status == 400)
        #expect(alice.get("/operator/transfers/{order_id}/approval", token: token, query: ["decision": "maybe"],
                          parameters: ["order_id": "big-debit"]).status == 400)
    }

    @Test func healthAndMetricsEndpoints() throws {
        let fixture = try APIFixture()
        #expect(fixture.transfer("big", user: "user_789", amount: "2000").status == 202)
        let endpoints = ServiceEndpoints(service: fixture.service, metrics: { "walletbridge_up 1\n" }).endpoints
        let health = APIFixture.call(endpoints, "GET", "/health", HTTPRequest(method: "GET", path: "/health"))
        #expect(health.status == 200)
        #expect(health.responseText == #"{"status":"ok","database":"ok","pending_approvals":1,"time":"2026-11-18T11:06:40Z"}"#)
        let metrics = APIFixture.call(endpoints, "GET", "/metrics", HTTPRequest(method: "GET", path: "/metrics"))
        #expect(metrics.responseText == "walletbridge_up 1\n")
        #expect(metrics.headers.contains { $0.name == "Content-Type" && $0.value.hasPrefix("text/plain; version=0.0.4") })
    }
}
