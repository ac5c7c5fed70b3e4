import BridgeApprovals
import BridgeCore
import BridgeCrypto
import BridgeStore
import Foundation
import Synchronization
import Testing
@testable import WalletBridgeCLI

/// The operator API answered in-process as the service answers it (CONTRACT 2.2: the same paths, shapes and error
/// bodies), backed by a real `ApprovalService`, so enrolment, sign-in and decisions are verified by the session
/// manager itself: a signature that does not recover to the enrolled device's key is refused there.
final class FakeOperatorServer: OperatorHTTPTransport {
    let service: ApprovalService
    let clock: ManualClock
    /// Every request, as `METHOD /path`, in order.
    private let log = Mutex<[String]>([])
    /// The address each submitted signature recovered to, over the document the service rebuilt (kind, address).
    private let recovered = Mutex<[(kind: String, address: String)]>([])

    init() throws {
        clock = ManualClock()
        let currencies = [try Currency(code: "USD", decimals: 2), try Currency(code: "BTC", decimals: 8)]
        let configuration = try ApprovalConfiguration(currencies: currencies, deploymentID: [UInt8](repeating: 7, count: 32))
        service = ApprovalService(store: InMemoryApprovalStore(), policy: try PolicySet.demo(currencies: configuration.currenciesByCode),
                                  configuration: configuration, clock: clock)
        try service.createWallet(externalUserID: "u-1", currency: "USD", initialBalance: 1_000_000)
    }

    var requests: [String] { log.withLock { $0 } }
    var recoveredSigners: [(kind: String, address: String)] { recovered.withLock { $0 } }
    func count(_ request: String) -> Int { requests.filter { $0 == request }.count }

    func send(method: String, url: URL, headers: [String: String], body: [UInt8]?) async throws -> OperatorHTTPResponse {
        let components = try #require(URLComponents(url: url, resolvingAgainstBaseURL: false))
        let path = components.percentEncodedPath.removingPercentEncoding ?? components.percentEncodedPath
        log.withLock { $0.append("\(method) \(path)") }
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] { query[item.name] = item.value ?? "" }
        let json = try body.map { try JSONValue(parsing: $0) } ?? .null
        do {
            let answer = try route(method: method, path: path, query: query, json: json,
                                   token: headers["Authorization"].map { String($0.dropFirst("Bearer ".count)) })
            return OperatorHTTPResponse(status: 200, body: Array(answer.serialized().utf8))
        } catch let error as ApprovalError {
            return OperatorHTTPResponse(status: error.httpStatus, body: Array(error.jsonObject.serialized().utf8))
        }
    }

    private func route(method: String, path: String, query: [String: String], json: JSONValue, token: String?) throws -> JSONValue {
        func field(_ name: String) throws -> String {
            guard let value = json[name]?.stringValue else { throw ApprovalError.invalidRequest("missing \(name)") }
            return value
        }
        func hex(_ name: String) throws -> [UInt8] {
            guard let bytes = Hex.decode(try field(name)) else { throw ApprovalError.invalidRequest("\(name) is not hex") }
            return bytes
        }
        switch (method, path) {
        case ("POST", "/operator/enrollment"):
            return try service.enrollmentDocument(name: try field("name"), invite: try field("invite"),
                                                  address: try field("address"), path: try field("path"))
        case ("POST", "/operator/enroll"):
            let document = try service.enrollmentDocument(name: try field("name"), invite: try field("invite"),
                                                          address: try field("address"), path: try field("path"))
            try noteSigner("Enrollment", document: document, signature: try hex("signature"))
            let record = try service.enroll(name: try field("name"), invite: try field("invite"), address: try field("address"),
                                            path: try field("path"), signature: try hex("signature"))
            return ["id": .string(record.id), "name": .string(record.name), "role": .string(record.role.rawValue),
                    "address": .string(record.address.checksummed), "path": .string(record.path)]
        case ("POST", "/operator/challenge"):
            let challenge = try service.loginChallenge(address: try field("address"))
            return ["nonce": .string(Hex.encodePrefixed(challenge.nonce)), "typedData": challenge.document]
        case ("POST", "/operator/session"):
            let created = try service.createSession(nonce: try hex("nonce"), signature: try hex("signature"), clientIP: "127.0.0.1")
            return ["token": .string(created.token), "expires_at": .string(created.session.expiresAt.rfc3339),
                    "operator": .string(created.session.operatorID)]
        default:
            break
        }
        let signedIn = try service.authenticate(token: token ?? "", clientIP: "127.0.0.1")
        // /operator/transfers/{order_id}/{verb}; the order id may hold "/" (percent-encoded on the wire).
        let rest = path.hasPrefix("/operator/transfers/") ? String(path.dropFirst("/operator/transfers/".count)) : ""
        let verb = rest.split(separator: "/").last.map(String.init) ?? ""
        let orderID = rest.hasSuffix("/" + verb) ? String(rest.dropLast(verb.count + 1)) : ""
        switch (method, path) {
        case ("GET", "/operator/transfers"):
            guard query["status"] == "pending" else { throw ApprovalError.invalidRequest("status must be pending") }
            return ["transfers": .array(try service.pendingOrders().map { Self.orderJSON($0) })]
        case ("GET", _) where verb == "approval" && !orderID.isEmpty:
            let reject = query["decision"] == "reject"
            return try service.approvalDocument(orderID: orderID, decision: reject ? .reject : .approve,
                                                reason: reject ? query["reason"] ?? "" : nil)
        case ("POST", _) where (verb == "approve" || verb == "reject") && !orderID.isEmpty:
            let decision: ApprovalRecord.Decision = verb == "approve" ? .approve : .reject
            let reason = decision == .reject ? try field("reason") : nil
            if let document = try? service.approvalDocument(orderID: orderID, decision: decision, reason: reason) {
                try noteSigner(verb, document: document, signature: try hex("signature"))
            }
            let order = try service.submitDecision(orderID: orderID, decision: decision, signature: try hex("signature"),
                                                   reason: reason, sessionOperatorID: signedIn.id)
            return Self.orderJSON(order)
        default:
            throw ApprovalError.orderNotFound(orderID: path)
        }
    }

    /// Recovers the signer over the document as the server holds it, independently of the service's own check.
    private func noteSigner(_ kind: String, document: JSONValue, signature: [UInt8]) throws {
        let digest = try TypedData(json: document).digest()
        let signer = try EthereumSignature(bytes: signature).recoverSigner(digest: digest)
        recovered.withLock { $0.append((kind, signer.checksummed)) }
    }

    static func orderJSON(_ order: TransferOrder) -> JSONValue {
        ["order_id": .string(order.orderID), "external_user_id": .string(order.externalUserID),
         "currency": .string(order.currency), "amount": .string(MinorUnits.format(order.amount, decimals: 2)),
         "direction": .string(order.direction.rawValue), "status": .string(order.status.rawValue),
         "approvals_required": .number(JSONNumber(order.approvalsRequired)),
         "expires_at": order.expiresAt.map { .string($0.rfc3339) } ?? .null]
    }
}

@Suite("Operator and admin commands")
struct OperatorCommandTests {
    static let server = "http://127.0.0.1:8080"
    static let alicePath = "m/44'/60'/0'/0/0"
    static let bobPath = "m/44'/60'/1'/0/0"
    /// The Speculos seed's first Ethereum account: what the simulated Ledger signs with at alicePath.
    static let aliceAddress = "0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D"

    /// A fake server and a private state directory for one test.
    struct Desk {
        let server: FakeOperatorServer
        let stateHome: String

        init() throws {
            server = try FakeOperatorServer()
            stateHome = FileManager.default.temporaryDirectory.appendingPathComponent("wb-state-\(UUID().uuidString)").path
        }

        var environment: OperatorEnvironment {
            let home = stateHome
            return OperatorEnvironment(transport: server, variables: { ["XDG_STATE_HOME": home, "HOME": "/nonexistent"] },
                                       clock: server.clock)
        }

        var tokenDirectory: String { stateHome + "/walletbridge" }

        func run(_ arguments: [String]) async -> CLIRun {
            await OperatorEnvironment.$current.withValue(environment) {
                await runCLI(arguments + ["--server", OperatorCommandTests.server, "--transport", "sim:ledger"])
            }
        }

        func enroll(_ name: String, path: String, role: OperatorRole = .approver) async throws -> CLIRun {
            let invite = try server.service.createInvite(role: role, actor: "test")
            return await run(["operator", "enroll", "--invite", invite, "--name", name, "--path", path])
        }

        func tokenFiles() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: tokenDirectory)) ?? []).filter { $0.hasPrefix("session-") }
        }

        func cleanUp() { try? FileManager.default.removeItem(atPath: stateHome) }
    }

    static func mode(of path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return try #require(attributes[.posixPermissions] as? Int)
    }

    @Test("enroll: the simulated Ledger signs the service's Enrollment; the server recovers the device's address")
    func enroll() async throws {
        let desk = try Desk()
        defer { desk.cleanUp() }
        let result = try await desk.enroll("alice", path: Self.alicePath)
        #expect(result.exitCode == 0, "\(result.stdout) \(result.stderr)")
        let json = try result.json()
        #expect(json["name"]?.stringValue == "alice")
        #expect(json["address"]?.stringValue == Self.aliceAddress)
        #expect(json["path"]?.stringValue == Self.alicePath)
        #expect(desk.server.recoveredSigners.map(\.kind) == ["Enrollment"])
        #expect(desk.server.recoveredSigners.map(\.address) == [Self.aliceAddress])
        #expect(result.stderr.contains("Confirm on your Ledger simulated (sim:ledger)..."), "\(result.stderr)")
        let stored = try desk.server.service.operators()
        #expect(stored.map(\.name) == ["alice"])
        #expect(stored.first?.address.checksummed == Self.aliceAddress)

        // The invite is single use: a second enrolment with it is the server's refusal, printed as the server said.
        let invite = try desk.server.service.createInvite(role: .approver, actor: "test")
        _ = await desk.run(["operator", "enroll", "--invite", invite, "--name", "bob", "--path", Self.bobPath])
        let reused = await desk.run(["operator", "enroll", "--invite", invite, "--name", "carol", "--path", "m/44'/60'/2'/0/0"])
        #expect(reused.exitCode == 1)
        #expect(reused.errorMessage.contains("already used"), "\(reused.stdout)")
        #expect(reused.errorCode == -10)
    }

    @Test("pending: signs in with the device once, caches the token 0600 in $XDG_STATE_HOME/walletbridge (0700), reuses it")
    func pendingAndTokenCache() async throws {
        let desk = try Desk()
        defer { desk.cleanUp() }
        #expect(try await desk.enroll("alice", path: Self.alicePath).exitCode == 0)
        let order = try desk.server.service.submitTransfer(TransferRequest(orderID: "big-1", externalUserID: "u-1",
                                                                           currency: "USD", amount: "1500"))
        #expect(order.order.status == .pendingApproval)

        let first = await desk.run(["operator", "pending", "--path", Self.alicePath])
        #expect(first.exitCode == 0, "\(first.stdout) \(first.stderr)")
        let transfers = try #require(try first.json()["transfers"]?.arrayValue)
        #expect(transfers.map { $0["order_id"]?.stringValue } == ["big-1"])
        #expect(transfers.first?["status"]?.stringValue == "pending_approval")
        #expect(desk.server.count("POST /operator/session") == 1)
        #expect(desk.server.recoveredSigners.count == 1, "the login is checked by the service, not noted here")

        let files = desk.tokenFiles()
        #expect(files.count == 1)
        let file = desk.tokenDirectory + "/" + (files.first ?? "")
        #expect(try Self.mode(of: file) == 0o600)
        #expect(try Self.mode(of: desk.tokenDirectory) == 0o700)
        let savedData = try #require(FileManager.default.contents(atPath: file))
        let saved = try JSONValue(parsing: [UInt8](savedData))
        #expect(saved["address"]?.stringValue == Self.aliceAddress)
        #expect(saved["server"]?.stringValue == "http://127.0.0.1:8080")
        #expect(saved["token"]?.stringValue?.count == 64)
        #expect(!first.stdout.contains(saved["token"]?.stringValue ?? "-"), "the token is never printed")

        let second = await desk.run(["operator", "pending", "--path", Self.alicePath])
        #expect(second.exitCode == 0, "\(second.stdout)")
        #expect(desk.server.count("POST /operator/session") == 1, "the cached token is reused")
        #expect(desk.server.count("POST /operator/challenge") == 1)
    }

    @Test("a refused token (401) is dropped and the operator signs in again once; an expired one is not sent")
    func tokenRefresh() async throws {
        let desk = try Desk()
        defer { desk.cleanUp() }
        #expect(try await desk.enroll("alice", path: Self.alicePath).exitCode == 0)
        #expect(await desk.run(["operator", "pending", "--path", Self.alicePath]).exitCode == 0)
        let file = desk.tokenDirectory + "/" + (desk.tokenFiles().first ?? "")
        let firstData = try #require(FileManager.default.contents(atPath: file))
        let firstToken = try #require(try JSONValue(parsing: [UInt8](firstData))["token"]?.stringValue)

        // Revoked on the server: the cached token gets 401, the CLI signs in again and succeeds.
        try desk.server.service.revokeSession(token: firstToken, actor: "test")
        let refreshed = await desk.run(["operator", "pending", "--path", Self.alicePath])
        #expect(refreshed.exitCode == 0, "\(refreshed.stdout) \(refreshed.stderr)")
        #expect(refreshed.stderr.contains("signing in again"), "\(refreshed.stderr)")
        #expect(desk.server.count("POST /operator/session") == 2)
        #expect(desk.server.count("GET /operator/transfers") == 3, "one refused, two answered")
        let secondData = try #require(FileManager.default.contents(atPath: file))
        let secondToken = try JSONValue(parsing: [UInt8](secondData))["token"]?.stringValue
        #expect(secondToken != nil && secondToken != firstToken)
        #expect(try Self.mode(of: file) == 0o600)

        // Past its expiry the cached token is not even tried: a fresh sign-in, and no 401 round trip.
        desk.server.clock.advance(by: desk.server.service.configuration.sessionTTL)
        let afterExpiry = await desk.run(["operator", "pending", "--path", Self.alicePath])
        #expect(afterExpiry.exitCode == 0, "\(afterExpiry.stdout)")
        #expect(desk.server.count("POST /operator/session") == 3)
        #expect(desk.server.count("GET /operator/transfers") == 4)
        #expect(!afterExpiry.stderr.contains("signing in again"))
    }

    @Test("approve: two operators sign the TransferApproval on simulated Ledgers and the order completes")
    func approveEndToEnd() async throws {
        let desk = try Desk()
        defer { desk.cleanUp() }
        #expect(try await desk.enroll("alice", path: Self.alicePath).exitCode == 0)
        let bob = try await desk.enroll("bob", path: Self.bobPath)
        #expect(bob.exitCode == 0, "\(bob.stdout)")
        let bobAddress = try #require(try bob.json()["address"]?.stringValue)
        _ = try desk.server.service.submitTransfer(TransferRequest(orderID: "big-2", externalUserID: "u-1",
                                                                   currency: "USD", amount: "-2500.5"))

        let first = await desk.run(["operator", "approve", "big-2", "--path", Self.alicePath])
        #expect(first.exitCode == 0, "\(first.stdout) \(first.stderr)")
        #expect(try first.json()["status"]?.stringValue == "pending_approval")
        #expect(first.stderr.contains("Order big-2: debit -2500.50 USD"), "\(first.stderr)")
        #expect(first.stderr.contains("external user u-1"))
        #expect(first.stderr.contains("policy large-transfers"))
        #expect(first.stderr.contains("Confirm on your Ledger simulated (sim:ledger)..."))

        let second = await desk.run(["operator", "approve", "big-2", "--path", Self.bobPath])
        #expect(second.exitCode == 0, "\(second.stdout) \(second.stderr)")
        #expect(try second.json()["status"]?.stringValue == "completed")
        #expect(try desk.server.service.order(id: "big-2").0.status == .completed)
        #expect(try desk.server.service.wallet(externalUserID: "u-1", currency: "USD").balance == 1_000_000 - 250_050)

        let approvals = desk.server.recoveredSigners.filter { $0.kind == "approve" }
        #expect(approvals.map(\.address) == [Self.aliceAddress, bobAddress])

        // Approving again: the server's refusal (order no longer pending, 409) comes back as its error.
        let again = await desk.run(["operator", "approve", "big-2", "--path", Self.alicePath])
        #expect(again.exitCode == 1)
        #expect(again.errorMessage.contains("not pending"), "\(again.stdout)")
    }

    @Test("reject --reason: the TransferRejection carries the reason, one signature ends the order")
    func reject() async throws {
        let desk = try Desk()
        defer { desk.cleanUp() }
        #expect(try await desk.enroll("alice", path: Self.alicePath).exitCode == 0)
        _ = try desk.server.service.submitTransfer(TransferRequest(orderID: "big/3 +x", externalUserID: "u-1",
                                                                   currency: "USD", amount: "-1200"))
        let result = await desk.run(["operator", "reject", "big/3 +x", "--reason", "unknown payee & co", "--path", Self.alicePath])
        #expect(result.exitCode == 0, "\(result.stdout) \(result.stderr)")
        #expect(try result.json()["status"]?.stringValue == "rejected")
        #expect(result.stderr.contains("REJECT, reason: unknown payee & co"))
        #expect(desk.server.recoveredSigners.last?.kind == "reject")
        #expect(desk.server.recoveredSigners.last?.address == Self.aliceAddress)
        let (order, records) = try desk.server.service.order(id: "big/3 +x")
        #expect(order.status == .rejected)
        #expect(records.first?.reason == "unknown payee & co")
        #expect(try desk.server.service.wallet(externalUserID: "u-1", currency: "USD").held == 0)
    }

    @Test("a device the user declines on: code -7, nothing submitted")
    func declinedOnDevice() async throws {
        let desk = try Desk()
        defer { desk.cleanUp() }
        #expect(try await desk.enroll("alice", path: Self.alicePath).exitCode == 0)
        _ = try desk.server.service.submitTransfer(TransferRequest(orderID: "big-4", externalUserID: "u-1",
                                                                   currency: "USD", amount: "5000"))
        #expect(await desk.run(["operator", "pending", "--path", Self.alicePath]).exitCode == 0)
        let declined = await desk.run(["operator", "approve", "big-4", "--path", Self.alicePath, "--sim-approve", "deny"])
        #expect(declined.exitCode == 1)
        #expect(declined.errorCode == -7, "\(declined.stdout)")
        #expect(desk.server.count("POST /operator/transfers/big-4/approve") == 0)
    }

    @Test("a bad --server is a bad argument; an unreachable one is code -3")
    func serverErrors() async throws {
        let desk = try Desk()
        defer { desk.cleanUp() }
        let bad = await OperatorEnvironment.$current.withValue(desk.environment) {
            await runCLI(["operator", "pending", "--server", "ftp://x", "--path", Self.alicePath, "--transport", "sim:ledger"])
        }
        #expect(bad.exitCode == 1)
        #expect(bad.errorCode == -10)
        var unreachable = desk.environment
        unreachable.transport = CurlOperatorTransport(timeout: .seconds(5))
        let refused = await OperatorEnvironment.$current.withValue(unreachable) {
            // Port 9 (discard) on loopback: nothing listens there in the test environment.
            await runCLI(["operator", "pending", "--server", "http://127.0.0.1:9", "--path", Self.alicePath,
                          "--transport", "sim:ledger"])
        }
        #expect(refused.exitCode == 1)
        #expect(refused.errorCode == -3, "\(refused.stdout)")
    }

    @Test("token cache directory: $XDG_STATE_HOME/walletbridge, else ~/.local/state/walletbridge")
    func cacheDirectory() {
        #expect(SessionTokenCache.defaultDirectory(environment: ["XDG_STATE_HOME": "/s", "HOME": "/h"]) == "/s/walletbridge")
        #expect(SessionTokenCache.defaultDirectory(environment: ["HOME": "/h"]) == "/h/.local/state/walletbridge")
        #expect(SessionTokenCache.defaultDirectory(environment: ["XDG_STATE_HOME": "rel", "HOME": "/h"])
            == "/h/.local/state/walletbridge")
    }

    @Test("admin invite writes a one-time invite into the SQLite database; a missing database is an error")
    func adminInvite() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wb-admin-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/walletbridge.sqlite"

        let missing = await runCLI(["admin", "invite", "--role", "approver", "--db", path])
        #expect(missing.exitCode == 1)
        #expect(missing.errorMessage.contains("No database"), "\(missing.stdout)")

        try SQLiteApprovalStore(path: path).close()
        let result = await runCLI(["admin", "invite", "--role", "admin", "--db", path])
        #expect(result.exitCode == 0, "\(result.stdout)")
        let json = try result.json()
        #expect(json["role"]?.stringValue == "admin")
        let code = try #require(json["invite"]?.stringValue)
        #expect(code.count == 32)

        let store = try SQLiteApprovalStore(path: path, createIfMissing: false)
        defer { store.close() }
        let invite = try store.transaction { transaction throws(ApprovalError) in
            try transaction.invite(codeHash: Hash.sha256(Array(code.utf8)))
        }
        #expect(invite?.role == .admin)
        #expect(invite?.usedAt == nil)

        let badRole = await runCLI(["admin", "invite", "--role", "owner", "--db", path])
        #expect(badRole.exitCode == 2)
    }
}
