import BridgeApprovals
import BridgeCore
@testable import BridgeStore
import Foundation
import Synchronization
import Testing

/// The background checkpoint (`SQLiteCheckpointer`): scheduled by commits, one at a time, nothing when idle.
@Suite("SQLite store: background checkpoints")
struct CheckpointerTests {
    /// A scheduler that keeps what it is given until the test runs it.
    private final class HeldWork: Sendable {
        private let held = Mutex<[(delay: Duration, work: @Sendable () -> Void)]>([])

        var schedule: SQLiteCheckpointer.Scheduler {
            { delay, work in self.held.withLock { $0.append((delay, work)) } }
        }

        var delays: [Duration] { held.withLock { $0.map(\.delay) } }

        /// Runs the oldest scheduled work.
        func runNext() {
            let next = held.withLock { $0.isEmpty ? nil : $0.removeFirst() }
            next?.work()
        }
    }

    private func commitAWallet(_ store: SQLiteApprovalStore, _ id: String) throws(ApprovalError) {
        try store.transaction { transaction throws(ApprovalError) in
            try transaction.insertWallet(Fixtures.wallet(id, user: "user-\(id)"))
        }
    }

    @Test func commitsScheduleOneCheckpointAtATimeAndIdleSchedulesNone() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try SQLiteApprovalStore(path: database.path, clock: ManualClock(), checkpointInterval: nil)
        defer { store.close() }
        let held = HeldWork()
        let checkpointer = try SQLiteCheckpointer(path: database.path, interval: .milliseconds(20), schedule: held.schedule)

        #expect(held.delays.isEmpty)
        try commitAWallet(store, "w-1")
        checkpointer.noteCommit()
        try commitAWallet(store, "w-2")
        checkpointer.noteCommit()
        // The second commit's pages go with the first's: one checkpoint waits, 20 ms after the first commit.
        #expect(held.delays == [.milliseconds(20)])
        #expect(checkpointer.checkpoints.runs == 0)

        held.runNext()
        let first = checkpointer.checkpoints
        #expect(first.runs == 1)
        let report = try #require(first.last)
        #expect(report.logFrames > 0)
        #expect(report.checkpointedFrames == report.logFrames)

        // Once it has started, the next commit schedules the next one.
        try commitAWallet(store, "w-3")
        checkpointer.noteCommit()
        #expect(held.delays == [.milliseconds(20)])
        checkpointer.close()
        held.runNext()
        #expect(checkpointer.checkpoints.runs == 1, "a checkpoint due after close does nothing")
    }

    @Test func theStoreCheckpointsSoonAfterACommit() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try SQLiteApprovalStore(path: database.path, clock: ManualClock(), checkpointInterval: .milliseconds(1))
        defer { store.close() }
        let before = try #require(store.checkpoints).runs
        try commitAWallet(store, "w-1")
        // A condition, not a timing assumption: up to 10 s for a checkpoint due 1 ms after the commit.
        let deadline = ContinuousClock.now + .seconds(10)
        while (store.checkpoints?.runs ?? 0) == before, ContinuousClock.now < deadline { usleep(1_000) }
        let after = try #require(store.checkpoints)
        #expect(after.runs > before)
        let report = try #require(after.last)
        #expect(report.logFrames > 0)
        #expect(report.checkpointedFrames == report.logFrames)
    }
}
