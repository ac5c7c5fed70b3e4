import BridgeApprovals
import Foundation
import Synchronization

/// The session manager's store on PostgreSQL, for any number of `serve` instances sharing one database (CONTRACT 9).
///
/// Every ``transaction(_:)`` begins at READ COMMITTED and first takes `pg_advisory_xact_lock` on one key
/// (`0x5742_5452_414E_5358`, "WBTRANSX" in ASCII), held until it commits or rolls back. Transactions are therefore
/// serialized across every instance, which is what ``ApprovalStore`` promises and what the service's logic relies
/// on: it reads, then writes (an order id looked up before it is inserted, a balance read before it is changed, the
/// audit chain's head read before the next event is appended), so one instance's transaction never sees another's
/// half-done. Each statement of a READ COMMITTED transaction sees everything committed before it started, and
/// everything committed before the lock was granted was committed before it, so the reads inside are current.
/// Commits are durable (`synchronous_commit` is left at its default, on).
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

    /// Connections kept at most: enough for the HTTP workers, the dispatcher and the sweeps of one instance.
    public static let defaultConnections = 8

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
    /// `connections` connections are open at once.
    public init(url: String, createIfMissing: Bool = true, clock: any BridgeApprovals.Clock = SystemClock(),
                connections: Int = defaultConnections) throws(ApprovalError) {
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
    /// and returns once it committed durably. A thrown error rolls everything back and reaches the caller.
    /// A call from inside another body on the same thread runs inline, in a savepoint of the enclosing transaction
    /// (waiting for the lock the enclosing transaction holds would wait forever): it commits with the enclosing
    /// body, and when it throws only its own changes are undone.
    public func transaction<Result>(
        _ body: (any StoreTransaction) throws(ApprovalError) -> Result
    ) throws(ApprovalError) -> Result {
        if let enclosing = openTransactions.current {
            return try runNested(in: enclosing, body)
        }
        let connection = try begin(Self.beginWrite)
        defer { pool.giveBack(connection) }
        let context = PostgresTransactionContext(connection: connection, databaseName: databaseName, auditHead: auditHead,
                                                 isRead: false)
        openTransactions.enter(context)
        defer { openTransactions.leave() }
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
        try commit(connection)
        return result
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

    /// A body started from inside another on the same thread: a savepoint of the enclosing transaction.
    private func runNested<Result>(
        in enclosing: PostgresTransactionContext, _ body: (any StoreTransaction) throws(ApprovalError) -> Result
    ) throws(ApprovalError) -> Result {
        enclosing.savepointDepth += 1
        defer { enclosing.savepointDepth -= 1 }
        let savepoint = "wb_nested_\(enclosing.savepointDepth)"
        try enclosing.execute("SAVEPOINT \(savepoint)")
        let handle = PostgresStoreTransaction(context: enclosing)
        let result: Result
        do throws(ApprovalError) {
            result = try body(handle)
        } catch {
            handle.end()
            // Undoes the nested body's rows, and also clears an error state the body left the transaction in.
            enclosing.auditLink = nil
            _ = try? enclosing.execute("ROLLBACK TO SAVEPOINT \(savepoint)")
            _ = try? enclosing.execute("RELEASE SAVEPOINT \(savepoint)")
            throw error
        }
        handle.end()
        try enclosing.execute("RELEASE SAVEPOINT \(savepoint)")
        return result
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
    private let lock = NSLock()
    private var byThread: [UInt: PostgresTransactionContext] = [:]

    var current: PostgresTransactionContext? {
        lock.lock()
        defer { lock.unlock() }
        return byThread[UInt(pthread_self())]
    }

    func enter(_ context: PostgresTransactionContext) {
        lock.lock()
        byThread[UInt(pthread_self())] = context
        lock.unlock()
    }

    func leave() {
        lock.lock()
        byThread[UInt(pthread_self())] = nil
        lock.unlock()
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
