import BridgeApprovals
import BridgeCore
import BridgeCrypto
import BridgeServer
import BridgeStore
import Foundation
import Synchronization
import Testing
@testable import WalletBridgeCLI

/// The service's real operator API handlers (via ``HandlerTransport``), advancing the service's manual clock by `delay`
/// just before a request whose path ends in `delayBeforePathSuffix` arrives: a device that took that long.
struct SlowDeskTransport: OperatorHTTPTransport {
    let inner: HandlerTransport
    let clock: ManualClock
    let delayBeforePathSuffix: String?
    let delay: Duration

    func send(method: String, url: URL, headers: [String: String], body: [UInt8]?) async throws -> OperatorHTTPResponse {
        if let suffix = delayBeforePathSuffix, url.path.hasSuffix(suffix) { clock.advance(by: delay) }
        return try await inner.send(method: method, url: url, headers: headers, body: body)
    }
}

@Suite("Operator lifecycle commands: revoke (Ledger and Trezor clear signing), logout, admin operator")
struct OperatorLifecycleCommandTests {
    static let server = "http://127.0.0.1:8080"
    static let alicePath = OperatorCommandTests.alicePath
    static let bobPath = OperatorCommandTests.bobPath
    static let carolPath = "m/44'/60'/2'/0/0"

    /// The service behind the real OperatorAPI handlers, a private state directory, devices chosen per command.
    struct Desk {
        let fake: FakeOperatorServer
        let stateHome: String
        let transport: SlowDeskTransport

        init(delayBeforePathSuffix: String? = nil, delay: Duration = .zero) throws {
            fake = try FakeOperatorServer()
            stateHome = FileManager.default.temporaryDirectory.appendingPathComponent("wb-life-\(UUID().uuidString)").path
            transport = SlowDeskTransport(inner: HandlerTransport(endpoints: OperatorAPI(service: fake.service).endpoints),
                                          clock: fake.clock, delayBeforePathSuffix: delayBeforePathSuffix, delay: delay)
        }

        var service: ApprovalService { fake.service }
        var tokenDirectory: String { stateHome + "/walletbridge" }

        func run(_ arguments: [String], device: String = "sim:ledger", knobs: [String] = []) async -> CLIRun {
            let home = stateHome
            let environment = OperatorEnvironment(transport: transport, variables: { ["XDG_STATE_HOME": home] },
                                                  clock: fake.clock)
            return await OperatorEnvironment.$current.withValue(environment) {
                await DeviceEnvironment.$current.withValue(TrezorTestSupport.nonInteractive) {
                    await runCLI(arguments + ["--server", OperatorLifecycleCommandTests.server, "--transport", device] + knobs)
                }
            }
        }

        /// Enrols `name` through the CLI with the device at `path`; returns the enrolled address.
        @discardableResult
        func enroll(_ name: String, path: String, role: OperatorRole, device: String = "sim:ledger") async throws -> String {
            let invite = try service.createInvite(role: role, actor: "test")
            let run = await self.run(["operator", "enroll", "--invite", invite, "--name", name, "--path", path], device: device)
            #expect(run.exitCode == 0, "\(run.stdout) \(run.stderr)")
            return try #require(try run.json()["address"]?.stringValue)
        }

        func tokenFiles() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: tokenDirectory)) ?? []).filter { $0.hasPrefix("session-") }
        }

        func status(of name: String) throws -> Operator.Status? {
            try service.operators().first { $0.name == name }?.status
        }

        func cleanUp() { try? FileManager.default.removeItem(atPath: stateHome) }
    }

    /// alice (admin) and bob, carol (approvers) on simulated Ledgers; bob has approved the pending order "big".
    static func deskWithBobsApproval(_ desk: Desk) async throws -> (alice: String, bob: String) {
        let alice = try await desk.enroll("alice", path: alicePath, role: .admin)
        let bob = try await desk.enroll("bob", path: bobPath, role: .approver)
        try await desk.enroll("carol", path: carolPath, role: .approver)
        _ = try desk.service.submitTransfer(TransferRequest(orderID: "big", externalUserID: "u-1", currency: "USD",
                                                            amount: "-2500"))
        let approved = await desk.run(["operator", "approve", "big", "--path", bobPath])
        #expect(try approved.json()["status"]?.stringValue == "pending_approval", "\(approved.stdout)")
        return (alice, bob)
    }

    @Test("operator revoke: the simulated Ledger clear-signs the OperatorRevocation; bob's approval stops counting, his token gets -21")
    func revokeWithLedger() async throws {
        let desk = try Desk()
        defer { desk.cleanUp() }
        let (_, bobAddress) = try await Self.deskWithBobsApproval(desk)

        // The simulated Ledger has "Blind signing" off: a hashed signature is refused (-14), so the revocation
        // below was signed in full, field by field.
        let hashed = await desk.run(["operator", "revoke", "bob", "--reason", "laptop stolen", "--path", Self.alicePath,
                                     "--mode", "hashed"])
        #expect(hashed.exitCode == 1)
        #expect(hashed.errorCode == -14, "\(hashed.stdout)")
        #expect(try desk.status(of: "bob") == .active)

        let revoked = await desk.run(["operator", "revoke", "bob", "--reason", "laptop stolen", "--path", Self.alicePath,
                                      "--mode", "full"])
        #expect(revoked.exitCode == 0, "\(revoked.stdout) \(revoked.stderr)")
        #expect(revoked.stdout == #"{"name":"bob","status":"revoked"}"# + "\n")
        #expect(revoked.stderr.contains("Revoke operator bob (\(bobAddress))"), "\(revoked.stderr)")
        #expect(revoked.stderr.contains("reason: laptop stolen"))
        #expect(revoked.stderr.contains("Confirm on your Ledger simulated (sim:ledger)..."))
        #expect(try desk.status(of: "bob") == .revoked)
        let event = try #require(try desk.service.store.read { transaction throws(ApprovalError) in
            try transaction.auditEvents(after: 0, limit: .max)
        }.first { $0.kind == "operator.revoked" })
        #expect(event.payload["signed_by"] == "alice")
        #expect(event.payload["withdrawn_orders"] == ["big"])

        // The order needs two approvals that count again.
        let (order, records) = try desk.service.order(id: "big")
        let tally = try desk.service.approvalTally(for: order, records: records)
        #expect(order.status == .pendingApproval)
        #expect(tally.approvalsCounted == 0)
        #expect(tally.entries.map(\.counts) == [false])

        // Bob's cached token is refused and he cannot sign in again: -21.
        let bobAgain = await desk.run(["operator", "pending", "--path", Self.bobPath])
        #expect(bobAgain.exitCode == 1)
        #expect(bobAgain.errorCode == -21, "\(bobAgain.stdout)")
        #expect(bobAgain.errorMessage.contains("revoked"), "\(bobAgain.stdout)")

        #expect(try (await desk.run(["operator", "approve", "big", "--path", Self.carolPath])).json()["status"]
            == "pending_approval")
        let done = await desk.run(["operator", "approve", "big", "--path", Self.alicePath])
        #expect(try done.json()["status"] == "completed", "\(done.stdout)")
        #expect(try done.json()["approvals_counted"] == 2)
    }

    @Test("operator revoke: the simulated Trezor (Safe 5) clear-signs the OperatorRevocation and the service accepts it")
    func revokeWithTrezor() async throws {
        let desk = try Desk()
        defer { desk.cleanUp() }
        let admin = try await desk.enroll("tess", path: TrezorTestSupport.ethPath, role: .admin, device: "sim:trezor")
        #expect(admin == TrezorTestSupport.ethAddress)
        try await desk.enroll("bob", path: Self.bobPath, role: .approver)
        _ = try desk.service.submitTransfer(TransferRequest(orderID: "big", externalUserID: "u-1", currency: "USD",
                                                            amount: "5000"))
        #expect(await desk.run(["operator", "approve", "big", "--path", Self.bobPath]).exitCode == 0)

        // A Trezor One cannot clear-sign EIP-712 (hashed only): full mode there is "not supported" (-9).
        let one = await desk.run(["operator", "revoke", "bob", "--reason", "left the desk", "--path", TrezorTestSupport.ethPath,
                                  "--mode", "full"], device: "sim:trezor", knobs: ["--sim-model", "one"])
        #expect(one.exitCode == 1)
        #expect(one.errorCode == -9, "\(one.stdout)")
        #expect(try desk.status(of: "bob") == .active)

        let revoked = await desk.run(["operator", "revoke", "bob", "--reason", "left the desk",
                                      "--path", TrezorTestSupport.ethPath, "--mode", "full"], device: "sim:trezor")
        #expect(revoked.exitCode == 0, "\(revoked.stdout) \(revoked.stderr)")
        #expect(try revoked.json() == ["name": "bob", "status": "revoked"])
        #expect(revoked.stderr.contains("Trezor safe5 (sim:trezor)"), "\(revoked.stderr)")
        #expect(try desk.status(of: "bob") == .revoked)
        let event = try #require(try desk.service.store.read { transaction throws(ApprovalError) in
            try transaction.auditEvents(after: 0, limit: .max)
        }.first { $0.kind == "operator.revoked" })
        #expect(event.payload["signed_by"] == "tess")
        #expect(event.payload["reason"] == "left the desk")
        #expect(event.payload["withdrawn_orders"] == ["big"])
    }

    @Test("operator revoke refusals print the contract codes: -22 not an admin, -23 twice, -24 too late, 404 unknown")
    func revokeRefusals() async throws {
        let desk = try Desk(delayBeforePathSuffix: "/operators/carol/revoke", delay: .seconds(301))
        defer { desk.cleanUp() }
        _ = try await Self.deskWithBobsApproval(desk)

        let notAdmin = await desk.run(["operator", "revoke", "carol", "--reason", "x", "--path", Self.bobPath])
        #expect(notAdmin.exitCode == 1)
        #expect(notAdmin.errorCode == -22, "\(notAdmin.stdout)")

        // The device took longer than the document's 5 minutes: -24, and carol stays active.
        let late = await desk.run(["operator", "revoke", "carol", "--reason", "x", "--path", Self.alicePath])
        #expect(late.exitCode == 1)
        #expect(late.errorCode == -24, "\(late.stdout)")
        #expect(try desk.status(of: "carol") == .active)

        #expect(await desk.run(["operator", "revoke", "bob", "--reason", "x", "--path", Self.alicePath]).exitCode == 0)
        let twice = await desk.run(["operator", "revoke", "bob", "--reason", "x", "--path", Self.alicePath])
        #expect(twice.exitCode == 1)
        #expect(twice.errorCode == -23, "\(twice.stdout)")

        let unknown = await desk.run(["operator", "revoke", "zed", "--reason", "x", "--path", Self.alicePath])
        #expect(unknown.exitCode == 1)
        #expect(unknown.errorMessage.contains("operator zed"), "\(unknown.stdout)")

        let noReason = await desk.run(["operator", "revoke", "bob", "--path", Self.alicePath])
        #expect(noReason.exitCode == 2)
    }

    @Test("operator logout ends the session on the service and deletes the token; without a token it still succeeds")
    func logout() async throws {
        let desk = try Desk()
        defer { desk.cleanUp() }
        let alice = try await desk.enroll("alice", path: Self.alicePath, role: .approver)
        #expect(await desk.run(["operator", "pending", "--path", Self.alicePath]).exitCode == 0)
        #expect(desk.tokenFiles().count == 1)
        let file = desk.tokenDirectory + "/" + (desk.tokenFiles().first ?? "")
        let saved = try #require(FileManager.default.contents(atPath: file))
        let token = try #require(try JSONValue(parsing: [UInt8](saved))["token"]?.stringValue)

        let out = await desk.run(["operator", "logout", "--path", Self.alicePath])
        #expect(out.exitCode == 0, "\(out.stdout) \(out.stderr)")
        #expect(try out.json() == ["logged_out": true, "session_ended": true])
        #expect(desk.tokenFiles().isEmpty)
        let refused = #expect(throws: ApprovalError.self) {
            _ = try desk.service.authenticate(token: token, clientIP: "127.0.0.1")
        }
        #expect(refused?.code.rawValue == -21)

        // No saved token: nothing to end, still a success.
        let again = await desk.run(["operator", "logout", "--path", Self.alicePath])
        #expect(again.exitCode == 0, "\(again.stdout)")
        #expect(try again.json() == ["logged_out": true, "session_ended": false])

        // A saved token the service already ended (revoked): dropped, a success.
        #expect(await desk.run(["operator", "pending", "--path", Self.alicePath]).exitCode == 0)
        let secondData = try #require(FileManager.default.contents(
            atPath: desk.tokenDirectory + "/" + (desk.tokenFiles().first ?? "")))
        let second = try #require(try JSONValue(parsing: [UInt8](secondData))["token"]?.stringValue)
        try desk.service.revokeSession(token: second)
        let stale = await desk.run(["operator", "logout", "--path", Self.alicePath])
        #expect(try stale.json() == ["logged_out": true, "session_ended": false], "\(stale.stdout)")
        #expect(stale.stderr.contains("already ended"), "\(stale.stderr)")
        #expect(desk.tokenFiles().isEmpty)
        #expect(alice == OperatorCommandTests.aliceAddress)
    }
}

@Suite("admin operator list and revoke on the service's SQLite database")
struct AdminOperatorCommandTests {
    /// A database the service created, with `alice` (admin) and `bob` (approver) enrolled from test keys, a pending
    /// order bob approved, and a live session of bob's.
    struct Station {
        let directory: String
        let path: String
        let bobToken: String

        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("wb-adm-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            path = directory + "/walletbridge.sqlite"
            let store = try SQLiteApprovalStore(path: path)
            defer { store.close() }
            let service = try Self.service(store)
            try service.createWallet(externalUserID: "u-1", currency: "USD", initialBalance: 1_000_000)
            var keys: [String: PrivateKey] = [:]
            for (number, name, role) in [(21 as UInt8, "alice", OperatorRole.admin), (22, "bob", .approver)] {
                let key = try PrivateKey([UInt8](repeating: 0, count: 31) + [number])
                keys[name] = key
                let address = EthereumAddress(publicKey: key.publicKey).checksummed
                let invite = try service.createInvite(role: role, actor: "test")
                let document = try service.enrollmentDocument(name: name, invite: invite, address: address, path: "m/0")
                try service.enroll(name: name, invite: invite, address: address, path: "m/0",
                                   signature: try Self.sign(document, with: key))
            }
            let bob = try #require(keys["bob"])
            _ = try service.submitTransfer(TransferRequest(orderID: "big", externalUserID: "u-1", currency: "USD",
                                                           amount: "-1500"))
            try service.submitDecision(orderID: "big", decision: .approve,
                                       signature: try Self.sign(try service.approvalDocument(orderID: "big"), with: bob))
            let challenge = try service.loginChallenge(address: EthereumAddress(publicKey: bob.publicKey).checksummed)
            bobToken = try service.createSession(nonce: challenge.nonce, signature: try Self.sign(challenge.document, with: bob),
                                                 clientIP: "127.0.0.1").token
        }

        /// The station's session manager: USD and BTC, the demo policy (large transfers need approvals).
        static func service(_ store: SQLiteApprovalStore) throws -> ApprovalService {
            let clock = SystemClock()
            let currencies = [try Currency(code: "USD", decimals: 2), try Currency(code: "BTC", decimals: 8)]
            let configuration = try ApprovalConfiguration(
                currencies: currencies,
                deploymentID: try ApprovalConfiguration.loadOrCreateDeploymentID(store: store, clock: clock))
            try configuration.recordCurrencies(in: store, clock: clock)
            return ApprovalService(store: store, policy: try PolicySet.demo(currencies: configuration.currenciesByCode),
                                   configuration: configuration, clock: clock)
        }

        static func sign(_ document: JSONValue, with key: PrivateKey) throws -> [UInt8] {
            try EthereumSignature.sign(digest: try TypedData(json: document).digest(), with: key).bytes
        }

        func withService<Result>(_ body: (ApprovalService) throws -> Result) throws -> Result {
            let store = try SQLiteApprovalStore(path: path, createIfMissing: false)
            defer { store.close() }
            return try body(try Self.service(store))
        }

        func cleanUp() { try? FileManager.default.removeItem(atPath: directory) }
    }

    @Test("admin operator list prints every operator with name, address, role, status and enrolment time")
    func list() async throws {
        let station = try Station()
        defer { station.cleanUp() }
        let run = await runCLI(["admin", "operator", "list", "--db", station.path])
        #expect(run.exitCode == 0, "\(run.stdout)")
        let operators = try #require(try run.json()["operators"]?.arrayValue)
        #expect(operators.map { $0["name"]?.stringValue } == ["alice", "bob"])
        #expect(operators.map { $0["role"]?.stringValue } == ["admin", "approver"])
        #expect(operators.map { $0["status"]?.stringValue } == ["active", "active"])
        #expect(operators.allSatisfy { $0.objectValue?.keys == ["name", "address", "role", "status", "enrolled_at"] })
        let stored = try station.withService { try $0.operators() }
        #expect(operators.map { $0["address"]?.stringValue } == stored.map { $0.address.checksummed })
        #expect(operators.map { $0["enrolled_at"]?.stringValue } == stored.map { $0.enrolledAt.rfc3339 })

        let missing = await runCLI(["admin", "operator", "list", "--db", station.directory + "/none.sqlite"])
        #expect(missing.exitCode == 1)
        #expect(missing.errorMessage.contains("No database"))
    }

    @Test("admin operator revoke ends the sessions, withdraws the pending approval, audits it; twice is -23")
    func revoke() async throws {
        let station = try Station()
        defer { station.cleanUp() }
        let run = await runCLI(["admin", "operator", "revoke", "bob", "--reason", "laptop stolen", "--db", station.path])
        #expect(run.exitCode == 0, "\(run.stdout) \(run.stderr)")
        #expect(run.stdout == #"{"name":"bob","status":"revoked"}"# + "\n")
        #expect(run.stderr.contains("1 session(s) ended"), "\(run.stderr)")
        #expect(run.stderr.contains("big"))

        try station.withService { service in
            #expect(try service.operators().map(\.status) == [.active, .revoked])
            let refused = #expect(throws: ApprovalError.self) {
                _ = try service.authenticate(token: station.bobToken, clientIP: "127.0.0.1")
            }
            #expect(refused?.code.rawValue == -21)
            let (order, records) = try service.order(id: "big")
            #expect(order.status == .pendingApproval)
            #expect(try service.approvalTally(for: order, records: records).approvalsCounted == 0)
            let events = try service.store.read { transaction throws(ApprovalError) in
                try transaction.auditEvents(after: 0, limit: .max)
            }
            let revoked = try #require(events.first { $0.kind == "operator.revoked" })
            #expect(revoked.actor == "cli:" + NSUserName())
            #expect(revoked.payload["reason"] == "laptop stolen")
            #expect(revoked.payload["withdrawn_orders"] == ["big"])
            #expect(revoked.payload["sessions_ended"]?.arrayValue?.count == 1)
            #expect(events.last?.kind == "approval.withdrawn")
            #expect(try service.verifyAuditChain().ok)
        }

        let twice = await runCLI(["admin", "operator", "revoke", "bob", "--reason", "again", "--db", station.path])
        #expect(twice.exitCode == 1)
        #expect(twice.errorCode == -23, "\(twice.stdout)")
        let unknown = await runCLI(["admin", "operator", "revoke", "zed", "--reason", "x", "--db", station.path])
        #expect(unknown.exitCode == 1)
        #expect(unknown.errorMessage.contains("operator zed"))
        #expect(await runCLI(["admin", "operator", "revoke", "bob", "--db", station.path]).exitCode == 2)
    }
}
