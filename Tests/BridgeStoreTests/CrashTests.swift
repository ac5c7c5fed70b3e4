import BridgeApprovals
import BridgeCore
import BridgeStore
import Foundation
import TestVectors
import Synchronization
import Testing

/// A child process applies orders on a SQLite database and is killed with SIGKILL at random moments, then restarted
/// on the same file. After every kill the database must be intact, the audit chain must verify, and every order the
/// child reported as committed must be there exactly once with its balance effect.
@Suite("SQLite store: crash test")
struct CrashTests {
    static let usdFunding: Int128 = 100_000_000  // 1,000,000.00 USD per user
    static let btcFunding: Int128 = 10_000_000_000  // 100 BTC per user
    static let kills = 24
    static let deadline: Duration = .seconds(120)

    /// `walletbridge-crash-child`, built next to the test bundle (`.build/debug`), as the CLI tests find `walletbridge`.
    static var childPath: String? {
        let repository = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let candidates: [String?] = [
            Bundle.main.executableURL?.deletingLastPathComponent().appendingPathComponent("walletbridge-crash-child").path,
            repository.appendingPathComponent(".build/debug/walletbridge-crash-child").path,
        ]
        return candidates.compactMap { $0 }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    @Test func killedAtRandomMomentsTheDatabaseKeepsEveryReportedOrderExactlyOnce() throws {
        guard let childPath = Self.childPath else {
            Issue.record("""
                walletbridge-crash-child is not built next to the tests (.build/debug), so the crash test did not run: \
                `swift build --build-tests` first.
                """)
            return
        }
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let seed = UInt64.random(in: 1...UInt64.max)
        print("crash test seed \(seed), database \(database.path)")
        var random = SeededGenerator(seed: seed)
        let clock = ContinuousClock()
        let start = clock.now

        var reported: [String] = []
        var approvedOrdersReported = 0
        for run in 0..<Self.kills {
            guard clock.now - start < Self.deadline else {
                Issue.record("the crash test ran out of time after \(run) kills")
                return
            }
            let child = try ChildProcess(
                path: childPath,
                arguments: [database.path, String(run), String(random.next()), String(Self.usdFunding), String(Self.btcFunding)]
            )
            // Most kills land after some commits, mid-stream; every fourth one at a random instant from launch, which
            // can be while it opens the file, recovers the log, or finishes its predecessor's pending orders.
            if run % 4 == 3 {
                usleep(UInt32.random(in: 0...40_000, using: &random))
            } else {
                let commits = Int.random(in: 1...12, using: &random)
                guard child.waitForCommits(commits, timeout: .seconds(20)) else {
                    child.kill()
                    Issue.record("run \(run): the child reported fewer than \(commits) commits in 20 s; stderr: \(child.standardError)")
                    return
                }
                usleep(UInt32.random(in: 0...3_000, using: &random))
            }
            let exitedOnItsOwn = child.kill()
            if exitedOnItsOwn {
                Issue.record("run \(run): the child exited before it was killed; stderr: \(child.standardError)")
                return
            }
            reported += child.committed
            try checkInvariants(path: database.path, reported: reported, approvedOrders: &approvedOrdersReported, run: run)
        }
        // The test would prove little if the children had been killed before doing anything.
        #expect(reported.count >= Self.kills)
        #expect(approvedOrdersReported >= 1, "no order that needed approvals was reported")
        print("crash test: \(Self.kills) kills, \(reported.count) reported commits (\(approvedOrdersReported) approved), "
            + "\(clock.now - start)")
    }

    /// Reopens the file as a restarted service would and checks it against what the children reported.
    func checkInvariants(path: String, reported: [String], approvedOrders: inout Int, run: Int) throws {
        let store = try SQLiteApprovalStore(path: path, createIfMissing: false)
        defer { store.close() }
        #expect(try store.integrityCheck() == "ok", "run \(run)")
        let verification = try ApprovalService.verifyAuditChain(store: store)
        #expect(verification.ok, "run \(run): audit chain broken at \(String(describing: verification.firstBroken))")

        let snapshot = try store.transaction { transaction throws(ApprovalError) in
            (wallets: try transaction.allWallets(),
             completed: try transaction.orders(status: .completed, limit: .max),
             pending: try transaction.orders(status: .pendingApproval, limit: .max),
             audit: try transaction.auditEvents(after: 0, limit: .max))
        }
        let completedByID = Dictionary(snapshot.completed.map { ($0.orderID, $0) }, uniquingKeysWith: { first, _ in first })
        var completions: [String: Int] = [:]
        for event in snapshot.audit where event.kind == "order.completed" {
            if let orderID = event.payload["order_id"]?.stringValue { completions[orderID, default: 0] += 1 }
        }
        // Every reported order is there, completed, and applied exactly once (one completion in the log; the balance
        // check below counts its amount once).
        #expect(Set(reported).count == reported.count, "run \(run): an order id was reported twice")
        approvedOrders = 0
        for orderID in reported {
            guard let order = completedByID[orderID] else {
                Issue.record("run \(run): reported order \(orderID) is not completed in the database")
                continue
            }
            #expect(completions[orderID] == 1, "run \(run): order \(orderID) completed \(completions[orderID] ?? 0) times")
            if order.approvalsRequired > 0 { approvedOrders += 1 }
        }
        #expect(completions.count == snapshot.completed.count, "run \(run): completions in the log and completed orders differ")
        #expect(completions.values.allSatisfy { $0 == 1 }, "run \(run)")

        // Balances: the initial funding plus the completed orders' amounts, per wallet; holds: the pending debits.
        var expectedBalance: [String: Int128] = [:]
        var expectedHeld: [String: Int128] = [:]
        for order in snapshot.completed { expectedBalance[order.walletID, default: 0] += order.amount }
        for order in snapshot.pending where order.amount < 0 { expectedHeld[order.walletID, default: 0] += -order.amount }
        var sums: [String: Int128] = [:]
        for wallet in snapshot.wallets {
            sums[wallet.currency, default: 0] += wallet.balance
            guard wallet.kind == .external else { continue }
            let funding = wallet.currency == "USD" ? Self.usdFunding : Self.btcFunding
            #expect(wallet.balance == funding + expectedBalance[wallet.id, default: 0], "run \(run): wallet \(wallet.id)")
            #expect(wallet.held == expectedHeld[wallet.id, default: 0], "run \(run): held in \(wallet.id)")
            #expect(wallet.balance >= wallet.held && wallet.held >= 0, "run \(run): wallet \(wallet.id)")
        }
        // Double entry: per currency the balances, settlement accounts included, still sum to zero.
        #expect(sums.values.allSatisfy { $0 == 0 }, "run \(run): balances per currency sum to \(sums)")
    }
}


/// The crash child as a process: its `committed <id>` lines as they arrive, and SIGKILL.
final class ChildProcess {
    private let process = Process()
    private let output = ChildOutput()

    init(path: String, arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let outputPipe = Pipe(), errorPipe = Pipe()
        process.standardOutput = outputPipe
        process.standardError = errorPipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        output.read(outputPipe.fileHandleForReading, errors: errorPipe.fileHandleForReading)
    }

    /// Waits until `count` commits were reported; false when `timeout` passed first.
    func waitForCommits(_ count: Int, timeout: Duration) -> Bool {
        let end = DispatchTime.now() + .milliseconds(Int(timeout.wholeMilliseconds))
        for _ in 0..<count where output.lineArrived.wait(timeout: end) == .timedOut { return false }
        return true
    }

    /// Sends SIGKILL and waits for the process and its output to end. Returns true when it had exited by itself.
    @discardableResult
    func kill() -> Bool {
        let wasRunning = process.isRunning
        if wasRunning { _ = Foundation.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        output.closed.wait()
        output.closed.wait()
        return !wasRunning || process.terminationReason != .uncaughtSignal
    }

    /// The order ids the child reported as committed, in order.
    var committed: [String] { output.committed.withLock { $0 } }

    var standardError: String { output.errorText.withLock { $0 } }
}

/// What the child's two pipes delivered, filled in by two reader threads.
final class ChildOutput: Sendable {
    let committed = Mutex<[String]>([])
    let errorText = Mutex("")
    /// Signalled once per `committed` line.
    let lineArrived = DispatchSemaphore(value: 0)
    /// Signalled once per pipe at end of file.
    let closed = DispatchSemaphore(value: 0)

    func read(_ standardOutput: FileHandle, errors standardError: FileHandle) {
        DispatchQueue.global().async {
            var pending = Data()
            while true {
                let chunk = standardOutput.availableData
                if chunk.isEmpty { break }
                pending.append(chunk)
                // Only complete lines count (the child writes each line at once, so a kill cannot split one).
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                    pending.removeSubrange(pending.startIndex...newline)
                    if line.hasPrefix("committed ") {
                        self.committed.withLock { $0.append(String(line.dropFirst("committed ".count))) }
                        self.lineArrived.signal()
                    }
                }
            }
            self.closed.signal()
        }
        DispatchQueue.global().async {
            let text = String(decoding: standardError.readDataToEndOfFile(), as: UTF8.self)
            self.errorText.withLock { $0 = text }
            self.closed.signal()
        }
    }
}
