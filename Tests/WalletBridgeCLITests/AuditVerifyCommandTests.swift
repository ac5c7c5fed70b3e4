import BridgeApprovals
import BridgeCore
import BridgeStore
import Foundation
import Synchronization
import Testing
import WalletBridgeCLI

/// `walletbridge audit verify` on databases the service wrote, run in-process.
@Suite("walletbridge audit verify")
struct AuditVerifyCommandTests {
    struct Run {
        let exitCode: Int32
        let stdout: String
        let stderr: String

        var json: JSONValue? { try? JSONValue(parsing: stdout) }
    }

    func audit(_ arguments: [String]) async -> Run {
        let output = Mutex(""), error = Mutex("")
        let io = CommandIO(writeOutput: { text in output.withLock { $0 += text } },
                           writeError: { text in error.withLock { $0 += text } }, readInput: { [] })
        let exitCode = await WalletBridgeCLI.run(["audit", "verify"] + arguments, io: io)
        return Run(exitCode: exitCode, stdout: output.withLock { $0 }, stderr: error.withLock { $0 })
    }

    /// A service on a database file in its own temporary directory (the command opens it as another process would).
    final class AuditedDatabase {
        let directory: String
        let path: String
        let store: SQLiteApprovalStore

        init() throws {
            directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("walletbridge-audit-test-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            path = directory + "/walletbridge.sqlite"
            store = try SQLiteApprovalStore(path: path, clock: ManualClock(Timestamp(secondsSinceEpoch: 1_795_000_000)))
        }

        func remove() {
            store.close()
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    /// A database with a few audited changes.
    func populated() throws -> AuditedDatabase {
        let database = try AuditedDatabase()
        do {
            let usd = try Currency(code: "USD", decimals: 2), btc = try Currency(code: "BTC", decimals: 8)
            let configuration = try ApprovalConfiguration(currencies: [usd, btc], chainID: 1,
                                                          deploymentID: [UInt8](repeating: 0xD5, count: 32))
            let service = ApprovalService(store: database.store,
                                          policy: try PolicySet.demo(currencies: ["USD": usd, "BTC": btc]),
                                          configuration: configuration,
                                          clock: ManualClock(Timestamp(secondsSinceEpoch: 1_795_000_000)))
            try service.createWallet(externalUserID: "u-1", currency: "USD", initialBalance: 1_000_000)
            for (orderID, amount) in [("o-1", "12.5"), ("o-2", "-2000")] {  // o-2 pends: received + pending_approval
                _ = try service.submitTransfer(TransferRequest(orderID: orderID, externalUserID: "u-1", currency: "USD",
                                                               amount: amount))
            }
        } catch {
            database.remove()
            throw error
        }
        return database
    }

    @Test func anIntactChainPrintsOkTheEventCountAndTheHead() async throws {
        let database = try populated()
        defer { database.remove() }
        let expected = try ApprovalService.verifyAuditChain(store: database.store)
        #expect(expected.events == 5)
        let run = await audit(["--db", database.path])
        #expect(run.exitCode == 0, "\(run.stdout)")
        #expect(run.stdout == #"{"ok":true,"events":5,"head":"\#(Hex.encodePrefixed(expected.head))"}"# + "\n")
        #expect(run.stderr.contains("Verified 5 audit events"))
    }

    @Test func aTamperedRowIsNamedWithExit1() async throws {
        let database = try populated()
        defer { database.remove() }
        try database.store.withDatabase { database throws(ApprovalError) in
            try database.run("UPDATE audit_events SET actor = 'operator:mallory' WHERE sequence = 3")
        }
        let run = await audit(["--db", database.path])
        #expect(run.exitCode == 1)
        #expect(run.json?["code"] == -20)
        #expect(run.json?["error"]?.stringValue
            == "Audit chain broken at event 3: its content does not hash to the stored hash (the event was altered)")
        #expect(run.json?["hint"]?.stringValue?.hasPrefix("Events before 3 verify.") == true)
    }

    @Test func aDeletedRowIsNamedWithExit1() async throws {
        let database = try populated()
        defer { database.remove() }
        try database.store.withDatabase { database throws(ApprovalError) in
            try database.run("DELETE FROM audit_events WHERE sequence = 2")
        }
        let run = await audit(["--db", database.path])
        #expect(run.exitCode == 1)
        #expect(run.json?["error"]?.stringValue?.hasPrefix("Audit chain broken at event 3: sequence 3 follows 1") == true)
    }

    @Test func anEmptyChainVerifiesWithTheGenesisHead() async throws {
        let database = try AuditedDatabase()
        defer { database.remove() }
        let run = await audit(["--db", database.path])
        #expect(run.exitCode == 0)
        #expect(run.stdout == #"{"ok":true,"events":0,"head":"0x\#(String(repeating: "0", count: 64))"}"# + "\n")
    }

    @Test func aMissingDatabaseIsABadArgumentAndIsNotCreated() async throws {
        let database = try AuditedDatabase()
        database.remove()
        let run = await audit(["--db", database.path])
        #expect(run.exitCode == 1)
        #expect(run.json?["code"] == -10)
        #expect(run.json?["error"]?.stringValue == "No database at '\(database.path)'")
        #expect(!FileManager.default.fileExists(atPath: database.path))
    }

    @Test func helpNamesTheDefaultDatabase() async {
        let run = await audit(["--help"])
        #expect(run.exitCode == 0)
        #expect(run.stdout.contains("--db FILE"))
        #expect(run.stdout.contains("./var/walletbridge.sqlite"))
    }
}
