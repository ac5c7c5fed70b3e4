import BridgeApprovals
import Foundation

/// Group commit for ``SQLiteApprovalStore/transaction(_:)``: concurrent callers share one `COMMIT`, so one fsync makes
/// a whole group durable instead of each caller waiting behind the others' fsyncs.
///
/// Callers enqueue their body and wait. Whoever finds no leader at work becomes the leader: it takes what is queued
/// now (at most ``maximumGroupSize``, never waiting for more, so a lone caller pays nothing extra), runs every body one
/// after another in one `BEGIN IMMEDIATE` transaction, each inside its own savepoint, and commits once. A body that
/// throws is rolled back to its savepoint and only its caller sees the error. Every caller returns only after the
/// group's `COMMIT` succeeded, so each answer is still durable; when the commit fails, every caller of the group gets
/// the storage error and none of the group's changes exist.
final class SQLiteGroupCommit: @unchecked Sendable {
    /// The most bodies one commit covers: bounds how long the last caller of a group waits for the others' bodies.
    static let maximumGroupSize = 64

    /// Guards `queue`, `leaderIsActive`, `leaderThread` and every job's `isDone`/`commitFailure`.
    private let condition = NSCondition()
    private var queue: [SQLiteGroupCommitJob] = []
    private var leaderIsActive = false
    /// The thread running a group's bodies: a `transaction` call from inside a body runs inline instead of waiting
    /// for a leader that is itself.
    private var leaderThread: pthread_t?

    /// How many transactions wait for a leader to take them (the tests use it to build a group on purpose).
    var queuedCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return queue.count
    }

    /// Whether the calling thread is running a group's bodies right now.
    var isCalledFromBody: Bool {
        condition.lock()
        defer { condition.unlock() }
        guard let leaderThread else { return false }
        return pthread_equal(leaderThread, pthread_self()) != 0
    }

    /// Queues `job` and returns once its group committed (or failed). `runGroup` runs the bodies of a group on the
    /// connection; it is only ever called by one thread at a time.
    func submit(_ job: SQLiteGroupCommitJob, runGroup: ([SQLiteGroupCommitJob]) -> Void) {
        condition.lock()
        queue.append(job)
        while !job.isDone {
            if leaderIsActive {
                condition.wait()
                continue
            }
            // Lead: the queue is first in, first out, so this job is in this group or a later one this thread leads.
            leaderIsActive = true
            leaderThread = pthread_self()
            let group = Array(queue.prefix(Self.maximumGroupSize))
            queue.removeFirst(group.count)
            condition.unlock()
            runGroup(group)
            condition.lock()
            for member in group { member.isDone = true }
            leaderIsActive = false
            leaderThread = nil
            condition.broadcast()
        }
        condition.unlock()
    }
}

/// One caller's body, type-erased for the leader. `execute` runs it and keeps its outcome for the caller; the leader
/// drops `execute` as soon as it ran, before the caller can return (the body is only borrowed for the call).
final class SQLiteGroupCommitJob: @unchecked Sendable {
    /// Runs the body on a store transaction handle; true when it returned, false when it threw.
    var execute: ((SQLiteStoreTransaction) -> Bool)?
    /// Set when the group this body ran in did not commit: what the caller gets instead of the body's outcome.
    var commitFailure: ApprovalError?
    var isDone = false

    init(execute: @escaping (SQLiteStoreTransaction) -> Bool) {
        self.execute = execute
    }

    /// Runs the body once and lets it go.
    func run(_ handle: SQLiteStoreTransaction) -> Bool {
        defer { execute = nil }
        return execute?(handle) ?? false
    }
}

extension SQLiteDatabase {
    /// The savepoint every body of a group runs in (nested bodies reuse the name: SQLite unwinds the innermost).
    private static let bodySavepoint = "group_commit_body"

    /// Runs `jobs` one after another in one `BEGIN IMMEDIATE` transaction, each in its own savepoint, and commits
    /// once. Sets `commitFailure` on each job whose changes did not commit. `auditHead` is put back to what it was
    /// whenever a body's changes are undone, so it never names an event that no longer exists. The wallets the group
    /// wrote may be cached again once it has committed or rolled back (``SQLiteWalletCache/endWrites()``).
    func runGroup(_ jobs: [SQLiteGroupCommitJob], auditHead: AuditHeadCache, wallets: SQLiteWalletCache) {
        defer { wallets.endWrites() }
        var uncommitted: [SQLiteGroupCommitJob] = []
        var headBeforeTransaction = auditHead.event
        for job in jobs {
            if !isInTransaction {
                do throws(ApprovalError) {
                    try run("BEGIN IMMEDIATE")
                } catch {
                    job.commitFailure = error
                    job.execute = nil
                    continue
                }
                headBeforeTransaction = auditHead.event
            }
            let headBeforeBody = auditHead.event
            if let failure = runInSavepoint(job, auditHead: auditHead, wallets: wallets, headBeforeBody: headBeforeBody) {
                // SQLite rolled the whole transaction back on its own (a full disk, an I/O error): the bodies before
                // this one lost their changes too, so they fail; the rest start a new transaction.
                auditHead.event = headBeforeTransaction
                for earlier in uncommitted {
                    earlier.commitFailure = .storage("the transaction was rolled back before it committed: \(failure)")
                }
                uncommitted.removeAll()
                continue
            }
            uncommitted.append(job)
        }
        guard isInTransaction else { return }
        do throws(ApprovalError) {
            try run("COMMIT")
        } catch {
            if isInTransaction { _ = try? run("ROLLBACK") }
            auditHead.event = headBeforeTransaction
            for job in uncommitted { job.commitFailure = error }
        }
    }

    /// Runs a `transaction` called from inside another body on the same thread: in a nested savepoint of the
    /// transaction already open, committed (or not) with it. Waiting for a group would wait for itself.
    func runNested(_ job: SQLiteGroupCommitJob, auditHead: AuditHeadCache, wallets: SQLiteWalletCache) {
        guard isInTransaction else {
            job.commitFailure = .storage("a nested store transaction ran outside a transaction")
            job.execute = nil
            return
        }
        if let failure = runInSavepoint(job, auditHead: auditHead, wallets: wallets, headBeforeBody: auditHead.event),
           job.commitFailure == nil {
            job.commitFailure = .storage("the transaction was rolled back: \(failure)")
        }
    }

    /// Runs one body inside a savepoint, rolled back to it when the body throws. Returns what broke when the
    /// enclosing transaction is gone afterwards (the body's own error is already recorded in the job).
    private func runInSavepoint(
        _ job: SQLiteGroupCommitJob, auditHead: AuditHeadCache, wallets: SQLiteWalletCache, headBeforeBody: AuditEvent?
    ) -> String? {
        do throws(ApprovalError) {
            try run("SAVEPOINT \(Self.bodySavepoint)")
        } catch {
            job.commitFailure = error
            job.execute = nil
            return isInTransaction ? nil : "\(error)"
        }
        let handle = SQLiteStoreTransaction(database: self, auditHead: auditHead, wallets: wallets)
        let succeeded = job.run(handle)
        handle.end()
        if succeeded {
            do throws(ApprovalError) {
                try run("RELEASE \(Self.bodySavepoint)")
                return nil
            } catch {
                // The caller is told it failed, so its changes must not commit with the others.
                job.commitFailure = error
                if isInTransaction { _ = try? run("ROLLBACK") }
                return "\(error)"
            }
        }
        auditHead.event = headBeforeBody
        // The body's own error goes to its caller; only a broken transaction concerns the rest of the group.
        guard isInTransaction else { return "a body's failure ended the transaction" }
        do throws(ApprovalError) {
            try run("ROLLBACK TO \(Self.bodySavepoint)")
            try run("RELEASE \(Self.bodySavepoint)")
            return nil
        } catch {
            // Undoing this body failed, so its changes may linger: the whole transaction must go.
            if isInTransaction { _ = try? run("ROLLBACK") }
            return "\(error)"
        }
    }
}
