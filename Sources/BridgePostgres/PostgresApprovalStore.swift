import BridgeApprovals
import BridgeCore
import FoundationEssentials
import Glibc
import Synchronization

/// The session manager's store on PostgreSQL, for any number of `serve` instances sharing one database (CONTRACT 9).
///
/// Every write transaction begins at READ COMMITTED and first takes `pg_advisory_xact_lock` on one key
/// (`0x5742_5452_414E_5358`, "WBTRANSX" in ASCII), held until it commits or rolls back. Transactions are therefore
/// serialized across every instance, which is what ``ApprovalStore`` promises and what the service's logic relies
/// on: it reads, then writes (an order id looked up before it is inserted, a balance read before it is changed, the
/// audit chain's head read before the next event is appended), so one instance's transaction never sees another's
/// half-done. Each statement of a READ COMMITTED transaction sees everything committed before it started, and
/// everything committed before the lock was granted was committed before it, so the reads inside are current.
/// Commits are durable (`synchronous_commit` is left at its default, on).
///
/// Because that lock lets one commit at a time proceed across all instances, each commit's flush would be paid
/// alone. So concurrent ``transaction(_:)`` calls of one store share a commit (``GroupCommit``): one caller leads,
/// takes what is queued, and runs the bodies one after another in one database transaction (one `BEGIN`, one lock,
/// one `COMMIT`), each in its own savepoint, so a body that throws undoes only its own changes and only its caller
/// sees the error. Every caller returns after that `COMMIT`, so each answer is still durable; a failed `COMMIT` or a
/// lost connection fails every caller of the group, none of whose changes then exist (or, for a connection lost
/// during `COMMIT`, may exist: ``ApprovalError/unavailable(_:)`` says so, and the service's requests are idempotent).
///
/// ``read(_:)`` runs in a `REPEATABLE READ READ ONLY` transaction without the lock: one consistent snapshot of what
/// had committed when its first statement ran, that neither waits for writers nor holds them up. PostgreSQL refuses
/// a write there.
///
/// A failed transaction rolls back. A lost connection (the server restarted, the network failed) fails the request
/// with ``ApprovalError/unavailable(_:)`` naming the database (the service answers 503, and the request may be sent
/// again), and the connection is reset before its next use; when the loss is found at `BEGIN`, before anything ran,
/// the transaction is simply retried once on a fresh connection.
///
/// The schema is migrated when the store opens, under an advisory lock, so instances starting together migrate once.
public final class PostgresApprovalStore: ApprovalStore {
    /// `postgresql://user@host:port/dbname`, without any password: how messages name the database.
    public let databaseName: String
    private let pool: PostgresConnectionPool
    private let openTransactions = PostgresOpenTransactions()
    private let auditHead = PostgresAuditHead()
    private let closed = Atomic<Bool>(false)
    private let groupCommit: GroupCommit<PostgresStoreTransaction>
    private let commits = Atomic<Int>(0)

    /// Connections kept at most: enough for the HTTP workers, the dispatcher and the sweeps of one instance.
    public static let defaultConnections = 8

    /// The most transactions one `COMMIT` covers unless told otherwise (``GroupCommit``'s default).
    public static let defaultMaximumGroupSize = GroupCommit<PostgresStoreTransaction>.defaultMaximumGroupSize

    /// The savepoint each body of a group runs in, so a body that throws is undone alone.
    static let bodySavepoint = "wb_group_body"

    /// Every session reads BYTEA as hex (`\x...`), the one output format ``PostgresRow`` decodes, whatever the
    /// server's default. And a session left idle inside a transaction for a minute is ended by the server: a body
    /// only runs statements and a little computation, so such a session belongs to a frozen instance, which would
    /// otherwise hold the transaction lock, and so every instance, for ever.
    static let sessionSetup = "SET bytea_output = 'hex'; SET idle_in_transaction_session_timeout = '60s'"

    static let beginWrite = """
        BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock(\(PostgresApprovalSchema.transactionLockKey))
        """
    static let beginRead = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"

    /// Opens the database named by `url` (a libpq URI, `postgresql://user@host:port/dbname?sslmode=...`, or
    /// `key=value` pairs; the password belongs in `PGPASSWORD` or `PGPASSFILE`, libpq reads both) and applies any
    /// migration it has not had yet. With `createIfMissing` false (`admin`, `audit verify`) a database that holds no
    /// WalletBridge tables is refused instead of being given them. `clock` stamps the migrations' records; at most
    /// `connections` connections are open at once. At most `maximumGroupSize` concurrent transactions share one
    /// `COMMIT` (1: each commits alone).
    public init(url: String, createIfMissing: Bool = true, clock: any BridgeApprovals.Clock = SystemClock(),
                connections: Int = defaultConnections,
                maximumGroupSize: Int = defaultMaximumGroupSize) throws(ApprovalError) {
        groupCommit = GroupCommit(maximumGroupSize: maximumGroupSize)
        pool = PostgresConnectionPool(conninfo: url, limit: connections, sessionSetup: Self.sessionSetup)
        databaseName = pool.databaseName
        let connection: PostgresConnection
        do {
            connection = try pool.borrow()
        } catch {
            pool.close()
            throw .postgres(error, sql: nil, database: databaseName)
        }
        do throws(ApprovalError) {
            _ = try PostgresMigrator.migrate(connection, PostgresApprovalSchema.migrations, now: clock.now(),
                                             createIfMissing: createIfMissing)
            pool.giveBack(connection)
        } catch {
            pool.giveBack(connection)
            pool.close()
            throw error
        }
    }

    /// The schema's migrations this code knows, oldest first.
    public static var migrations: [PostgresMigration] { PostgresApprovalSchema.migrations }

    /// Runs `body` in a transaction serialized with every other store transaction on the database (all instances),
    /// and returns once it committed durably. A thrown error undoes the body's changes and reaches the caller.
    /// Concurrent callers share one transaction and one `COMMIT` (``GroupCommit``): their bodies run one after another,
    /// each in its own savepoint, on the thread of whichever caller leads the group.
    /// A call from inside another body runs inline, in a savepoint of the enclosing transaction (waiting for the
    /// group, or the lock the enclosing transaction holds, would wait forever): it commits with the enclosing body,
    /// and when it throws only its own changes are undone.
    public func transaction<Result>(
        _ body: (any StoreTransaction) throws(ApprovalError) -> Result
    ) throws(ApprovalError) -> Result {
        try groupCommit.transaction(
            on: databaseName, { handle throws(ApprovalError) -> Result in try body(handle) },
            runNested: { job in runNested(job) },
            runGroup: { group in runGroup(group) }
        )
    }

    /// Runs `body` on a consistent snapshot of committed data (`REPEATABLE READ READ ONLY`), without waiting for
    /// writers. A write inside `body` fails with a storage error saying it was attempted in a read.
    public func read<Result>(
        _ body: (any StoreTransaction) throws(ApprovalError) -> Result
    ) throws(ApprovalError) -> Result {
        let connection = try begin(Self.beginRead)
        defer { pool.giveBack(connection) }
        let context = PostgresTransactionContext(connection: connection, databaseName: databaseName, auditHead: auditHead,
                                                 isRead: true)
        let handle = PostgresStoreTransaction(context: context)
        let result: Result
        do throws(ApprovalError) {
            result = try body(handle)
        } catch {
            handle.end()
            rollBack(connection)
            throw error
        }
        handle.end()
        // Ending a read-only snapshot cannot lose anything: what the body read stands even if the connection went
        // at this last step (the pool resets it before its next use).
        _ = try? connection.execute("COMMIT")
        return result
    }

    /// The CRM's balance read, the busiest lookup: one statement outside a transaction is its own consistent
    /// snapshot, so it costs one round trip instead of `BEGIN`, `SELECT`, `COMMIT`.
    public func committedWallet(externalUserID: String, currency: String) throws(ApprovalError) -> Wallet? {
        try withConnection { connection throws(ApprovalError) -> Wallet? in
            let context = PostgresTransactionContext(connection: connection, databaseName: databaseName,
                                                     auditHead: auditHead, isRead: true)
            let handle = PostgresStoreTransaction(context: context)
            defer { handle.end() }
            return try handle.wallet(externalUserID: externalUserID, currency: currency)
        }
    }

    /// Runs `body` on a pooled connection outside any store transaction: inspections, maintenance and the tests'
    /// direct SQL. The connection goes back to the pool afterwards (rolled back if `body` left a transaction open).
    @discardableResult
    public func withConnection<Result>(
        _ body: (PostgresConnection) throws(ApprovalError) -> Result
    ) throws(ApprovalError) -> Result {
        let connection = try borrow()
        defer { pool.giveBack(connection) }
        return try body(connection)
    }

    /// The migrations recorded in the database, oldest first.
    public func appliedMigrations() throws(ApprovalError) -> [(version: Int64, name: String)] {
        try withConnection { connection throws(ApprovalError) in try PostgresMigrator.appliedMigrations(connection) }
    }

    /// Closes the idle connections; connections in use close when their transaction ends. Later transactions and
    /// reads fail with a storage error.
    public func close() {
        closed.store(true, ordering: .sequentiallyConsistent)
        pool.close()
    }

    /// How many connections are open, in use or idle (tests).
    public var openConnectionCount: Int { pool.openConnectionCount }

    /// How many write transactions this store has committed: one per group of ``transaction(_:)`` calls that shared a
    /// `COMMIT` (tests and measurements compare it with the number of calls).
    public var commitCount: Int { commits.load(ordering: .relaxed) }

    /// How many ``transaction(_:)`` calls wait for the next group (tests use it to build a group on purpose).
    public var queuedTransactionCount: Int { groupCommit.queuedCount }

    // MARK: Transactions

    private func borrow() throws(ApprovalError) -> PostgresConnection {
        guard !closed.load(ordering: .sequentiallyConsistent) else { throw .storage("the store at \(databaseName) is closed") }
        do {
            return try pool.borrow()
        } catch {
            if closed.load(ordering: .sequentiallyConsistent) { throw .storage("the store at \(databaseName) is closed") }
            throw .postgres(error, sql: nil, database: databaseName)
        }
    }

    /// A connection with a transaction begun by `sql`. A connection found lost at BEGIN (idle in the pool while the
    /// server restarted) is given back to be reset and the BEGIN tried once more: nothing has run yet.
    private func begin(_ sql: String) throws(ApprovalError) -> PostgresConnection {
        var attempt = 0
        while true {
            attempt += 1
            let connection = try borrow()
            do {
                try connection.execute(sql)
                return connection
            } catch {
                pool.giveBack(connection)
                if error.connectionBroken, attempt < 2 { continue }
                throw .postgres(error, sql: sql, database: databaseName)
            }
        }
    }

    private func commit(_ connection: PostgresConnection) throws(ApprovalError) {
        do {
            try connection.execute("COMMIT")
        } catch {
            // PostgreSQL ends a transaction whose COMMIT failed (a deferred foreign key, say): nothing was kept. A lost
            // connection leaves the outcome unknown, which the message says.
            if error.connectionBroken {
                // Sending the same request again is still right: it is idempotent (order ids, signatures), so it
                // gets the stored answer if this did commit.
                throw .unavailable("""
                    \(databaseName): the connection was lost during COMMIT, so the change may or may not have been \
                    applied (\(error.message))
                    """)
            }
            rollBack(connection)
            throw .postgres(error, sql: "COMMIT", database: databaseName)
        }
    }

    private func rollBack(_ connection: PostgresConnection) {
        guard !connection.isConnectionBroken, connection.transactionState != .idle else { return }
        _ = try? connection.execute("ROLLBACK")
    }

    // MARK: Group commit

    /// Runs a group of queued bodies as one transaction: `BEGIN` and the lock once, each body in its own savepoint
    /// (a lone body needs none: the transaction is its own), one `COMMIT`. Every job whose changes did not commit is
    /// failed with the reason; a body's own error stays its caller's.
    private func runGroup(_ jobs: [GroupCommitJob<PostgresStoreTransaction>]) {
        let connection: PostgresConnection
        do throws(ApprovalError) {
            connection = try begin(Self.beginWrite)
        } catch {
            for job in jobs { job.fail(error) }
            return
        }
        defer { pool.giveBack(connection) }
        let context = PostgresTransactionContext(connection: connection, databaseName: databaseName, auditHead: auditHead,
                                                 isRead: false)
        openTransactions.enter(context)
        defer { openTransactions.leave() }
        // The cached head may name an event this transaction appends; if nothing of it commits, it must not stay.
        let headBeforeTransaction = auditHead.event
        let committing: Bool
        if jobs.count == 1 {
            committing = runAlone(jobs[0], in: context)
        } else {
            switch runInSavepoints(jobs, in: context) {
            case .success(let anyKept):
                committing = anyKept
            case .failure(let error):
                // Every body so far lost its changes with the transaction; the rest cannot run in it.
                rollBack(connection)
                auditHead.event = headBeforeTransaction
                for job in jobs { job.fail(error) }
                return
            }
        }
        guard committing else {
            // Every body threw and was undone: nothing to make durable, so no flush to pay for.
            rollBack(connection)
            return
        }
        do throws(ApprovalError) {
            try commit(connection)
            commits.add(1, ordering: .relaxed)
        } catch {
            auditHead.event = headBeforeTransaction
            // The bodies that threw fail with the commit too: what they saw included the others' changes, now gone.
            for job in jobs { job.fail(error) }
        }
    }

    /// Runs the one body of a group in the transaction itself; true when its changes are to be committed.
    private func runAlone(_ job: GroupCommitJob<PostgresStoreTransaction>, in context: PostgresTransactionContext) -> Bool {
        let headBefore = auditHead.event
        let handle = PostgresStoreTransaction(context: context)
        let succeeded = job.run(handle)
        handle.end()
        if succeeded, context.connection.transactionState == .failedTransaction {
            // PostgreSQL would turn the COMMIT into a ROLLBACK: the caller must not be told it committed.
            job.fail(Self.carriedOnAfterAFailedStatement)
        }
        guard succeeded, job.failure == nil else {
            auditHead.event = headBefore
            rollBack(context.connection)
            return false
        }
        return true
    }

    /// What a body gets when it returned although one of its statements failed (it caught the error and carried on):
    /// PostgreSQL refuses everything after a failed statement until it is rolled back, so its changes cannot commit.
    private static let carriedOnAfterAFailedStatement = ApprovalError.storage(
        "the transaction was rolled back: a statement inside it failed and its body carried on")

    /// Runs the bodies of a group one after another, each inside the savepoint ``bodySavepoint``: a body that throws
    /// is rolled back to it (and only its caller sees its error), together with the transaction's audit link and the
    /// store's cached head, so the next body chains onto the event that is really last. True when some body's
    /// changes were kept; an error when the transaction cannot go on (the connection was lost, a savepoint could not
    /// be set or undone), and then nothing of it may commit.
    ///
    /// Round trips are what the leader waits on, so no more are spent than needed: `ROLLBACK TO SAVEPOINT` leaves the
    /// savepoint set, for the next body to reuse; after a kept body, releasing it and setting the next one travel
    /// together; and the last body's savepoint needs no release, the `COMMIT` commits it.
    private func runInSavepoints(
        _ jobs: [GroupCommitJob<PostgresStoreTransaction>], in context: PostgresTransactionContext
    ) -> Swift.Result<Bool, ApprovalError> {
        let setSavepoint = "SAVEPOINT \(Self.bodySavepoint)"
        do throws(ApprovalError) {
            try context.execute(setSavepoint)
        } catch {
            return .failure(groupFailure(error, context))
        }
        var anyKept = false
        for (index, job) in jobs.enumerated() {
            let linkBefore = context.auditLink
            let headBefore = auditHead.event
            let handle = PostgresStoreTransaction(context: context)
            let succeeded = job.run(handle)
            handle.end()
            if succeeded, context.connection.transactionState == .failedTransaction {
                job.fail(Self.carriedOnAfterAFailedStatement)
            }
            if succeeded, job.failure == nil {
                anyKept = true
                guard index < jobs.count - 1 else { break }
                do throws(ApprovalError) {
                    // Checked above that the transaction is not in error, so this fails only when something is
                    // badly wrong (the connection, the server's resources): then nothing of the group may commit.
                    try context.execute("RELEASE SAVEPOINT \(Self.bodySavepoint); \(setSavepoint)")
                } catch {
                    return .failure(groupFailure(error, context))
                }
                continue
            }
            context.auditLink = linkBefore
            auditHead.event = headBefore
            do throws(ApprovalError) {
                // Also clears an error state the body left the transaction in; the savepoint stays set, empty.
                try context.execute("ROLLBACK TO SAVEPOINT \(Self.bodySavepoint)")
            } catch {
                // Undoing this body failed, so its changes may linger: nothing of the transaction may commit.
                return .failure(groupFailure(error, context))
            }
        }
        return .success(anyKept)
    }

    /// What every caller of a group whose transaction broke before its COMMIT gets: nothing of it was applied, so
    /// a lost connection is ``ApprovalError/unavailable(_:)`` (the request may be sent again) and anything else a
    /// storage error.
    private func groupFailure(_ error: ApprovalError, _ context: PostgresTransactionContext) -> ApprovalError {
        let reason: String
        switch error {
        case .unavailable(let why), .storage(let why):
            // `.postgres` already named the database; once is enough.
            reason = why.hasPrefix(databaseName + ": ") ? String(why.dropFirst(databaseName.count + 2)) : why
        default:
            reason = error.message
        }
        if context.connection.isConnectionBroken {
            return .unavailable("\(databaseName): the connection was lost before the transaction committed, so "
                + "nothing of it was applied (\(reason))")
        }
        return .storage("the transaction was rolled back before it committed: \(reason)")
    }

    /// A body started from inside another on the same thread (the group's leader): a savepoint of the enclosing
    /// transaction.
    private func runNested(_ job: GroupCommitJob<PostgresStoreTransaction>) {
        guard let enclosing = openTransactions.current else {
            job.fail(.storage("a nested store transaction ran outside a transaction"))
            return
        }
        enclosing.savepointDepth += 1
        defer { enclosing.savepointDepth -= 1 }
        let savepoint = "wb_nested_\(enclosing.savepointDepth)"
        do throws(ApprovalError) {
            try enclosing.execute("SAVEPOINT \(savepoint)")
        } catch {
            job.fail(error)
            return
        }
        let linkBefore = enclosing.auditLink
        let headBefore = auditHead.event
        let handle = PostgresStoreTransaction(context: enclosing)
        let succeeded = job.run(handle)
        handle.end()
        if succeeded, enclosing.connection.transactionState == .failedTransaction {
            job.fail(Self.carriedOnAfterAFailedStatement)
        }
        if succeeded, job.failure == nil {
            do throws(ApprovalError) {
                try enclosing.execute("RELEASE SAVEPOINT \(savepoint)")
                return
            } catch {
                job.fail(error)
            }
        }
        // Undoes the nested body's rows, and also clears an error state the body left the transaction in; the audit
        // link and head go back with the rows.
        enclosing.auditLink = linkBefore
        auditHead.event = headBefore
        _ = try? enclosing.execute("ROLLBACK TO SAVEPOINT \(savepoint)")
        _ = try? enclosing.execute("RELEASE SAVEPOINT \(savepoint)")
    }
}

/// What one open transaction's handles share: the connection, and the audit chain's head once read (no other writer
/// can append while the transaction holds the lock, and a read's snapshot does not move). Nested bodies share it.
/// Used only by the thread running the transaction.
final class PostgresTransactionContext {
    let connection: PostgresConnection
    let databaseName: String
    let auditHead: PostgresAuditHead
    /// True in ``PostgresApprovalStore/read(_:)``: a refused write is worded as such.
    let isRead: Bool
    var auditLink: (sequence: Int64, hash: [UInt8])??
    var savepointDepth = 0

    init(connection: PostgresConnection, databaseName: String, auditHead: PostgresAuditHead, isRead: Bool) {
        self.connection = connection
        self.databaseName = databaseName
        self.auditHead = auditHead
        self.isRead = isRead
    }

    func execute(_ sql: String) throws(ApprovalError) {
        do {
            try connection.execute(sql)
        } catch {
            throw .postgres(error, sql: sql, database: databaseName, inRead: isRead)
        }
    }
}

/// The write transaction each thread is running on this store, so a transaction started from inside a body finds
/// the enclosing one. `@unchecked Sendable`: the dictionary is only touched under `lock`, and each context is only
/// used by the thread it is registered for.
final class PostgresOpenTransactions: @unchecked Sendable {
    private let lock = ConditionLock()
    private var byThread: [UInt: PostgresTransactionContext] = [:]

    var current: PostgresTransactionContext? {
        lock.withLock { byThread[UInt(pthread_self())] }
    }

    func enter(_ context: PostgresTransactionContext) {
        lock.withLock { byThread[UInt(pthread_self())] = context }
    }

    func leave() {
        lock.withLock { byThread[UInt(pthread_self())] = nil }
    }
}

/// The newest audit event some transaction of this store wrote or read, so chaining the next event does not read and
/// parse the last one's payload again. Trusted only while the database's newest row has its sequence and hash:
/// another instance may have appended since, or the transaction that wrote it may have rolled back (the hash covers
/// the content, so an equal (sequence, hash) is the same event).
final class PostgresAuditHead: Sendable {
    private let state = Mutex<AuditEvent?>(nil)

    var event: AuditEvent? {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }
}
