import BridgeApprovals
import BridgeCore
import BridgeCrypto
import BridgeServer
import BridgeStore
import Foundation
import Testing
@testable import WalletBridgeCLI

/// Issue 10 end to end: the real `ServiceRuntime` on loopback over SQLite in a temporary directory, with USD (2
/// decimals) and ETH (18 decimals), a manual clock, a 60 s policy proposal window, and four operators signing with
/// simulated devices through the CLI in-process (alice and dave admins, bob and carol approvers).
@Suite("Issue 10 end to end: wallets, closing, revocation between approvals, policy governance, audit")
struct Issue10EndToEndTests {
    static let alicePath = "m/44'/60'/0'/0/0"
    static let bobPath = "m/44'/60'/1'/0/0"
    static let carolPath = "m/44'/60'/2'/0/0"
    static let davePath = TrezorTestSupport.ethPath

    /// Version 1: USD debits or credits above 1,000 need 2 approvals; everything else (ETH included) is allowed.
    static let initialPolicy = """
        {"default": "deny", "rules": [
          {"name": "large-usd", "when": {"amountAbove": {"USD": "1000"}},
           "then": {"require": {"approvals": 2, "roles": ["approver", "admin"]}}},
          {"name": "everything-else", "then": "allow"}]}
        """
    /// Version 2: the threshold moves to 5,000 USD.
    static let newPolicy = """
        {"default": "deny", "rules": [
          {"name": "very-large-usd", "when": {"amountAbove": {"USD": "5000"}},
           "then": {"require": {"approvals": 2, "roles": ["approver", "admin"]}}},
          {"name": "everything-else-v2", "then": "allow"}]}
        """
    /// Proposed as version 3 and left to expire: the threshold would move to 10,000 USD.
    static let lapsingPolicy = """
        {"default": "deny", "rules": [
          {"name": "huge-usd", "when": {"amountAbove": {"USD": "10000"}},
           "then": {"require": {"approvals": 2, "roles": ["approver", "admin"]}}},
          {"name": "everything-else-v3", "then": "allow"}]}
        """

    final class Harness: Sendable {
        let runtime: ServiceRuntime
        let store: SQLiteApprovalStore
        let directory: String
        let databasePath: String
        let baseURL: String
        let clock: ManualClock

        init() throws {
            clock = ManualClock()
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("wb-issue10-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            databasePath = directory + "/walletbridge.sqlite"
            let currencies = [try Currency(code: "USD", decimals: 2), try Currency(code: "ETH", decimals: 18)]
            let byCode = Dictionary(uniqueKeysWithValues: currencies.map { ($0.code, $0) })
            let policies = try PolicySet(json: try JSONValue(parsing: Issue10EndToEndTests.initialPolicy), currencies: byCode)
            var configuration = ServiceConfiguration(listen: ListenAddress(host: "127.0.0.1", port: 0),
                                                     apiKey: EndToEndService.apiKey, currencies: currencies,
                                                     policies: policies, crmAllowList: try IPAllowList([]))
            configuration.databasePath = databasePath
            configuration.policyProposalTTL = .seconds(60)
            store = try SQLiteApprovalStore(path: databasePath, clock: clock)
            runtime = try ServiceRuntime(configuration: configuration, apiKey: EndToEndService.apiKey, store: store,
                                         clock: clock, logger: .disabled, accessLog: nil,
                                         webhookTransport: CurlWebhookTransport(), expirySweepInterval: nil)
            baseURL = "http://127.0.0.1:\(try runtime.start())"
        }

        func stop() {
            runtime.stop(drainTimeout: .seconds(5))
            store.close()
            try? FileManager.default.removeItem(atPath: directory)
        }

        func crm(_ method: String, _ path: String, query: [String: String] = [:], body: String? = nil) async throws -> WireAnswer {
            var headers = ["key": EndToEndService.apiKey]
            if let body {
                let object = try #require(try JSONValue(parsing: body).objectValue)
                headers["signature"] = CRMRequestSignature.signature(of: object, apiKey: EndToEndService.apiKey)
                headers["Content-Type"] = "application/json"
            }
            var components = try #require(URLComponents(string: baseURL + path))
            if !query.isEmpty {
                components.queryItems = query.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) }
            }
            return try await EndToEndService.send(method, try #require(components.url), headers: headers,
                                                  body: body.map { Array($0.utf8) })
        }

        func transfer(_ orderID: String, user: String, currency: String, amount: String) async throws -> WireAnswer {
            try await crm("PATCH", "/wallets/balance", body:
                #"{"external_user_id":"\#(user)","currency":"\#(currency)","amount":\#(amount),"order_id":"\#(orderID)"}"#)
        }

        func order(_ orderID: String) async throws -> WireAnswer {
            try await crm("GET", "/wallets/order", query: ["order_id": orderID])
        }

        func walletCount() async throws -> Int64? {
            try await crm("POST", "/wallets", body: #"{"skip":0,"limit":100}"#).json?["count"]?.numberValue?.int64Value
        }

        /// `walletbridge ARGUMENTS --server URL --transport DEVICE`, in-process, token cache in this test's directory.
        func cli(_ arguments: [String], device: String = "sim:ledger") async -> CLIRun {
            let stateHome = directory + "/state"
            let environment = OperatorEnvironment(transport: CurlOperatorTransport(),
                                                  variables: { ["XDG_STATE_HOME": stateHome] }, clock: clock)
            return await OperatorEnvironment.$current.withValue(environment) {
                await DeviceEnvironment.$current.withValue(TrezorTestSupport.nonInteractive) {
                    await runCLI(["operator"] + arguments + ["--server", baseURL, "--transport", device])
                }
            }
        }

        func enroll(_ name: String, role: OperatorRole, path: String, device: String) async throws {
            let invite = try runtime.service.createInvite(role: role, actor: "test")
            let run = await cli(["enroll", "--invite", invite, "--name", name, "--path", path], device: device)
            #expect(run.exitCode == 0, "\(name): \(run.stdout) \(run.stderr)")
        }
    }

    @Test("import, 18 decimals, closing, a revoked approver, a device-approved policy change, audit verify")
    func issue10() async throws {
        let e2e = try Harness()
        defer { e2e.stop() }
        let service = e2e.runtime.service

        // 1. Wallets: one created, an import refused at its 3rd line (nothing created), then a good import.
        _ = try service.createWallet(externalUserID: "e2e-alice", currency: "USD", initialBalance: 500_000, actor: "test")
        #expect(try await e2e.walletCount() == 1)
        do {
            _ = try service.createWallets([.init(externalUserID: "imp-1", currency: "USD", initialBalance: "10.00"),
                                           .init(externalUserID: "imp-2", currency: "ETH", initialBalance: "0"),
                                           .init(externalUserID: "imp-3", currency: "XYZ", initialBalance: "1")],
                                          actor: "test")
            Issue.record("an import with an unknown currency on line 3 was accepted")
        } catch {
            #expect(error.message.contains("line 3"), "\(error.message)")
        }
        #expect(try await e2e.walletCount() == 1)
        let imported = try service.createWallets([.init(externalUserID: "e2e-eth", currency: "ETH", initialBalance: "0"),
                                                  .init(externalUserID: "e2e-closing", currency: "USD", initialBalance: "0")],
                                                 actor: "test")
        #expect(imported.map(\.externalUserID) == ["e2e-eth", "e2e-closing"])
        #expect(try await e2e.walletCount() == 3)

        let million = try await e2e.transfer("eth-million", user: "e2e-eth", currency: "ETH", amount: "1000000")
        #expect(million.status == 200, "\(million.text)")
        #expect(million.json?["status"]?.stringValue == "completed")
        let eth = try await e2e.crm("GET", "/wallets/getOne", query: ["external_user_id": "e2e-eth", "currency": "ETH"])
        #expect(eth.status == 200, "\(eth.text)")
        #expect(eth.json?["amount"]?.numberValue?.text == "1000000.000000000000000000", "\(eth.text)")
        #expect(eth.json?["decimals"]?.numberValue?.int64Value == 18)
        #expect(try service.wallet(externalUserID: "e2e-eth", currency: "ETH").balance
            == Int128(1_000_000) * Int128(1_000_000_000_000_000_000))

        // 2. A closed wallet is unknown to the CRM.
        let closing = try #require(imported.last)
        let closed = try service.closeWallet(id: closing.id, actor: "test")
        #expect(closed.status == .closed)
        let gone = try await e2e.crm("GET", "/wallets/getOne", query: ["external_user_id": "e2e-closing", "currency": "USD"])
        #expect(gone.status == 404, "\(gone.text)")
        let list = try await e2e.crm("POST", "/wallets", body: #"{"skip":0,"limit":100}"#)
        let users = (list.json?["data"]?.arrayValue ?? []).compactMap { $0["external_user_id"]?.stringValue }
        #expect(users.sorted() == ["e2e-alice", "e2e-eth"], "\(list.text)")
        #expect(list.json?["count"]?.numberValue?.int64Value == 2)

        // Operators: alice (admin, Ledger), bob and carol (approvers, Ledger), dave (admin, Trezor).
        try await e2e.enroll("alice", role: .admin, path: Self.alicePath, device: "sim:ledger")
        try await e2e.enroll("bob", role: .approver, path: Self.bobPath, device: "sim:ledger")
        try await e2e.enroll("carol", role: .approver, path: Self.carolPath, device: "sim:ledger")
        try await e2e.enroll("dave", role: .admin, path: Self.davePath, device: "sim:trezor")
        #expect(try service.operators().map(\.name).sorted() == ["alice", "bob", "carol", "dave"])

        // 3. bob approves, is revoked: his approval stops counting, his token gets -21; carol and alice complete it.
        let large = try await e2e.transfer("usd-large-1", user: "e2e-alice", currency: "USD", amount: "-1500")
        #expect(large.status == 202, "\(large.text)")
        #expect(large.json?["approvals_required"]?.numberValue?.int64Value == 2)
        let byBob = await e2e.cli(["approve", "usd-large-1", "--path", Self.bobPath])
        #expect(byBob.exitCode == 0, "\(byBob.stdout) \(byBob.stderr)")
        #expect(try byBob.json()["approvals_counted"] == 1, "\(byBob.stdout)")
        _ = try service.revokeOperator(name: "bob", reason: "laptop stolen", actor: "test")
        let pendingOrder = try await e2e.order("usd-large-1")
        #expect(pendingOrder.json?["status"]?.stringValue == "pending_approval", "\(pendingOrder.text)")
        #expect(pendingOrder.json?["approvals_counted"] == 0)
        let bobsApproval = pendingOrder.json?["approvals"]?.arrayValue?.first
        #expect(bobsApproval?["operator"] == "bob")
        #expect(bobsApproval?["counts"] == false)
        let bobPending = await e2e.cli(["pending", "--path", Self.bobPath])
        #expect(bobPending.exitCode == 1)
        #expect(bobPending.errorCode == -21, "\(bobPending.stdout)")
        let byCarol = await e2e.cli(["approve", "usd-large-1", "--path", Self.carolPath])
        #expect(try byCarol.json()["status"]?.stringValue == "pending_approval", "\(byCarol.stdout) \(byCarol.stderr)")
        let byAlice = await e2e.cli(["approve", "usd-large-1", "--path", Self.alicePath])
        #expect(try byAlice.json()["status"]?.stringValue == "completed", "\(byAlice.stdout) \(byAlice.stderr)")
        let completed = try await e2e.order("usd-large-1")
        #expect(completed.json?["status"]?.stringValue == "completed", "\(completed.text)")
        #expect(completed.json?["policy_version"] == 1)
        #expect(completed.json?["approvals"]?.arrayValue?.compactMap { $0["operator"]?.stringValue } == ["bob", "carol", "alice"])
        #expect(try service.wallet(externalUserID: "e2e-alice", currency: "USD").balance == 350_000)

        // 4. alice proposes version 2 on her Ledger; carol (approver) -22; alice again -23; dave on his Trezor: effective.
        let file = try TemporaryFile(Self.newPolicy)
        defer { file.remove() }
        let proposed = await e2e.cli(["policy", "propose", "--file", file.path, "--path", Self.alicePath, "--mode", "full"])
        #expect(proposed.exitCode == 0, "\(proposed.stdout) \(proposed.stderr)")
        #expect(try proposed.json()["version"] == 2)
        #expect(try proposed.json()["status"] == "proposed")
        let byApprover = await e2e.cli(["policy", "approve", "2", "--path", Self.carolPath])
        #expect(byApprover.exitCode == 1)
        #expect(byApprover.errorCode == -22, "\(byApprover.stdout)")
        let proposerAgain = await e2e.cli(["policy", "approve", "2", "--path", Self.alicePath])
        #expect(proposerAgain.exitCode == 1)
        #expect(proposerAgain.errorCode == -23, "\(proposerAgain.stdout)")
        let byDave = await e2e.cli(["policy", "approve", "2", "--path", Self.davePath, "--mode", "full"], device: "sim:trezor")
        #expect(byDave.exitCode == 0, "\(byDave.stdout) \(byDave.stderr)")
        #expect(try byDave.json()["status"] == "effective", "\(byDave.stdout)")
        #expect(try byDave.json()["approvals"] == 2)
        #expect(byDave.stderr.contains("Trezor safe5 (sim:trezor)"), "\(byDave.stderr)")
        #expect(proposed.stderr.contains("Confirm on your Ledger simulated (sim:ledger)..."), "\(proposed.stderr)")

        // Right after: 1,500 USD is no longer held for approval (202 under version 1), it completes under version 2.
        let afterChange = try await e2e.transfer("usd-large-2", user: "e2e-alice", currency: "USD", amount: "-1500")
        #expect(afterChange.status == 200, "\(afterChange.text)")
        #expect(afterChange.json?["status"]?.stringValue == "completed")
        let afterOrder = try await e2e.order("usd-large-2")
        #expect(afterOrder.json?["policy_version"] == 2, "\(afterOrder.text)")
        #expect(afterOrder.json?["status"]?.stringValue == "completed")
        #expect(try service.wallet(externalUserID: "e2e-alice", currency: "USD").balance == 200_000)

        // A proposal left past governance.proposalTTLSeconds (60 s here) is refused: -24.
        let lapsingFile = try TemporaryFile(Self.lapsingPolicy)
        defer { lapsingFile.remove() }
        let lapsing = await e2e.cli(["policy", "propose", "--file", lapsingFile.path, "--path", Self.alicePath])
        #expect(lapsing.exitCode == 0, "\(lapsing.stdout) \(lapsing.stderr)")
        #expect(try lapsing.json()["version"] == 3)
        e2e.clock.advance(by: .seconds(61))
        let tooLate = await e2e.cli(["policy", "approve", "3", "--path", Self.davePath], device: "sim:trezor")
        #expect(tooLate.exitCode == 1)
        #expect(tooLate.errorCode == -24, "\(tooLate.stdout)")
        // Version 3 never took effect: a transfer is still decided by version 2.
        let stillV2 = try await e2e.transfer("usd-small-3", user: "e2e-alice", currency: "USD", amount: "-10")
        #expect(stillV2.status == 200, "\(stillV2.text)")
        #expect(try await e2e.order("usd-small-3").json?["policy_version"] == 2)

        // 5. The audit chain verifies from the CLI.
        let audit = await runCLI(["audit", "verify", "--db", e2e.databasePath])
        #expect(audit.exitCode == 0, "\(audit.stdout) \(audit.stderr)")
        #expect(try audit.json()["ok"] == true, "\(audit.stdout)")
    }
}
