import BridgeCore
import Dispatch
import FoundationEssentials
import Glibc

/// Group commit for a store whose every commit pays for a durable flush (an fsync): concurrent transactions share
/// one commit, so one flush makes a whole group durable instead of each caller waiting behind the others' flushes.
///
/// This is the part that does not depend on the database: the queue, electing a leader, the group size limit,
/// recording which callers are done and which failed, and recognizing a transaction started from inside a body.
/// Running a group is the store's (the `runGroup` closure of ``transaction(on:_:runNested:runGroup:)``).
///
/// Callers enqueue their body and wait. Whoever finds no leader at work becomes the leader: it takes what is queued
/// now (at most ``maximumGroupSize``, never waiting for more, so a lone caller pays nothing extra) and hands it to
/// `runGroup` on its own thread. While it runs, new callers queue up for the next group. Every caller returns only
/// after the group it was in has been run, so when the store's runner returns only after its `COMMIT`, each answer
/// is still durable.
///
/// Each waiting caller sleeps on its own job's wake-up, and the leader wakes exactly the callers it finished plus
/// the first one still queued, which leads the next group: under load, a broadcast would wake every waiting thread
/// at each commit only for most of them to sleep again (the profile of `make profile-transfers` showed those
/// wake-ups and the lock convoy after them as the largest share of a transfer's CPU time).
///
/// A store may give a `committer` (the same work as its `runGroup`) to keep the lead off the callers' threads under
/// load: a caller that finds no leader still leads its own group at once (a lone transaction pays no hand-off), but
/// when it is done and more transactions are queued, it hands the lead to the committer thread instead of to the
/// next caller, and the committer runs group after group while any are queued. Each hand-off from one caller to the
/// next wakes a sleeping thread before the next group can start, and on a loaded machine that thread may wait to be
/// scheduled (side by side with 32 connections: about 5,500 SQLite transfers/s that way, 7,500/s with the committer);
/// the committer does not sleep between groups. It lingers ``committerIdleTimeout`` after
/// the queue empties and then ends, so a quiet or closed store keeps no thread.
///
/// What a store's `runGroup` must do with the jobs it is handed, in order:
/// - run each job's body once, with ``GroupCommitJob/run(_:)``, in one database transaction, each body in its own
///   savepoint; a body that throws (`run` returns false) is rolled back to its savepoint, and its caller alone sees
///   its error;
/// - commit once;
/// - call ``GroupCommitJob/fail(_:)`` on every job whose changes did not commit (a failed commit, a lost
///   connection), which its caller then gets instead of its body's outcome;
/// - never throw or trap: it is called with the leader's lock released, by one thread at a time.
///
/// A `transaction` called from inside a body (on the leader's thread) must not queue: it would wait for a leader
/// that is itself. ``transaction(on:_:runNested:runGroup:)`` hands it to `runNested` instead, which runs it at once
/// in a nested savepoint of the transaction already open.
///
/// `@unchecked Sendable`: the queue, the leader's state and every job's `isDone` are only touched
/// while `state` is locked; a job's body and outcome are handed from its caller to the leader and back through that
/// lock (and the job's wake-up, signalled after it).
public final class GroupCommit<Handle>: @unchecked Sendable {
    /// The most bodies one commit covers unless told otherwise: bounds how long the last caller of a group waits for
    /// the others' bodies, while a group that large already makes the commit's flush a small share of its time.
    public static var defaultMaximumGroupSize: Int { 64 }

    /// The most bodies one commit covers (1: every transaction commits alone, as without group commit).
    public let maximumGroupSize: Int

    /// The queue and who leads; also guards every job's `isDone`.
    private struct State {
        var queue: [GroupCommitJob<Handle>] = []
        /// Invariant: a non-empty queue has a leader (running a group, or elected and about to).
        var leaderIsActive = false
        /// The thread running a group's bodies: a `transaction` call from inside a body runs inline instead of
        /// waiting for a leader that is itself.
        var leaderThread: pthread_t?
        /// The committer thread: none, started and waiting for a hand-off, or leading.
        var committer = CommitterState.none

        /// Takes the next group (at most `maximum` of the queue, in order) for `leader`, the thread about to run it.
        mutating func takeGroup(maximum: Int, leader: pthread_t) -> [GroupCommitJob<Handle>] {
            leaderThread = leader
            let group = Array(queue.prefix(maximum))
            queue.removeFirst(group.count)
            return group
        }

        /// The first caller queued, who is to lead next; nil, and no one leads, when the queue is empty.
        mutating func callerToLeadNext() -> GroupCommitJob<Handle>? {
            guard let next = queue.first else {
                leaderIsActive = false
                return nil
            }
            return next
        }
    }

    private enum CommitterState { case none, waiting, leading }

    /// Who leads after a caller's group: nobody (the queue is empty), the first caller queued, or the committer.
    private enum Successor { case none, caller(GroupCommitJob<Handle>), wakeCommitter, startCommitter }

    private let state = SleepingMutex(State())
    /// What the committer thread runs a group with (nil: no committer; the lead passes from caller to caller).
    private let committer: (@Sendable ([GroupCommitJob<Handle>]) -> Void)?
    /// Where the committer thread waits for a hand-off.
    private let committerWakeUp = DispatchSemaphore(value: 0)
    /// How long the committer thread waits for another hand-off before it ends.
    public let committerIdleTimeout: Duration

    /// A group commit covering at most `maximumGroupSize` bodies per commit (at least 1). With a `committer` (the
    /// store's group runner, held for the committer thread), the lead passes to that thread under load instead of
    /// from caller to caller (see the type's documentation).
    public init(maximumGroupSize: Int = defaultMaximumGroupSize,
                committer: (@Sendable ([GroupCommitJob<Handle>]) -> Void)? = nil,
                committerIdleTimeout: Duration = .seconds(1)) {
        self.maximumGroupSize = max(1, maximumGroupSize)
        self.committer = committer
        self.committerIdleTimeout = committerIdleTimeout
    }

    /// Whether the committer thread exists right now (waiting for a hand-off or leading); for tests.
    public var hasCommitterThread: Bool {
        state.withLock { $0.committer != .none }
    }

    /// How many transactions wait for a leader to take them (tests use it to build a group on purpose).
    public var queuedCount: Int {
        state.withLock { $0.queue.count }
    }

    /// Whether the calling thread is running a group's bodies right now.
    public var isCalledFromBody: Bool {
        let this = pthread_self()
        return state.withLock { state in
            guard let leaderThread = state.leaderThread else { return false }
            return pthread_equal(leaderThread, this) != 0
        }
    }

    /// Runs `body` as one transaction of a group and returns its result once the group's changes are durable, or
    /// throws the body's error or the group's failure.
    ///
    /// From inside a body it calls `runNested` with the job at once, on this thread. Otherwise it queues the job and
    /// waits; when this thread becomes the leader, `runGroup` runs with the group (see the type's documentation for
    /// what it must do). `storeName` names the store in the error of a job that neither ran nor failed (a runner
    /// that broke its contract), so that case is an error, not a trap.
    public func transaction<Result>(
        on storeName: String,
        _ body: (Handle) throws(ApprovalError) -> Result,
        runNested: (GroupCommitJob<Handle>) -> Void,
        runGroup: ([GroupCommitJob<Handle>]) -> Void
    ) throws(ApprovalError) -> Result {
        // The body is borrowed by whichever thread leads the group while this caller waits, and released before
        // this call returns (the job drops it once run, and `release()` below), which `withoutActuallyEscaping`
        // checks.
        let outcome = withoutActuallyEscaping(body) { escapable -> Swift.Result<Result, ApprovalError> in
            var bodyOutcome: Swift.Result<Result, ApprovalError>?
            let job = GroupCommitJob<Handle> { handle in
                do throws(ApprovalError) {
                    bodyOutcome = .success(try escapable(handle))
                    return true
                } catch {
                    bodyOutcome = .failure(error)
                    return false
                }
            }
            if isCalledFromBody {
                runNested(job)
            } else {
                submit(job, runGroup: runGroup)
            }
            job.release()
            if let failure = job.failure { return .failure(failure) }
            return bodyOutcome ?? .failure(.storage("the transaction on \(storeName) did not run"))
        }
        return try outcome.get()
    }

    /// Queues `body` as one transaction of a group and returns at once; `completion` gets its result, or the body's
    /// error or the group's failure, once the group's changes are durable.
    ///
    /// The group runs on the committer thread, so this needs a group commit made with a `committer`; without one,
    /// or when called from inside a body (whose transaction has not committed yet), `completion` gets a storage error
    /// at once. `completion` runs on the thread that ran the group (the committer, or a caller leading a group that
    /// took this job along), right after its commit: it must not block, nor wait for another transaction of this
    /// group commit (it would wait for itself); it may submit one without waiting.
    public func submitWithoutWaiting<Result>(
        on storeName: String,
        _ body: @escaping (Handle) throws(ApprovalError) -> Result,
        completion: @escaping (Swift.Result<Result, ApprovalError>) -> Void
    ) {
        guard committer != nil, !isCalledFromBody else {
            let reason = committer == nil ? "has no committer thread" : "was asked from inside a transaction"
            return completion(.failure(.storage("a transaction submitted without waiting on \(storeName) \(reason)")))
        }
        let outcome = GroupCommitOutcome<Result>()
        let job = GroupCommitJob<Handle>(execute: { handle in
            do throws(ApprovalError) {
                outcome.value = .success(try body(handle))
                return true
            } catch {
                outcome.value = .failure(error)
                return false
            }
        })
        job.completion = { [unowned job] in
            if let failure = job.failure { return completion(.failure(failure)) }
            completion(outcome.value ?? .failure(.storage("the transaction on \(storeName) did not run")))
        }
        let successor = state.withLock { state -> Successor in
            state.queue.append(job)
            guard !state.leaderIsActive else { return .none }
            // No leader: the committer takes the lead (invariant: it is waiting or not started, never leading, here).
            state.leaderIsActive = true
            let wasWaiting = state.committer == .waiting
            state.committer = .leading
            return wasWaiting ? .wakeCommitter : .startCommitter
        }
        switch successor {
        case .wakeCommitter: committerWakeUp.signal()
        case .startCommitter: startCommitter()
        case .none, .caller: break
        }
    }

    /// Queues `job` and returns once its group has been run by `runGroup` (on this thread or another). `runGroup`
    /// is only ever called by one thread at a time. Prefer ``transaction(on:_:runNested:runGroup:)``, which also
    /// handles a call from inside a body.
    public func submit(_ job: GroupCommitJob<Handle>, runGroup: ([GroupCommitJob<Handle>]) -> Void) {
        let leadsNow = state.withLock { state -> Bool in
            state.queue.append(job)
            guard !state.leaderIsActive else { return false }
            // No leader means an empty queue before this job: it is first, so it is in the group it leads.
            state.leaderIsActive = true
            return true
        }
        if !leadsNow {
            // Woken once: either this job's group has been run, or the leader before handed this thread the lead.
            job.wakeUp.wait()
            if state.withLock({ _ in job.isDone }) { return }
        }
        lead(job, runGroup: runGroup)
    }

    /// Runs one group on this thread, then wakes the group's other callers and hands the lead on when more are
    /// queued: to the committer thread when there is one, otherwise to the first caller still queued. `own` is first
    /// in the queue (a newcomer to an empty queue, or the one the last leader handed the lead), so it is in this
    /// group.
    private func lead(_ own: GroupCommitJob<Handle>, runGroup: ([GroupCommitJob<Handle>]) -> Void) {
        let this = pthread_self()
        let group = state.withLock { $0.takeGroup(maximum: maximumGroupSize, leader: this) }
        assert(group.first === own, "the leader's own job is first in the queue")
        runGroup(group)
        let successor = state.withLock { state -> Successor in
            for member in group { member.isDone = true }
            state.leaderThread = nil
            guard let next = state.callerToLeadNext() else { return .none }
            guard committer != nil else { return .caller(next) }
            // The lead is the committer's from here on; leaderIsActive stays set.
            let wasWaiting = state.committer == .waiting
            state.committer = .leading
            return wasWaiting ? .wakeCommitter : .startCommitter
        }
        // Signalled after the lock is released, so a woken caller does not block on it at once; the next leader
        // first, so the next group's bodies start while this one's callers are still being woken.
        switch successor {
        case .none: break
        case .caller(let next): next.wakeUp.signal()
        case .wakeCommitter: committerWakeUp.signal()
        case .startCommitter: startCommitter()
        }
        for member in group where member !== own { member.finished() }
    }

    /// Starts the committer thread, already marked as leading. When the system refuses a thread, the lead goes to the
    /// first caller queued instead, as without a committer.
    private func startCommitter() {
        let started = NativeThread.start("walletbridge-commit") { [self] in
            // Started by a caller, whose scheduling it inherits: the HTTP server's callers are batch threads, and the
            // committer is the one thread that must not wait behind them.
            NativeThread.setScheduling(.normal)
            runCommitter()
        }
        guard !started else { return }
        let next = state.withLock { state -> GroupCommitJob<Handle>? in
            state.committer = .none
            return state.callerToLeadNext()
        }
        guard let next else { return }
        if next.completion == nil {
            next.wakeUp.signal()
        } else {
            // Nobody waits on a job submitted without waiting: this thread runs what is queued instead.
            runQueuedGroups(onCommitterThread: false)
        }
    }

    /// Runs the queued groups on the calling thread until the queue is empty, then gives up the lead (callers lead
    /// again until the next hand-off). On the committer thread it then waits for that hand-off; elsewhere it is for
    /// when the system refused the committer thread and the job first in the queue has no caller waiting to lead.
    private func runQueuedGroups(onCommitterThread: Bool) {
        guard let committer else { return }
        let this = pthread_self()
        while true {
            let group = state.withLock { state -> [GroupCommitJob<Handle>] in
                guard !state.queue.isEmpty else {
                    state.leaderIsActive = false
                    state.leaderThread = nil
                    if onCommitterThread { state.committer = .waiting }
                    return []
                }
                return state.takeGroup(maximum: maximumGroupSize, leader: this)
            }
            if group.isEmpty { return }
            committer(group)
            state.withLock { state in
                for member in group { member.isDone = true }
                // The completions that follow run outside any body: one may submit another transaction.
                state.leaderThread = nil
            }
            for member in group { member.finished() }
        }
    }

    /// The committer thread: runs groups while any are queued, then waits up to ``committerIdleTimeout`` for the
    /// next hand-off, and ends when none comes.
    private func runCommitter() {
        repeat {
            runQueuedGroups(onCommitterThread: true)
        } while waitForHandOff()
    }

    /// Waits for a caller to hand the committer the lead; false when none did within ``committerIdleTimeout`` and the
    /// thread should end.
    private func waitForHandOff() -> Bool {
        // At most a day, so that the nanoseconds cannot overflow.
        let (seconds, attoseconds) = committerIdleTimeout.components
        let nanoseconds = max(0, min(seconds, 86_400) * 1_000_000_000 + attoseconds / 1_000_000_000)
        if committerWakeUp.wait(timeout: .now() + .nanoseconds(Int(nanoseconds))) == .success { return true }
        let ends = state.withLock { state -> Bool in
            // A hand-off may have marked the committer leading just as the wait timed out: its signal is on the way.
            guard state.committer == .waiting else { return false }
            state.committer = .none
            return true
        }
        if ends { return false }
        committerWakeUp.wait()
        return true
    }
}

/// One caller's transaction body, type-erased for the leader, and what became of it: the store's runner runs it
/// with ``run(_:)`` and reports a failed commit with ``fail(_:)``. The body is only borrowed for the call: the job
/// drops it as soon as it ran or failed, before its caller can return.
///
/// `@unchecked Sendable`: a job is created by its caller, used by the leader while the caller waits, and read by the
/// caller again after ``GroupCommit`` marked it done under its lock; never by two threads at once.
public final class GroupCommitJob<Handle>: @unchecked Sendable {
    /// Runs the body on a store transaction handle; true when it returned, false when it threw.
    private var execute: ((Handle) -> Bool)?
    /// Set (under the group commit's lock) once the job's group has been run.
    fileprivate var isDone = false
    /// Where the job's caller sleeps until its group has run or it is handed the lead.
    fileprivate let wakeUp = DispatchSemaphore(value: 0)
    /// For a job submitted without waiting (``GroupCommit/submitWithoutWaiting(on:_:completion:)``): called once its
    /// group has run, instead of waking a caller. Nil for a caller that waits.
    fileprivate var completion: (() -> Void)?

    /// Set when this job's changes did not commit: what its caller gets instead of its body's outcome.
    public private(set) var failure: ApprovalError?

    /// A job running `execute` (true when the body returned, false when it threw).
    public init(execute: @escaping (Handle) -> Bool) {
        self.execute = execute
    }

    /// Runs the body once on `handle` and lets it go: true when it returned, false when it threw (its error is kept
    /// for its caller) or had already run or failed.
    public func run(_ handle: Handle) -> Bool {
        defer { execute = nil }
        return execute?(handle) ?? false
    }

    /// Records that this job's changes did not (or will not) commit: its caller gets `error`. The body is let go
    /// unrun if it had not run yet.
    public func fail(_ error: ApprovalError) {
        failure = error
        execute = nil
    }

    /// Lets the body go unrun (its caller is about to return).
    func release() {
        execute = nil
    }

    /// Its group has run: wakes its caller, or calls its completion (once) when nobody waits.
    fileprivate func finished() {
        guard let completion else {
            wakeUp.signal()
            return
        }
        self.completion = nil
        execute = nil
        completion()
    }
}

/// What the body of a job submitted without waiting returned or threw, kept for its completion.
///
/// `@unchecked Sendable`: written by the thread running the body, read by the same thread's completion after it.
private final class GroupCommitOutcome<Value>: @unchecked Sendable {
    var value: Swift.Result<Value, ApprovalError>?
}
