import BridgeApprovals
import BridgeCore
import BridgeCrypto
import BridgeServer
import BridgeStore
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization
import Testing
@testable import WalletBridgeCLI

/// The operator CLI's real transport (libcurl), with every request it sends kept, so a test can replay one.
final class RecordingOperatorTransport: OperatorHTTPTransport {
    struct Sent: Sendable {
        let method: String
        let url: URL
        let headers: [String: String]
        let body: [UInt8]?
    }

    private let network = CurlOperatorTransport()
    private let sent = Mutex<[Sent]>([])
    private let beforeNextDecision = Mutex<(@Sendable () -> Void)?>(nil)

    /// Runs `action` once, just before the next signed decision (approve or reject) leaves: after the device signed,
    /// before the service sees it; e.g. to let the approval window close in between.
    func beforeNextDecision(_ action: @escaping @Sendable () -> Void) {
        beforeNextDecision.withLock { $0 = action }
    }

    func send(method: String, url: URL, headers: [String: String], body: [UInt8]?) async throws -> OperatorHTTPResponse {
        if method == "POST", url.path.hasSuffix("/approve") || url.path.hasSuffix("/reject") {
            beforeNextDecision.withLock { action in
                action?()
                action = nil
            }
        }
        sent.withLock { $0.append(Sent(method: method, url: url, headers: headers, body: body)) }
        return try await network.send(method: method, url: url, headers: headers, body: body)
    }

    /// The last request whose path ends with `suffix`.
    func last(pathEndingWith suffix: String) -> Sent? {
        sent.withLock { requests in requests.last { $0.url.path.hasSuffix(suffix) } }
    }
}

/// One HTTP answer as received, body byte for byte.
struct WireAnswer: Sendable {
    let status: Int
    let body: [UInt8]

    var json: JSONValue? { try? JSONValue(parsing: body) }
    var text: String { String(decoding: body, as: UTF8.self) }
}

/// The real service for one test: `ServiceRuntime` on 127.0.0.1 (a kernel-chosen port) over SQLite in a temporary
/// directory, the demo configuration with a loopback webhook receiver, two USD wallets, and the CRM's and the
/// operators' clients.
final class EndToEndService: Sendable {
    static let apiKey = "e2e_0123456789abcdef0123456789abcdef"
    static let webhookSecret = "e2e-webhook-secret"
    static let alicePath = "m/44'/60'/0'/0/0"
    static let bobPath = "m/44'/60'/1'/0/0"

    let runtime: ServiceRuntime
    let receiver: LoopbackWebhookReceiver
    let store: SQLiteApprovalStore
    let directory: String
    let databasePath: String
    let baseURL: String
    let clock: any BridgeApprovals.Clock
    let operatorTransport = RecordingOperatorTransport()

    init(clock: any BridgeApprovals.Clock = SystemClock(), webhookFailures: Int = 0) throws {
        self.clock = clock
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("wb-e2e-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        databasePath = directory + "/walletbridge.sqlite"
        receiver = try LoopbackWebhookReceiver(failuresBeforeSuccess: webhookFailures)

        var configuration = try ServiceConfiguration.demo()
        configuration.listen = ListenAddress(host: "127.0.0.1", port: 0)
        configuration.databasePath = databasePath
        configuration.webhooks.urls = [receiver.url]
        configuration.webhooks.secret = Self.webhookSecret
        configuration.webhooks.pollInterval = .milliseconds(50)
        store = try SQLiteApprovalStore(path: databasePath, clock: clock)
        runtime = try ServiceRuntime(configuration: configuration, apiKey: Self.apiKey, store: store, clock: clock,
                                     logger: .disabled, accessLog: nil, webhookTransport: CurlWebhookTransport(),
                                     // The test moves a manual clock and expires orders itself: a real-time sweep
                                     // would race it.
                                     expirySweepInterval: nil)
        baseURL = "http://127.0.0.1:\(try runtime.start())"
        _ = try runtime.service.createWallet(externalUserID: "e2e-alice", currency: "USD", initialBalance: 500_000)
        _ = try runtime.service.createWallet(externalUserID: "e2e-bob", currency: "USD", initialBalance: 25_000)
    }

    func stop() {
        runtime.stop(drainTimeout: .seconds(5))
        receiver.stop()
        store.close()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// A balance in minor units, read from the session manager.
    func balance(_ user: String) throws -> Int128 {
        try runtime.service.wallet(externalUserID: user, currency: "USD").balance
    }

    // MARK: As the CRM

    /// A CRM request: `key` header (the API key unless `key` is given) and, with a body, `signature` over it (the
    /// correct one unless `signature` is given).
    func crm(_ method: String, _ path: String, query: [String: String] = [:], body: String? = nil,
             key: String = EndToEndService.apiKey, signature: String? = nil) async throws -> WireAnswer {
        var headers = ["key": key]
        if let body {
            let object = try #require(try JSONValue(parsing: body).objectValue)
            headers["signature"] = signature ?? CRMRequestSignature.signature(of: object, apiKey: Self.apiKey)
            headers["Content-Type"] = "application/json"
        }
        var components = try #require(URLComponents(string: baseURL + path))
        if !query.isEmpty { components.queryItems = query.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) } }
        return try await Self.send(method, try #require(components.url), headers: headers, body: body.map { Array($0.utf8) })
    }

    /// `PATCH /wallets/balance` for `e2e-alice`'s USD wallet; `amount` is the JSON number literal.
    func transfer(_ orderID: String, amount: String, user: String = "e2e-alice") async throws -> WireAnswer {
        try await crm("PATCH", "/wallets/balance",
                      body: #"{"external_user_id":"\#(user)","currency":"USD","amount":\#(amount),"order_id":"\#(orderID)"}"#)
    }

    func order(_ orderID: String) async throws -> WireAnswer {
        try await crm("GET", "/wallets/order", query: ["order_id": orderID])
    }

    static func send(_ method: String, _ url: URL, headers: [String: String], body: [UInt8]?) async throws -> WireAnswer {
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: 30)
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let body { request.httpBody = Data(body) }
        let session = URLSession(configuration: .ephemeral)
        defer { session.finishTasksAndInvalidate() }
        let (data, response) = try await session.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        return WireAnswer(status: http.statusCode, body: [UInt8](data))
    }

    // MARK: As the operators

    /// `walletbridge operator ARGUMENTS --server URL --transport sim:ledger`, in-process, with the token cache in this
    /// test's directory and the real network.
    func operatorCLI(_ arguments: [String]) async -> CLIRun {
        let stateHome = directory + "/state"
        let environment = OperatorEnvironment(transport: operatorTransport, variables: { ["XDG_STATE_HOME": stateHome] },
                                              clock: clock)
        return await OperatorEnvironment.$current.withValue(environment) {
            await runCLI(["operator"] + arguments + ["--server", baseURL, "--transport", "sim:ledger"])
        }
    }

    /// Enrols alice (first invite) and bob (second invite) with the simulated Ledger at their demo paths.
    func enrollOperators(invites: [String]) async throws {
        for (index, (name, path)) in [("alice", Self.alicePath), ("bob", Self.bobPath)].enumerated() {
            let enrolled = await operatorCLI(["enroll", "--invite", invites[index], "--name", name, "--path", path])
            #expect(enrolled.exitCode == 0, "\(enrolled.stdout) \(enrolled.stderr)")
        }
        #expect(try runtime.service.operators().map(\.name).sorted() == ["alice", "bob"])
    }

    func enrollOperatorsWithServiceInvites() async throws {
        try await enrollOperators(invites: [try runtime.service.createInvite(role: .admin, actor: "test"),
                                            try runtime.service.createInvite(role: .approver, actor: "test")])
    }

    func approve(_ orderID: String, path: String) async -> CLIRun {
        await operatorCLI(["approve", orderID, "--path", path])
    }

    /// Sends the operator CLI's last approval of `orderID` again, same bearer token, same signature.
    func replayLastApproval(of orderID: String) async throws -> WireAnswer {
        let original = try #require(operatorTransport.last(pathEndingWith: "/transfers/\(orderID)/approve"))
        #expect(original.headers["Authorization"]?.hasPrefix("Bearer ") == true)
        return try await Self.send(original.method, original.url, headers: original.headers, body: original.body)
    }
}

@Suite("The service end to end: the real server on loopback, the CRM, the operator CLI, webhooks")
struct ServiceEndToEndTests {
    @Test("the CRM lists, reads and transfers; two operators enrol and approve with simulated Ledgers; the webhook arrives signed")
    func crmOperatorsAndWebhook() async throws {
        let e2e = try EndToEndService()
        defer { e2e.stop() }

        let list = try await e2e.crm("POST", "/wallets", body: #"{"skip":0,"limit":10}"#)
        #expect(list.status == 200, "\(list.text)")
        #expect(list.json?["count"]?.numberValue?.int64Value == 2)
        let users = (list.json?["data"]?.arrayValue ?? []).compactMap { $0["external_user_id"]?.stringValue }
        #expect(users.sorted() == ["e2e-alice", "e2e-bob"])

        let one = try await e2e.crm("GET", "/wallets/getOne", query: ["external_user_id": "e2e-alice", "currency": "USD"])
        #expect(one.status == 200, "\(one.text)")
        #expect(one.json?["amount"]?.numberValue?.text == "5000.00")
        #expect(one.json?["decimals"]?.numberValue?.int64Value == 2)

        let small = try await e2e.transfer("e2e-small-1", amount: "-25.50")
        #expect(small.status == 200, "\(small.text)")
        #expect(small.json?["status"]?.stringValue == "completed")
        #expect(small.json?["wallet"]?["amount"]?.numberValue?.text == "4974.50")

        let large = try await e2e.transfer("e2e-large-1", amount: "-1500")
        #expect(large.status == 202, "\(large.text)")
        #expect(large.json?["status"]?.stringValue == "pending_approval")
        #expect(large.json?["approvals_required"]?.numberValue?.int64Value == 2)
        #expect(try e2e.balance("e2e-alice") == 497_450)

        // Invites from the admin CLI, straight into the running service's database.
        var invites: [String] = []
        for role in ["admin", "approver"] {
            let invite = await runCLI(["admin", "invite", "--role", role, "--db", e2e.databasePath])
            #expect(invite.exitCode == 0, "\(invite.stdout) \(invite.stderr)")
            invites.append(try #require(try invite.json()["invite"]?.stringValue))
        }
        try await e2e.enrollOperators(invites: invites)

        let pending = await e2e.operatorCLI(["pending", "--path", EndToEndService.alicePath])
        #expect(try pending.json()["transfers"]?.arrayValue?.compactMap { $0["order_id"]?.stringValue } == ["e2e-large-1"])

        let first = await e2e.approve("e2e-large-1", path: EndToEndService.alicePath)
        #expect(first.exitCode == 0, "\(first.stdout) \(first.stderr)")
        #expect(try first.json()["status"]?.stringValue == "pending_approval")
        #expect(first.stderr.contains("Confirm on your"), "\(first.stderr)")
        let second = await e2e.approve("e2e-large-1", path: EndToEndService.bobPath)
        #expect(second.exitCode == 0, "\(second.stdout) \(second.stderr)")
        #expect(try second.json()["status"]?.stringValue == "completed")

        let status = try await e2e.order("e2e-large-1")
        #expect(status.status == 200, "\(status.text)")
        #expect(status.json?["status"]?.stringValue == "completed")
        #expect(status.json?["amount"]?.numberValue?.text == "-1500.00")
        #expect(status.json?["approvals"]?.arrayValue?.compactMap { $0["operator"]?.stringValue } == ["alice", "bob"])
        let after = try await e2e.crm("GET", "/wallets/getOne", query: ["external_user_id": "e2e-alice", "currency": "USD"])
        #expect(after.json?["amount"]?.numberValue?.text == "3474.50")
        #expect(try e2e.balance("e2e-alice") == 347_450)

        func isLargeCompleted(_ delivery: LoopbackWebhookReceiver.Delivery) -> Bool {
            delivery.event == "order.completed"
                && (try? JSONValue(parsing: delivery.request.body))?["order_id"]?.stringValue == "e2e-large-1"
        }
        let deliveries = await e2e.receiver.waitUntil { $0.contains(where: isLargeCompleted) }
        let completed = try #require(deliveries.first(where: isLargeCompleted))
        #expect(completed.request.method == "POST")
        let header = try #require(completed.request.header(WebhookSigner.headerName))
        let now = Int64(Date().timeIntervalSince1970)
        #expect(WebhookSigner(secret: EndToEndService.webhookSecret).verify(header: header, body: completed.request.body, now: now))
        #expect(!WebhookSigner(secret: "another secret").verify(header: header, body: completed.request.body, now: now))
        let event = try JSONValue(parsing: completed.request.body)
        #expect(event["event"]?.stringValue == "order.completed")
        #expect(event["status"]?.stringValue == "completed")
        #expect(event["amount"]?.stringValue == "-1500.00")
        #expect(event["external_user_id"]?.stringValue == "e2e-alice")
        // Each webhook row reaches the receiver once: the two small/large completions and the pending notice.
        let settled = await e2e.receiver.waitUntil { $0.count >= 3 }
        #expect(settled.compactMap(\.event).sorted() == ["order.completed", "order.completed", "order.pending_approval"])
    }

    @Test("a bad key or a bad signature gets 401 and changes nothing")
    func badCredentials() async throws {
        let e2e = try EndToEndService()
        defer { e2e.stop() }
        let before = try [e2e.balance("e2e-alice"), e2e.balance("e2e-bob")]
        let body = #"{"external_user_id":"e2e-alice","currency":"USD","amount":-10,"order_id":"e2e-bad-1"}"#
        let otherBody = #"{"external_user_id":"e2e-alice","currency":"USD","amount":-11,"order_id":"e2e-bad-1"}"#
        let otherSignature = CRMRequestSignature.signature(of: try #require(try JSONValue(parsing: otherBody).objectValue),
                                                           apiKey: EndToEndService.apiKey)
        let wrongKeySignature = CRMRequestSignature.signature(of: try #require(try JSONValue(parsing: body).objectValue),
                                                              apiKey: "not-the-key")

        let refusals: [(WireAnswer, String)] = [
            (try await e2e.crm("PATCH", "/wallets/balance", body: body, key: "not-the-key"), "key_invalid"),
            (try await e2e.crm("PATCH", "/wallets/balance", body: body, key: ""), "key_invalid"),
            (try await e2e.crm("PATCH", "/wallets/balance", body: body, signature: otherSignature), "signature_invalid"),
            (try await e2e.crm("PATCH", "/wallets/balance", body: body, signature: wrongKeySignature), "signature_invalid"),
            (try await e2e.crm("PATCH", "/wallets/balance", body: body, signature: otherSignature.lowercased() + "0"),
             "signature_invalid"),
            (try await e2e.crm("POST", "/wallets", body: #"{"skip":0,"limit":10}"#, signature: otherSignature), "signature_invalid"),
            (try await e2e.crm("GET", "/wallets/getOne", query: ["external_user_id": "e2e-alice", "currency": "USD"],
                               key: "not-the-key"), "key_invalid"),
            (try await e2e.crm("GET", "/wallets/order", query: ["order_id": "e2e-bad-1"], key: "not-the-key"), "key_invalid"),
        ]
        for (answer, type) in refusals {
            #expect(answer.status == 401, "\(answer.text)")
            #expect(answer.json == ["error": true, "code": 401, "type": .string(type)], "\(answer.text)")
        }
        #expect(try [e2e.balance("e2e-alice"), e2e.balance("e2e-bob")] == before)
        let unknown = try await e2e.order("e2e-bad-1")
        #expect(unknown.status == 404, "\(unknown.text)")
        #expect(unknown.json?["type"]?.stringValue == "order_not_found")
        _ = try e2e.runtime.webhooks.runOnce()
        #expect(e2e.receiver.deliveries.isEmpty)

        // The same request with the right key and signature goes through: the refusals were about the credentials.
        let accepted = try await e2e.crm("PATCH", "/wallets/balance", body: body)
        #expect(accepted.status == 200, "\(accepted.text)")
        #expect(try e2e.balance("e2e-alice") == before[0] - 1000)
    }

    @Test("the same order_id again gets the original answer byte for byte; another amount under it gets 409")
    func idempotentOrders() async throws {
        let e2e = try EndToEndService()
        defer { e2e.stop() }
        let original = try await e2e.transfer("e2e-idem-1", amount: "-10.25")
        #expect(original.status == 200, "\(original.text)")
        let later = try await e2e.transfer("e2e-idem-2", amount: "-1")
        #expect(later.status == 200, "\(later.text)")

        let again = try await e2e.transfer("e2e-idem-1", amount: "-10.25")
        #expect(again.status == 200)
        #expect(again.body == original.body, "\(again.text) vs \(original.text)")
        // The same content with the fields in another order and the amount written differently is the same order.
        let reordered = try await e2e.crm(
            "PATCH", "/wallets/balance",
            body: #"{"order_id":"e2e-idem-1","amount":-10.250,"currency":"USD","external_user_id":"e2e-alice"}"#)
        #expect(reordered.status == 200, "\(reordered.text)")
        #expect(reordered.body == original.body, "\(reordered.text) vs \(original.text)")

        let conflicting = try await e2e.transfer("e2e-idem-1", amount: "-10.26")
        #expect(conflicting.status == 409, "\(conflicting.text)")
        #expect(conflicting.json == ["error": true, "code": 409, "type": "duplicate_order"], "\(conflicting.text)")
        let otherUser = try await e2e.transfer("e2e-idem-1", amount: "-10.25", user: "e2e-bob")
        #expect(otherUser.status == 409, "\(otherUser.text)")
        #expect(try e2e.balance("e2e-alice") == 500_000 - 1025 - 100)
        #expect(try e2e.balance("e2e-bob") == 25_000)

        // A refusal is kept under its order id (a second transaction, submitted from the first one's completion on
        // the committer thread): the retry gets the same answer byte for byte and other content is a duplicate.
        let overdraft = try await e2e.transfer("e2e-idem-broke", amount: "-250.01", user: "e2e-bob")
        #expect(overdraft.status == 400, "\(overdraft.text)")
        #expect(overdraft.json?["type"]?.stringValue == "insufficient_funds", "\(overdraft.text)")
        let overdraftAgain = try await e2e.transfer("e2e-idem-broke", amount: "-250.01", user: "e2e-bob")
        #expect(overdraftAgain.body == overdraft.body, "\(overdraftAgain.text) vs \(overdraft.text)")
        #expect(try await e2e.transfer("e2e-idem-broke", amount: "-1", user: "e2e-bob").status == 409)
        #expect(try e2e.balance("e2e-bob") == 25_000)

        let large = try await e2e.transfer("e2e-idem-large", amount: "-1500")
        #expect(large.status == 202, "\(large.text)")
        let largeAgain = try await e2e.transfer("e2e-idem-large", amount: "-1500")
        #expect(largeAgain.status == 202)
        #expect(largeAgain.body == large.body, "\(largeAgain.text) vs \(large.text)")
        #expect(try e2e.runtime.service.pendingOrders().map(\.orderID) == ["e2e-idem-large"])
    }

    @Test("a replayed approval (same signature, valid session) is refused and counts once")
    func replayedApproval() async throws {
        let e2e = try EndToEndService()
        defer { e2e.stop() }
        try await e2e.enrollOperatorsWithServiceInvites()
        #expect(try await e2e.transfer("e2e-replay-1", amount: "-1500").status == 202)

        let first = await e2e.approve("e2e-replay-1", path: EndToEndService.alicePath)
        #expect(try first.json()["status"]?.stringValue == "pending_approval", "\(first.stdout) \(first.stderr)")
        let replayedWhilePending = try await e2e.replayLastApproval(of: "e2e-replay-1")
        #expect(replayedWhilePending.status == 409, "\(replayedWhilePending.text)")
        #expect(replayedWhilePending.json?["error"]?.stringValue?.contains("already used") == true, "\(replayedWhilePending.text)")
        let stillPending = try await e2e.order("e2e-replay-1")
        #expect(stillPending.json?["status"]?.stringValue == "pending_approval")
        #expect(stillPending.json?["approvals"]?.arrayValue?.count == 1)

        let second = await e2e.approve("e2e-replay-1", path: EndToEndService.bobPath)
        #expect(try second.json()["status"]?.stringValue == "completed", "\(second.stdout) \(second.stderr)")
        let replayedAfterCompletion = try await e2e.replayLastApproval(of: "e2e-replay-1")
        #expect(replayedAfterCompletion.status == 409, "\(replayedAfterCompletion.text)")
        let completed = try await e2e.order("e2e-replay-1")
        #expect(completed.json?["status"]?.stringValue == "completed")
        #expect(completed.json?["approvals"]?.arrayValue?.count == 2)
        #expect(try e2e.balance("e2e-alice") == 350_000)
    }

    @Test("an approval signed in time but arriving after the window closed, or asked for after it, is refused")
    func expiredApproval() async throws {
        let clock = ManualClock()
        let e2e = try EndToEndService(clock: clock)
        defer { e2e.stop() }
        try await e2e.enrollOperatorsWithServiceInvites()
        let large = try await e2e.transfer("e2e-expiry-1", amount: "-1500")
        #expect(large.status == 202, "\(large.text)")
        #expect(large.json?["expires_at"]?.stringValue == (clock.now() + .seconds(24 * 3600)).rfc3339)
        let first = await e2e.approve("e2e-expiry-1", path: EndToEndService.alicePath)
        #expect(try first.json()["status"]?.stringValue == "pending_approval", "\(first.stdout) \(first.stderr)")

        // Bob fetches and signs a minute before the window closes; his approval reaches the service a minute after.
        clock.advance(by: .seconds(24 * 3600 - 60))
        e2e.operatorTransport.beforeNextDecision { clock.advance(by: .seconds(120)) }
        let late = await e2e.approve("e2e-expiry-1", path: EndToEndService.bobPath)
        #expect(late.exitCode != 0, "\(late.stdout) \(late.stderr)")
        #expect(late.errorMessage.contains("has expired"), "\(late.stdout)")
        // The same signed approval again, on bob's still valid session: refused too.
        let replayed = try await e2e.replayLastApproval(of: "e2e-expiry-1")
        #expect(replayed.status != 401 && (400..<500).contains(replayed.status), "\(replayed.status) \(replayed.text)")
        #expect(replayed.json?["error"]?.stringValue?.contains("has expired") == true, "\(replayed.text)")
        // Asking for the approval after the window: refused before anything is signed.
        let afterwards = await e2e.approve("e2e-expiry-1", path: EndToEndService.bobPath)
        #expect(afterwards.exitCode != 0, "\(afterwards.stdout) \(afterwards.stderr)")
        #expect(afterwards.errorMessage.contains("has expired"), "\(afterwards.stdout)")

        _ = try e2e.runtime.service.expireDueOrders()
        let status = try await e2e.order("e2e-expiry-1")
        #expect(status.json?["status"]?.stringValue == "expired", "\(status.text)")
        #expect(status.json?["approvals"]?.arrayValue?.count == 1)
        #expect(try e2e.balance("e2e-alice") == 500_000)
        #expect(try e2e.runtime.service.wallet(externalUserID: "e2e-alice", currency: "USD").held == 0)
    }

    @Test("a receiver that fails four times then succeeds gets the event once, on the 1, 2, 4, 8 s schedule")
    func webhookRetries() async throws {
        let clock = ManualClock()
        let e2e = try EndToEndService(clock: clock, webhookFailures: 4)
        defer { e2e.stop() }
        let small = try await e2e.transfer("e2e-hook-1", amount: "-5")
        #expect(small.status == 200, "\(small.text)")

        // The background loop may take a due row before runOnce does; either way, once runOnce returns every due
        // row has had its attempt, and a row is due only when the manual clock says so.
        try e2e.runtime.webhooks.runOnce()
        #expect(e2e.receiver.deliveries.count == 1)
        for (attempt, delay) in [Duration.seconds(1), .seconds(2), .seconds(4), .seconds(8)].enumerated() {
            clock.advance(by: delay - .milliseconds(1))
            try e2e.runtime.webhooks.runOnce()
            #expect(e2e.receiver.deliveries.count == attempt + 1, "retry \(attempt + 1) came early")
            clock.advance(by: .milliseconds(1))
            try e2e.runtime.webhooks.runOnce()
            #expect(e2e.receiver.deliveries.count == attempt + 2, "retry \(attempt + 1) did not come on time")
        }
        clock.advance(by: .seconds(120))
        try e2e.runtime.webhooks.runOnce()

        let deliveries = e2e.receiver.deliveries
        #expect(deliveries.map(\.status) == [500, 500, 500, 500, 200])
        #expect(Set(deliveries.map { $0.request.header("X-WalletBridge-Delivery") ?? "" }).count == 1)
        #expect(Set(deliveries.map(\.request.body)).count == 1)
        let delivered = try #require(deliveries.last)
        #expect(delivered.event == "order.completed")
        #expect(try JSONValue(parsing: delivered.request.body)["order_id"]?.stringValue == "e2e-hook-1")
        let header = try #require(delivered.request.header(WebhookSigner.headerName))
        #expect(WebhookSigner(secret: EndToEndService.webhookSecret).verify(
            header: header, body: delivered.request.body, now: clock.now().secondsSinceEpoch))
        let metrics = e2e.runtime.webhooks.metrics.snapshot()
        #expect(metrics.deliveries == 1)
        #expect(metrics.failedAttempts == 4)
        #expect(metrics.failedMessages == 0)
    }
}
