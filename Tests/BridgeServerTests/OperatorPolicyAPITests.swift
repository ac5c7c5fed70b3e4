import BridgeApprovals
import BridgeCore
import BridgeCrypto
import BridgeServer
import BridgeStore
import Foundation
import Synchronization
import Testing

/// Policy requests of an operator desk (OperatorAPITests.swift), a private key standing in for the device.
extension OperatorDesk {
    func proposePolicy(_ policy: JSONValue, token: String?) -> HTTPResponse {
        post("/operator/policy/proposals", ["policy": policy], token: token)
    }

    func policyVersion(_ version: String, token: String?) -> HTTPResponse {
        get("/operator/policy/{version}", token: token, parameters: ["version": version])
    }

    /// Signs `document` (a `PolicyChange` as served) and posts the signature to `/operator/policy/{version}/approve`.
    func approvePolicy(_ version: String, document: JSONValue, token: String?) throws -> HTTPResponse {
        post("/operator/policy/{version}/approve", ["signature": .string(try Self.sign(document, with: key))], token: token,
             parameters: ["version": version])
    }
}

/// The operator API's policy routes (CONTRACT 5): through the handlers, then through the running service over HTTP
/// on SQLite, restart included.
@Suite("Operator API: policy governance")
struct OperatorPolicyAPITests {
    /// Above 100 USD: one admin; everything else allowed.
    static let stricter: JSONValue = [
        "default": "deny",
        "rules": [
            ["name": "medium", "when": ["amountAbove": ["USD": "100"]],
             "then": ["require": ["approvals": 1, "roles": ["admin"]]]],
            ["name": "rest", "then": "allow"],
        ],
    ]
    static let stricterHash = Hex.encodePrefixed(Keccak256.hash(Array(stricter.serialized(.canonical).utf8)))

    @Test func adminsProposeAndApproveAndTheNextTransferIsDecidedByTheNewVersion() throws {
        let fixture = try APIFixture()
        let alice = try OperatorDesk(fixture, name: "alice", keyNumber: 11)
        let bob = try OperatorDesk(fixture, name: "bob", keyNumber: 12)
        let carol = try OperatorDesk(fixture, name: "carol", keyNumber: 13)
        #expect(try alice.enroll(role: .admin).status == 200)
        #expect(try bob.enroll(role: .admin).status == 200)
        #expect(try carol.enroll(role: .approver).status == 200)
        let (aliceToken, bobToken, carolToken) = (try alice.signIn(), try bob.signIn(), try carol.signIn())

        // Before the service stored a version there is none to show.
        #expect(alice.get("/operator/policy", token: aliceToken).status == 404)
        let configured = try #require(fixture.service.policy as? PolicySet)
        try fixture.service.seedPolicy(configured)
        let seededAt = fixture.clock.now().rfc3339
        let seeded = alice.get("/operator/policy", token: aliceToken)
        #expect(seeded.status == 200)
        let firstHash = Hex.encodePrefixed(Keccak256.hash(Array(configured.json.serialized(.canonical).utf8)))
        #expect(seeded.responseText == #"{"version":1,"hash":"\#(firstHash)","policy":\#(configured.json.serialized(.canonical)),"#
            + #""approved_by":[],"effective_at":"\#(seededAt)","note":"seeded from the configuration"}"#)
        #expect(fixture.transfer("before", amount: "500").status == 200)

        // An approver may not propose: -22, 403.
        let byApprover = carol.proposePolicy(Self.stricter, token: carolToken)
        #expect(byApprover.status == 403)
        #expect(operatorErrorCode(byApprover) == -22)
        let invalid = alice.proposePolicy(["rules": [["name": "x", "then": "maybe"]]], token: aliceToken)
        #expect(invalid.status == 400)
        #expect(invalid.responseJSON["error"]?.stringValue?.contains("rules[0]") == true)
        #expect(alice.post("/operator/policy/proposals", ["rules": []], token: aliceToken).status == 400)

        fixture.clock.advance(by: .seconds(10))
        let proposal = alice.proposePolicy(Self.stricter, token: aliceToken)
        #expect(proposal.status == 200)
        #expect(proposal.responseJSON.objectValue?.keys.sorted() == ["document", "hash", "version"])
        #expect(proposal.responseJSON["version"] == 2)
        #expect(proposal.responseJSON["hash"] == .string(Self.stricterHash))
        let document = try #require(proposal.responseJSON["document"])
        #expect(document["primaryType"] == "PolicyChange")
        #expect(document["message"]?["policyHash"] == .string(Self.stricterHash))
        let expiresAt = (fixture.clock.now() + .seconds(24 * 3600))
        #expect(document["message"]?["expiresAt"] == .number(JSONNumber(expiresAt.secondsSinceEpoch)))

        let first = try alice.approvePolicy("2", document: document, token: aliceToken)
        #expect(first.status == 200)
        #expect(first.responseText == #"{"version":2,"hash":"\#(Self.stricterHash)","approvals":1,"approvals_required":2,"#
            + #""expires_at":"\#(expiresAt.rfc3339)","status":"proposed"}"#)
        let again = try alice.approvePolicy("2", document: document, token: aliceToken)
        #expect(again.status == 409)
        #expect(operatorErrorCode(again) == -23)
        let byCarol = try carol.approvePolicy("2", document: document, token: carolToken)
        #expect(byCarol.status == 403)
        #expect(operatorErrorCode(byCarol) == -22)
        // Alice's session with bob's signature: it does not recover to the session's operator.
        let foreign = alice.post("/operator/policy/{version}/approve",
                                 ["signature": .string(try OperatorDesk.sign(document, with: bob.key))], token: aliceToken,
                                 parameters: ["version": "2"])
        #expect(foreign.status == 401)

        let shown = bob.policyVersion("2", token: bobToken)
        #expect(shown.status == 200)
        #expect(shown.responseJSON["status"] == "proposed")
        #expect(shown.responseJSON["approved_by"] == ["alice"])
        #expect(shown.responseJSON["proposed_by"] == "alice")
        #expect(shown.responseJSON["document"] == document)
        #expect(shown.responseJSON["policy"]?.serialized(.canonical) == Self.stricter.serialized(.canonical))
        #expect(shown.responseJSON["effective_at"] == .null)

        fixture.clock.advance(by: .seconds(60))
        let second = try bob.approvePolicy("2", document: shown.responseJSON["document"] ?? .null, token: bobToken)
        #expect(second.status == 200)
        #expect(second.responseJSON["status"] == "effective")
        #expect(second.responseJSON["approvals"] == 2)

        let current = carol.get("/operator/policy", token: carolToken)
        #expect(current.responseText == #"{"version":2,"hash":"\#(Self.stricterHash)","policy":\#(Self.stricter.serialized(.canonical)),"#
            + #""approved_by":["alice","bob"],"effective_at":"\#(fixture.clock.now().rfc3339)"}"#)
        #expect(bob.policyVersion("1", token: bobToken).responseJSON["status"] == "superseded")

        // The next transfer: 500 USD now needs an admin under version 2, and says so in its status.
        #expect(fixture.transfer("after", amount: "500").status == 202)
        let order = fixture.crm("GET", "/wallets/order", query: ["order_id": "after"])
        #expect(order.responseJSON["policy_version"] == 2)
        #expect(fixture.crm("GET", "/wallets/order", query: ["order_id": "before"]).responseJSON["policy_version"] == 1)
        let pending = alice.get("/operator/transfers", token: aliceToken, query: ["status": "pending"])
        #expect(pending.responseJSON["transfers"]?.arrayValue?.first?["policy_version"] == 2)
        #expect(pending.responseJSON["transfers"]?.arrayValue?.first?["policy"] == "medium")

        // Closed, unknown and malformed versions.
        #expect(operatorErrorCode(try bob.approvePolicy("2", document: document, token: bobToken)) == -23)
        let unknown = bob.policyVersion("9", token: bobToken)
        #expect(unknown.status == 404)
        #expect(operatorErrorCode(unknown) == -10)
        #expect(try bob.approvePolicy("9", document: document, token: bobToken).status == 404)
        #expect(bob.policyVersion("two", token: bobToken).status == 400)
        #expect(bob.policyVersion("0", token: bobToken).status == 400)
        for response in [alice.get("/operator/policy", token: nil), alice.proposePolicy(Self.stricter, token: "abc"),
                         alice.policyVersion("2", token: nil)] {
            #expect(response.status == 401)
            #expect(operatorErrorCode(response) == -21)
        }
    }

    @Test func aProposalPastItsExpiryIsMinus24() throws {
        let fixture = try APIFixture()
        let alice = try OperatorDesk(fixture, name: "alice", keyNumber: 11)
        let bob = try OperatorDesk(fixture, name: "bob", keyNumber: 12)
        try alice.enroll(role: .admin)
        try bob.enroll(role: .admin)
        let (aliceToken, bobToken) = (try alice.signIn(), try bob.signIn())
        let proposal = alice.proposePolicy(Self.stricter, token: aliceToken)
        #expect(proposal.responseJSON["version"] == 2)
        fixture.clock.advance(by: .seconds(24 * 3600))
        #expect(bob.policyVersion("2", token: bobToken).status == 401)  // the first session went idle meanwhile
        let bobsNewToken = try bob.signIn()
        let late = try bob.approvePolicy("2", document: proposal.responseJSON["document"] ?? .null, token: bobsNewToken)
        #expect(late.status == 400)
        #expect(operatorErrorCode(late) == -24)
        #expect(bob.policyVersion("2", token: bobsNewToken).responseJSON["status"] == "expired")
    }

    /// Log lines collected from the service's logger.
    final class Lines: Sendable {
        private let lines = Mutex<[String]>([])
        var sink: LogSink { LogSink { line in self.lines.withLock { $0.append(line) } } }
        var all: [String] { lines.withLock { $0 } }
    }

    @Test func theRunningServiceSeedsVersionOneAndKeepsTheDatabasesVersionAcrossARestart() async throws {
        let database = try WebhookTestDatabase()
        defer { database.remove() }
        let clock = ManualClock(Timestamp(secondsSinceEpoch: 1_795_000_000))
        var configuration = try ServiceConfiguration.demo()
        configuration.listen = ListenAddress(host: "127.0.0.1", port: 0)
        configuration.databasePath = database.path
        let apiKey = "policy_test_key_0123456789"
        func runtime(_ configuration: ServiceConfiguration, lines: Lines) throws -> (ServiceRuntime, SQLiteApprovalStore) {
            let store = try database.open(clock: clock)
            let runtime = try ServiceRuntime(configuration: configuration, apiKey: apiKey, store: store, clock: clock,
                                             logger: Logger(minimumLevel: .info, sink: lines.sink, clock: clock),
                                             accessLog: nil, expirySweepInterval: nil)
            return (runtime, store)
        }

        let firstLines = Lines()
        let (first, firstStore) = try runtime(configuration, lines: firstLines)
        let service = first.service
        #expect(try service.effectivePolicy().version.note == "seeded from the configuration")
        #expect(firstLines.all.allSatisfy { !$0.contains("differ") })
        // Two admins sign in (keys standing in for devices), then propose and approve over HTTP.
        var tokens: [String] = []
        var keys: [PrivateKey] = []
        for (index, name) in ["ada", "ben"].enumerated() {
            let key = try PrivateKey([UInt8](repeating: 0, count: 31) + [UInt8(41 + index)])
            let address = EthereumAddress(publicKey: key.publicKey).checksummed
            let invite = try service.createInvite(role: .admin, actor: "test")
            let enrolment = try service.enrollmentDocument(name: name, invite: invite, address: address, path: "m/44'/60'/0'/0/0")
            try service.enroll(name: name, invite: invite, address: address, path: "m/44'/60'/0'/0/0",
                               signature: Hex.decode(try OperatorDesk.sign(enrolment, with: key)) ?? [])
            let challenge = try service.loginChallenge(address: address)
            let session = try service.createSession(nonce: challenge.nonce,
                                                    signature: Hex.decode(try OperatorDesk.sign(challenge.document, with: key)) ?? [],
                                                    clientIP: "127.0.0.1")
            tokens.append(session.token)
            keys.append(key)
        }
        let base = "http://127.0.0.1:\(try first.start())"
        func call(_ method: String, _ path: String, _ body: JSONValue? = nil, token: String) async throws -> ClientResponse {
            try await send(method, base + path, body: body?.serialized(),
                           headers: ["Authorization": "Bearer \(token)", "Content-Type": "application/json"])
        }
        let shown = try await call("GET", "/operator/policy", token: tokens[0])
        #expect(shown.status == 200)
        #expect(try JSONValue(parsing: shown.body)["version"] == 1)
        let proposal = try await call("POST", "/operator/policy/proposals", ["policy": Self.stricter], token: tokens[0])
        #expect(proposal.status == 200, "\(proposal.body)")
        let document = try #require(try JSONValue(parsing: proposal.body)["document"])
        for (token, key) in zip(tokens, keys) {
            let approved = try await call("POST", "/operator/policy/2/approve",
                                          ["signature": .string(try OperatorDesk.sign(document, with: key))], token: token)
            #expect(approved.status == 200, "\(approved.body)")
        }
        let version = try await call("GET", "/operator/policy/2", token: tokens[1])
        #expect(try JSONValue(parsing: version.body)["status"] == "effective")
        #expect(try JSONValue(parsing: version.body)["approved_by"] == ["ada", "ben"])
        first.stop(drainTimeout: .seconds(2))
        firstStore.close()

        // Restarted with a configuration whose policies differ from version 1: reported, not applied.
        var edited = configuration
        edited.policies = try PolicySet(json: ["default": "allow", "rules": []], currencies: configuration.currenciesByCode)
        let secondLines = Lines()
        let (second, secondStore) = try runtime(edited, lines: secondLines)
        defer { secondStore.close() }
        let warnings = secondLines.all.filter { $0.contains("\"warning\"") }
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("differ from policy version 1") == true)
        #expect(warnings.first?.contains("Policy version 2 is in force") == true)
        let inForce = try second.service.effectivePolicy()
        #expect(inForce.version.version == 2 && inForce.approvedBy == ["ada", "ben"])
        try second.service.createWallet(externalUserID: "u-1", currency: "USD", initialBalance: 100_000)
        let order = try second.service.submitTransfer(TransferRequest(orderID: "o-1", externalUserID: "u-1", currency: "USD",
                                                                      amount: "500")).order
        #expect(order.policyVersion == 2 && order.status == .pendingApproval)
        let kinds = try ApprovalService.verifyAuditChain(store: secondStore)
        #expect(kinds.ok)
    }
}
