import BridgeApprovals
import BridgeCore
import Dispatch
import Foundation
import Glibc
import Synchronization
import Testing

/// The group commit's committer thread, on a `GroupCommit` of its own (no database): which thread runs each group,
/// that every caller still gets its own outcome, that groups never overlap, and that the thread ends once idle.
@Suite("Group commit: the committer thread")
struct GroupCommitCommitterTests {
    /// What a test's runner saw: each group's size and the thread that ran it, and whether two groups ever overlapped.
    private final class Runs: Sendable {
        private struct State {
            var groups: [(size: Int, thread: pthread_t, threadName: String, scheduling: NativeThread.Scheduling)] = []
            var running = 0
            var overlapped = false
        }
        private let state = Mutex(State())
        /// Opened by the test to let the first group finish (nil: groups never wait).
        let firstGroupGate: DispatchSemaphore?
        let firstGroupStarted = DispatchSemaphore(value: 0)

        init(holdFirstGroup: Bool) {
            firstGroupGate = holdFirstGroup ? DispatchSemaphore(value: 0) : nil
        }

        /// Runs each job with its handle (the job's position in the group), as a store's runner would.
        func run(_ group: [GroupCommitJob<Int>]) {
            let isFirst = state.withLock { state -> Bool in
                state.running += 1
                if state.running > 1 { state.overlapped = true }
                state.groups.append((group.count, pthread_self(), Self.threadName(), NativeThread.scheduling))
                return state.groups.count == 1
            }
            if isFirst, let firstGroupGate {
                firstGroupStarted.signal()
                firstGroupGate.wait()
            }
            for (index, job) in group.enumerated() { _ = job.run(index) }
            state.withLock { $0.running -= 1 }
        }

        var groups: [(size: Int, thread: pthread_t, threadName: String, scheduling: NativeThread.Scheduling)] {
            state.withLock { $0.groups }
        }

        /// The calling thread's name, as the kernel keeps it (its first 15 bytes).
        static func threadName() -> String {
            let name = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
            return name.trimmingCharacters(in: .newlines)
        }
        var overlapped: Bool { state.withLock { $0.overlapped } }
    }

    /// A group commit whose runner and committer are `runs`.
    private static func groupCommit(_ runs: Runs, idleTimeout: Duration = .seconds(1)) -> GroupCommit<Int> {
        GroupCommit<Int>(maximumGroupSize: 4, committer: { group in runs.run(group) }, committerIdleTimeout: idleTimeout)
    }

    /// One caller's transaction: its body returns `value`, which the caller must get back.
    private static func call(_ commit: GroupCommit<Int>, _ runs: Runs, value: Int) throws(ApprovalError) -> Int {
        try commit.transaction(on: "test", { _ throws(ApprovalError) in value },
                               runNested: { job in _ = job.run(-1) }, runGroup: { group in runs.run(group) })
    }

    /// Runs `work(index)` on `count` real threads at once and returns each one's pthread when all finished.
    private static func onThreads(_ count: Int, _ work: @escaping @Sendable (Int) -> Void) -> [pthread_t] {
        let threads = Mutex<[Int: pthread_t]>([:])
        let finished = DispatchGroup()
        for index in 0..<count {
            finished.enter()
            Thread {
                threads.withLock { $0[index] = pthread_self() }
                work(index)
                finished.leave()
            }.start()
        }
        finished.wait()
        return threads.withLock { threads in (0..<count).compactMap { threads[$0] } }
    }

    /// Waits (up to 10 s) until `condition` holds: a condition, not a timing assumption.
    private static func waitUntil(_ condition: () -> Bool) -> Bool {
        let deadline = ContinuousClock.now + .seconds(10)
        while !condition() {
            if ContinuousClock.now > deadline { return false }
            usleep(1_000)
        }
        return true
    }

    /// The first caller leads its own group; the callers queued behind it meanwhile are run by the committer thread,
    /// which is none of the callers' threads, in groups of at most 4, each caller getting its own value.
    @Test func callersQueuedBehindALeaderAreRunByTheCommitter() throws {
        let runs = Runs(holdFirstGroup: true)
        let commit = Self.groupCommit(runs)
        let answers = Mutex<[Int: Int]>([:])
        let followers = 9
        let threads = Self.onThreads(1 + followers + 1) { index in
            if index == followers + 1 {
                // The releaser: lets the first group finish once every follower is queued.
                runs.firstGroupStarted.wait()
                _ = Self.waitUntil { commit.queuedCount == followers }
                runs.firstGroupGate?.signal()
                return
            }
            if index > 0 { _ = Self.waitUntil { runs.groups.count == 1 } }
            // Batch-scheduled callers, as the HTTP server's are: the committer they start must not inherit it.
            NativeThread.setScheduling(.batch)
            let answer = try? Self.call(commit, runs, value: 1000 + index)
            answers.withLock { $0[index] = answer }
        }
        let groups = runs.groups
        #expect(answers.withLock { $0 } == Dictionary(uniqueKeysWithValues: (0...followers).map { ($0, 1000 + $0) }))
        #expect(groups.map(\.size) == [1, 4, 4, 1])
        #expect(pthread_equal(groups[0].thread, threads[0]) != 0, "the first caller leads its own group")
        // Thread names, not pthread_t values: a thread that ended (the releaser) may leave its value to the next one.
        #expect(groups.dropFirst().map(\.threadName) == ["walletbridge-co", "walletbridge-co", "walletbridge-co"])
        let committerThread = groups[1].thread
        #expect(groups.dropFirst().allSatisfy { pthread_equal($0.thread, committerThread) != 0 },
                "the later groups ran on one committer thread")
        #expect(groups[0].scheduling == .batch)
        #expect(groups.dropFirst().allSatisfy { $0.scheduling == .normal }, "the committer runs with normal scheduling")
        #expect(!runs.overlapped)
    }

    /// Once idle for its timeout the committer thread ends; the next hand-off starts another, and a lone caller
    /// afterwards leads itself again.
    @Test func theCommitterEndsWhenIdleAndComesBackUnderLoad() throws {
        let runs = Runs(holdFirstGroup: false)
        let commit = Self.groupCommit(runs, idleTimeout: .milliseconds(20))
        for round in 0..<3 {
            let answers = Mutex<[Int]>([])
            _ = Self.onThreads(16) { index in
                for step in 0..<20 {
                    if let answer = try? Self.call(commit, runs, value: round * 10_000 + index * 100 + step) {
                        answers.withLock { $0.append(answer) }
                    }
                }
            }
            let expected = (0..<16).flatMap { index in (0..<20).map { round * 10_000 + index * 100 + $0 } }
            #expect(answers.withLock { $0.sorted() } == expected.sorted())
            #expect(Self.waitUntil { !commit.hasCommitterThread }, "the committer thread did not end when idle")
        }
        #expect(!runs.overlapped)
        // Alone, a caller runs its own group on its own thread.
        let before = runs.groups.count
        let lone = Self.onThreads(1) { _ in _ = try? Self.call(commit, runs, value: 7) }
        #expect(runs.groups.count == before + 1)
        #expect(pthread_equal(runs.groups[before].thread, lone[0]) != 0)
    }
}
