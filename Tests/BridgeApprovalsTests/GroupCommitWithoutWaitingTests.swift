import BridgeApprovals
import BridgeCore
import Dispatch
import Foundation
import Glibc
import Synchronization
import Testing

/// Transactions submitted without waiting (`GroupCommit.submitWithoutWaiting`), on a `GroupCommit` of its own (no
/// database): the submitter returns at once, the committer thread runs the groups, and each completion gets its own
/// body's value or error only after its group has run.
@Suite("Group commit: transactions submitted without waiting")
struct GroupCommitWithoutWaitingTests {
    /// What the runner saw and what the completions got, in order.
    private final class Log: Sendable {
        private struct State {
            var groups: [[Int]] = []
            var completions: [(value: Result<Int, ApprovalError>, thread: String, groupsRunBefore: Int)] = []
        }
        private let state = Mutex(State())
        let gate = DispatchSemaphore(value: 0)
        let firstGroupStarted = DispatchSemaphore(value: 0)
        let allCompleted = DispatchSemaphore(value: 0)
        let expected: Int
        let holdFirstGroup: Bool

        init(expected: Int, holdFirstGroup: Bool) {
            self.expected = expected
            self.holdFirstGroup = holdFirstGroup
        }

        /// Runs each job with its handle, the caller's value to return (jobs built by `submit` ignore the handle).
        func run(_ group: [GroupCommitJob<Int>], failing: ApprovalError? = nil) {
            let isFirst = state.withLock { state -> Bool in
                state.groups.append([])
                return state.groups.count == 1
            }
            if isFirst, holdFirstGroup {
                firstGroupStarted.signal()
                gate.wait()
            }
            for job in group {
                if let failing {
                    job.fail(failing)
                } else {
                    _ = job.run(0)
                }
            }
            state.withLock { $0.groups[$0.groups.count - 1] = [group.count] }
        }

        func completed(_ value: Result<Int, ApprovalError>) {
            let done = state.withLock { state -> Bool in
                state.completions.append((value, Self.threadName(), state.groups.count))
                return state.completions.count == expected
            }
            if done { allCompleted.signal() }
        }

        var groupSizes: [Int] { state.withLock { $0.groups.flatMap { $0 } } }
        var completions: [(value: Result<Int, ApprovalError>, thread: String, groupsRunBefore: Int)] {
            state.withLock { $0.completions }
        }

        static func threadName() -> String {
            let name = (try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? ""
            return name.trimmingCharacters(in: .newlines)
        }
    }

    private static func submit(_ commit: GroupCommit<Int>, _ log: Log, value: Int) {
        commit.submitWithoutWaiting(on: "test", { _ throws(ApprovalError) -> Int in
            if value < 0 { throw .invalidRequest("negative \(value)") }
            return value
        }, completion: { log.completed($0) })
    }

    /// Ten submissions return before anything runs; the committer thread then runs them in groups of at most four, and
    /// each completion, on that thread, gets its own value; a body that throws fails its own completion only.
    @Test func theCommitterRunsThemAndEachCompletionGetsItsOwnOutcome() throws {
        let log = Log(expected: 10, holdFirstGroup: true)
        let commit = GroupCommit<Int>(maximumGroupSize: 4, committer: { log.run($0) })
        Self.submit(commit, log, value: 0)
        log.firstGroupStarted.wait()
        for value in 1..<10 { Self.submit(commit, log, value: value == 5 ? -5 : value) }
        // Every submission has returned while the first group is still held: nothing completed yet.
        #expect(commit.queuedCount == 9)
        #expect(log.completions.isEmpty)
        log.gate.signal()
        #expect(log.allCompleted.wait(timeout: .now() + 10) == .success)

        #expect(log.groupSizes == [1, 4, 4, 1])
        let completions = log.completions
        #expect(completions.allSatisfy { $0.thread == "walletbridge-co" })
        let values = completions.compactMap { try? $0.value.get() }
        #expect(values == [0, 1, 2, 3, 4, 6, 7, 8, 9])
        let failures = completions.compactMap { completion -> ApprovalError? in
            if case .failure(let error) = completion.value { error } else { nil }
        }
        #expect(failures == [.invalidRequest("negative -5")])
        // Each completion came after the group holding it ran: job n is in group n / 4 + 1 (the first alone).
        for (position, completion) in completions.enumerated() {
            let group = position == 0 ? 1 : (position - 1) / 4 + 2
            #expect(completion.groupsRunBefore >= group)
        }
    }

    /// A group whose commit failed hands every completion in it the failure, not its body's value.
    @Test func aFailedGroupFailsEveryCompletionInIt() throws {
        let log = Log(expected: 3, holdFirstGroup: false)
        let commit = GroupCommit<Int>(maximumGroupSize: 8, committer: { log.run($0, failing: .storage("disk full")) })
        for value in 1...3 { Self.submit(commit, log, value: value) }
        #expect(log.allCompleted.wait(timeout: .now() + 10) == .success)
        #expect(log.completions.map(\.value) == Array(repeating: .failure(.storage("disk full")), count: 3))
    }

    /// Callers that wait and submissions that do not share the queue: every one gets its own value.
    @Test func waitingCallersAndSubmissionsShareTheGroups() throws {
        let log = Log(expected: 64, holdFirstGroup: false)
        let commit = GroupCommit<Int>(maximumGroupSize: 16, committer: { log.run($0) })
        let waited = Mutex<[Int]>([])
        DispatchQueue.concurrentPerform(iterations: 128) { index in
            if index % 2 == 0 {
                Self.submit(commit, log, value: index)
            } else {
                let value = try? commit.transaction(on: "test", { _ throws(ApprovalError) in index },
                                                    runNested: { _ in }, runGroup: { log.run($0) })
                waited.withLock { $0.append(value ?? -1) }
            }
        }
        #expect(log.allCompleted.wait(timeout: .now() + 10) == .success)
        #expect(waited.withLock { $0.sorted() } == Array(stride(from: 1, to: 128, by: 2)))
        #expect(log.completions.compactMap { try? $0.value.get() }.sorted() == Array(stride(from: 0, to: 128, by: 2)))
        #expect(commit.queuedCount == 0)
    }

    /// Without a committer thread, or from inside a body (whose transaction has not committed), there is nothing to
    /// complete it durably: the completion gets a storage error at once, and the body never runs.
    @Test func withoutACommitterOrFromInsideABodyItFailsAtOnce() throws {
        let ran = Mutex(false)
        let outcomes = Mutex<[Result<Int, ApprovalError>]>([])
        let plain = GroupCommit<Int>()
        plain.submitWithoutWaiting(on: "plain", { _ throws(ApprovalError) -> Int in
            ran.withLock { $0 = true }
            return 1
        }, completion: { outcome in outcomes.withLock { $0.append(outcome) } })
        #expect(outcomes.withLock { $0 } == [.failure(.storage("a transaction submitted without waiting on plain has no committer thread"))])

        let commit = GroupCommit<Int>(committer: { group in for job in group { _ = job.run(0) } })
        let inner = Mutex<Result<Int, ApprovalError>?>(nil)
        let outer = try commit.transaction(on: "nested", { _ throws(ApprovalError) -> Int in
            commit.submitWithoutWaiting(on: "nested", { _ throws(ApprovalError) -> Int in
                ran.withLock { $0 = true }
                return 2
            }, completion: { outcome in inner.withLock { $0 = outcome } })
            return 3
        }, runNested: { _ in }, runGroup: { group in for job in group { _ = job.run(0) } })
        #expect(outer == 3)
        #expect(inner.withLock { $0 } == .failure(.storage("a transaction submitted without waiting on nested was asked from inside a transaction")))
        #expect(ran.withLock { $0 } == false)
    }
}
