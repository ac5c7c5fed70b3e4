import BridgeApprovals
import BridgeCore
import BridgeStore
import Foundation
import Testing
@testable import WalletBridgeCLI

/// `walletbridge admin wallet create|import|list|close` (CONTRACT 5) on a real SQLite database whose service recorded
/// USD (2 decimals) and ETH (18).
@Suite("CLI: admin wallet")
struct AdminWalletCommandTests {
    struct Station {
        let directory: String
        var path: String { directory + "/walletbridge.sqlite" }

        init() throws {
            directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("walletbridge-admin-wallet-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let store = try SQLiteApprovalStore(path: directory + "/walletbridge.sqlite")
            defer { store.close() }
            let deploymentID = try ApprovalConfiguration.loadOrCreateDeploymentID(store: store, clock: SystemClock())
            let configuration = try ApprovalConfiguration(
                currencies: [try Currency(code: "USD", decimals: 2), try Currency(code: "ETH", decimals: 18)],
                deploymentID: deploymentID)
            try configuration.recordCurrencies(in: store, clock: SystemClock())
        }

        func write(_ name: String, _ text: String) throws -> String {
            let file = directory + "/" + name
            try text.write(toFile: file, atomically: true, encoding: .utf8)
            return file
        }

        func cleanUp() { try? FileManager.default.removeItem(atPath: directory) }
    }

    @Test func createListImportAndClose() async throws {
        let station = try Station()
        defer { station.cleanUp() }
        let created = await runCLI(["admin", "wallet", "create", "--user", "carol", "--currency", "ETH",
                                    "--initial-balance", "1000000.5", "--db", station.path])
        #expect(created.exitCode == 0, "\(created.stdout)")
        #expect(created.stdout == #"{"id":"w00000001","external_user_id":"carol","amount":1000000.500000000000000000,"#
            + #""currency":"ETH","decimals":18}"# + "\n")

        let good = try station.write("good.csv", "external_user_id,currency,initial_balance\r\nu1,USD,10.50\n\"u,2\",USD,0\n\n")
        let imported = await runCLI(["admin", "wallet", "import", "--file", good, "--db", station.path])
        #expect(imported.stdout == #"{"created":2}"# + "\n", "\(imported.stdout)")

        // All or nothing: the third data line (file line 4) names an unknown currency; nothing of the file is created.
        let bad = try station.write("bad.csv", "external_user_id,currency\nx1,USD\nx2,USD\nx3,XXX\n")
        let refused = await runCLI(["admin", "wallet", "import", "--file", bad, "--db", station.path])
        #expect(refused.exitCode == 1)
        #expect(refused.errorMessage.contains("line 4"), "\(refused.stdout)")
        let duplicate = try station.write("dup.csv", "external_user_id,currency\ny1,USD\ny1,USD\n")
        #expect(await runCLI(["admin", "wallet", "import", "--file", duplicate, "--db", station.path]).errorMessage
            .contains("line 3"))

        let listed = await runCLI(["admin", "wallet", "list", "--db", station.path])
        #expect(try listed.json()["count"] == 3)
        #expect(try listed.json()["data"]?.arrayValue?.compactMap { $0["external_user_id"]?.stringValue }
            == ["carol", "u1", "u,2"])

        // Closing: refused with money in it (-23), then a zero wallet closes and disappears from the list.
        let notEmpty = await runCLI(["admin", "wallet", "close", "w00000002", "--db", station.path])
        #expect(notEmpty.errorCode == -23)
        let closed = await runCLI(["admin", "wallet", "close", "w00000003", "--db", station.path])
        #expect(closed.stdout == #"{"id":"w00000003","status":"closed"}"# + "\n")
        #expect(await runCLI(["admin", "wallet", "close", "w00000003", "--db", station.path]).errorCode == -23)
        let after = await runCLI(["admin", "wallet", "list", "--user", "u,2", "--db", station.path])
        #expect(after.stdout == #"{"data":[],"count":0}"# + "\n")

        let audit = await runCLI(["audit", "verify", "--db", station.path])
        #expect(try audit.json()["ok"] == true)
    }
}
