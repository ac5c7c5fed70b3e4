import BridgeApprovals
import FoundationEssentials

/// Group commit for ``SQLiteApprovalStore/transaction(_:)``: concurrent callers share one `COMMIT`, so one fsync makes
/// a whole group durable instead of each caller waiting behind the others' fsyncs.
///
/// The queue, the leader and the bookkeeping are BridgeApprovals' ``GroupCommit``; what is SQLite's is how a group
/// runs (below): every body one after another in one `BEGIN IMMEDIATE` transaction, each inside its own savepoint,
/// then one commit. A body that throws is rolled back to its savepoint and only its caller sees the error. Every
/// caller returns only after the group's `COMMIT` succeeded, so each answer is still durable; when the commit fails,
/// every caller of the group gets the storage error and none of the group's changes exist.
///
/// The store gives its group runner as the ``GroupCommit``'s committer: under load, groups run one after another on
/// the committer thread, without a sleeping caller being woken to lead each next group.
typealias SQLiteGroupCommit = GroupCommit<SQLiteStoreTransaction>

/// One caller's body, as the leader runs it on the SQLite connection.
typealias SQLiteGroupCommitJob = GroupCommitJob<SQLiteStoreTransaction>

extension SQLiteDatabase {
    /// The savepoint every body of a group runs in (nested bodies reuse the name: SQLite unwinds the innermost).
    private static let bodySavepoint = "group_commit_body"

    /// Runs `jobs` one after another in one `BEGIN IMMEDIATE` transaction, each in its own savepoint, and commits
    /// once. Fails (``GroupCommitJob/fail(_:)``) each job whose changes did not commit. `auditHead` is put back to what it was
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
                    job.fail(error)
                    continue
                }
                headBeforeTransaction = auditHead.event
                writerWallets.beginTransaction(on: self)
            }
            let headBeforeBody = auditHead.event
            if let failure = runInSavepoint(job, auditHead: auditHead, wallets: wallets, headBeforeBody: headBeforeBody) {
                // SQLite rolled the whole transaction back on its own (a full disk, an I/O error): the bodies before
                // this one lost their changes too, so they fail; the rest start a new transaction.
                auditHead.event = headBeforeTransaction
                writerWallets.forgetAll()
                for earlier in uncommitted {
                    earlier.fail(.storage("the transaction was rolled back before it committed: \(failure)"))
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
            writerWallets.forgetAll()
            for job in uncommitted { job.fail(error) }
        }
    }

    /// Runs a `transaction` called from inside another body on the same thread: in a nested savepoint of the
    /// transaction already open, committed (or not) with it. Waiting for a group would wait for itself.
    func runNested(_ job: SQLiteGroupCommitJob, auditHead: AuditHeadCache, wallets: SQLiteWalletCache) {
        guard isInTransaction else {
            job.fail(.storage("a nested store transaction ran outside a transaction"))
            return
        }
        if let failure = runInSavepoint(job, auditHead: auditHead, wallets: wallets, headBeforeBody: auditHead.event),
           job.failure == nil {
            job.fail(.storage("the transaction was rolled back: \(failure)"))
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
            job.fail(error)
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
                job.fail(error)
                writerWallets.forgetAll()
                if isInTransaction { _ = try? run("ROLLBACK") }
                return "\(error)"
            }
        }
        auditHead.event = headBeforeBody
        // Undone below: the wallet rows it read or wrote may no longer stand.
        writerWallets.forgetAll()
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
