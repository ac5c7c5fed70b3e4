import BridgeApprovals
import BridgeCore

/// The session manager's durable store: one SQLite file in WAL mode with `synchronous=FULL`, so a transfer that
/// committed survives a crash or a power cut, and the balance, order, approval, audit event and webhook outbox row
/// of one state change commit together or not at all.
///
/// One connection behind a mutex serializes transactions in this process. That is what ``ApprovalStore`` promises
/// (a second approval for an order waits for the first), and it costs nothing here: SQLite admits one writer at a
/// time anyway and every transaction writes, while the fsync at each commit dominates a transaction's time. Other
/// processes on the same file (`walletbridge audit verify` beside a running service) are kept in order by SQLite's
/// own locks: transactions begin IMMEDIATE and wait up to the busy timeout.
///
/// Reads (``read(_:)``) do not take that mutex: they borrow one of a small pool of read-only connections and run in a
/// `BEGIN DEFERRED` transaction, a consistent snapshot of what had committed, while the writer carries on. The CRM's
/// balance reads (``committedWallet(externalUserID:currency:)``) are answered from ``SQLiteWalletCache`` when it
/// holds the wallet, with no connection at all.
///
/// Concurrent transactions share one commit, and so one fsync (``SQLiteGroupCommit``), without any caller returning
/// before its changes are durable.
public final class SQLiteApprovalStore: ApprovalStore {
    /// The database file.
    public let path: String
    private let connection: Connection
    private let readers: SQLiteReadPool
    private let groupCommit: SQLiteGroupCommit
    private let walletCache: SQLiteWalletCache
    private let checkpointer: SQLiteCheckpointer?

    /// How many read-only connections ``read(_:)`` keeps at most: enough for the HTTP workers and a few more.
    public static let defaultReadConnections = 8

    /// How soon after a commit the background checkpoint copies the log into the database file (and at most how
    /// often it does): see ``SQLiteCheckpointer`` for why this short.
    public static let defaultCheckpointInterval: Duration = .milliseconds(20)

    /// Where the service and `walletbridge audit verify` look for the database unless told otherwise.
    public static let defaultPath = "./var/walletbridge.sqlite"

    /// Opens the database at `path`, creating it (unless `createIfMissing` is false) and applying any migrations it
    /// has not had yet. `clock` stamps the migrations' records.
    /// At most `readConnections` reads run at once, each on its own read-only connection; at most `cachedWallets`
    /// wallets are kept for reads (0 turns the cache off). The log is checkpointed `checkpointInterval` after commits
    /// from a background connection, or by commits themselves (SQLite's automatic checkpoint) when it is nil.
    public init(path: String, createIfMissing: Bool = true, clock: any Clock = SystemClock(),
                readConnections: Int = defaultReadConnections, cachedWallets: Int = 100_000,
                checkpointInterval: Duration? = defaultCheckpointInterval) throws(ApprovalError) {
        let database = try SQLiteDatabase(path: path, createIfMissing: createIfMissing)
        try database.migrate(SQLiteApprovalSchema.migrations, now: clock.now())
        var checkpointer: SQLiteCheckpointer?
        if let checkpointInterval {
            // Commits checkpoint on their own only as a backstop (see SQLiteCheckpointer).
            try database.execute("PRAGMA wal_autocheckpoint=\(SQLiteCheckpointer.backstopPages)")
            checkpointer = try SQLiteCheckpointer(path: path, interval: checkpointInterval)
        }
        self.checkpointer = checkpointer
        self.path = path
        connection = Connection(database)
        readers = SQLiteReadPool(path: path, limit: readConnections)
        walletCache = SQLiteWalletCache(capacity: cachedWallets)
        groupCommit = SQLiteGroupCommit(committer: { [connection, walletCache, checkpointer, path] group in
            Self.runGroup(group, on: connection, wallets: walletCache, checkpointer: checkpointer, path: path)
        })
    }

    /// The schema's migrations this code knows, oldest first.
    public static var migrations: [SQLiteMigration] { SQLiteApprovalSchema.migrations }

    /// Runs `body` in a write transaction and returns once its changes are durable. Concurrent callers share one
    /// commit (``SQLiteGroupCommit``): their bodies still run one after another, each in its own savepoint, so a body
    /// that throws undoes only its own changes and only its caller sees the error.
    /// A call from inside another body runs inline, in a nested savepoint that commits with the enclosing body.
    public func transaction<Result>(
        _ body: (any StoreTransaction) throws(ApprovalError) -> Result
    ) throws(ApprovalError) -> Result {
        try groupCommit.transaction(
            on: path, { handle throws(ApprovalError) -> Result in try body(handle) },
            runNested: { job in
                connection.withLockHeldByThisThread { database, auditHead in
                    guard let database else {
                        job.fail(.storage("the store at \(path) is closed"))
                        return
                    }
                    database.runNested(job, auditHead: auditHead, wallets: walletCache)
                }
            },
            runGroup: { group in
                Self.runGroup(group, on: connection, wallets: walletCache, checkpointer: checkpointer, path: path)
            }
        )
    }

    /// Group commits run on the committer thread.
    public var completesTransactionsWithoutBlocking: Bool { true }

    /// Queues `body` for the next group commit and returns at once; `completion` runs on the committer thread right
    /// after the group's `COMMIT` (or its failure), so a caller needs no thread of its own waiting meanwhile.
    public func submitTransaction<Result>(
        _ body: @escaping @Sendable (any StoreTransaction) throws(ApprovalError) -> Result,
        completion: @escaping @Sendable (Swift.Result<Result, ApprovalError>) -> Void
    ) {
        groupCommit.submitWithoutWaiting(on: path, { handle throws(ApprovalError) -> Result in try body(handle) },
                                         completion: completion)
    }

    /// Runs one group on the connection (the callers' leader and the committer thread alike), or fails it when the
    /// store is closed.
    private static func runGroup(_ group: [SQLiteGroupCommitJob], on connection: Connection, wallets: SQLiteWalletCache,
                                 checkpointer: SQLiteCheckpointer?, path: String) {
        connection.withLock { database, auditHead in
            guard let database else {
                for member in group { member.fail(.storage("the store at \(path) is closed")) }
                return
            }
            database.runGroup(group, auditHead: auditHead, wallets: wallets)
        }
        checkpointer?.noteCommit()
    }

    /// How many transactions are queued for the next group commit.
    var queuedTransactionCount: Int { groupCommit.queuedCount }

    /// Runs `body` on a read-only connection in a `BEGIN DEFERRED` transaction: a consistent snapshot of committed
    /// data that neither waits for the writer nor for other reads. A write inside `body` fails with a storage error
    /// saying it was attempted in a read.
    public func read<Result>(
        _ body: (any StoreTransaction) throws(ApprovalError) -> Result
    ) throws(ApprovalError) -> Result {
        try readers.withReader { reader throws(ApprovalError) -> Result in
            let handle = SQLiteStoreTransaction(database: reader.database, auditHead: reader.auditHead)
            defer { handle.end() }
            return try reader.database.readTransaction { () throws(ApprovalError) -> Result in try body(handle) }
        }
    }

    /// The committed wallet of `externalUserID` in `currency`, from the wallet cache when it holds it (no connection,
    /// no SQLite transaction), otherwise from a ``read(_:)`` whose answer the cache then keeps.
    public func committedWallet(externalUserID: String, currency: String) throws(ApprovalError) -> Wallet? {
        let key = SQLiteWalletCache.Key(externalUserID: externalUserID, currency: currency)
        // Noted before the read's snapshot begins: see SQLiteWalletCache.
        let generation = walletCache.generation
        if let cached = walletCache.wallet(key, generation: generation) { return cached }
        let wallet = try read { store throws(ApprovalError) in
            try store.wallet(externalUserID: externalUserID, currency: currency)
        }
        if let wallet { walletCache.remember(wallet, generation: generation) }
        return wallet
    }

    /// How many wallets the read cache holds (tests).
    var cachedWalletCount: Int { walletCache.count }
    /// The background checkpoints run so far and the last one's report; nil without a checkpointer (tests).
    var checkpoints: (runs: Int, last: SQLiteCheckpointer.Report?)? { checkpointer?.checkpoints }
    /// How many wallet rows the writer connection keeps between its transactions (tests).
    var writerWalletCount: Int {
        var count = 0
        connection.withLock { database, _ in count = database?.writerWallets.count ?? 0 }
        return count
    }
    /// The wallet cache's generation (tests).
    var walletCacheGeneration: UInt64? { walletCache.generation }
    /// Offers the cache a wallet read at `generation` (tests: a read that raced a commit).
    func rememberWallet(_ wallet: Wallet, generation: UInt64) { walletCache.remember(wallet, generation: generation) }

    /// Runs `body` on the connection outside any store transaction, under the same lock: pragmas, integrity checks
    /// and the tests' inspections.
    @discardableResult
    public func withDatabase<Result: Sendable>(
        _ body: (SQLiteDatabase) throws(ApprovalError) -> Result
    ) throws(ApprovalError) -> Result {
        var outcome: Swift.Result<Result, ApprovalError>?
        connection.withLock { database, _ in
            guard let database else {
                outcome = .failure(.storage("the store at \(path) is closed"))
                return
            }
            do throws(ApprovalError) {
                outcome = .success(try body(database))
            } catch {
                outcome = .failure(error)
            }
        }
        switch outcome {
        case .success(let result): return result
        case .failure(let error): throw error
        case nil: throw .storage("the store at \(path) did not run the request")
        }
    }

    /// `PRAGMA integrity_check`: "ok", or SQLite's list of what is damaged.
    public func integrityCheck() throws(ApprovalError) -> String {
        try withDatabase { database throws(ApprovalError) in
            try database.query("PRAGMA integrity_check") { row throws(ApprovalError) in try row.string(0) }.joined(separator: "\n")
        }
    }

    /// Closes the connections; later transactions and reads fail with a storage error.
    public func close() {
        checkpointer?.close()
        readers.close()
        connection.close()
    }
}

/// The connection and the lock that serializes its use.
///
/// `@unchecked Sendable` because the compiler cannot see the discipline: the database is only touched inside
/// ``withLock(_:)``. (A `Mutex<SQLiteDatabase>` would not do: a transaction's body gets the connection, which the
/// region checker then counts as the caller's and refuses to leave in the mutex.)
private final class Connection: @unchecked Sendable {
    private let lock = SleepingMutex(())
    private var database: SQLiteDatabase?
    private let auditHead = AuditHeadCache()

    init(_ database: SQLiteDatabase) {
        self.database = database
    }

    /// Runs `body` with the open connection (nil once closed) and its audit head cache while holding the lock.
    func withLock(_ body: (SQLiteDatabase?, AuditHeadCache) -> Void) {
        lock.withLock { _ in body(database, auditHead) }
    }

    /// Runs `body` with the connection while this thread already holds the lock (a transaction started from inside
    /// a body the group commit's leader is running): taking the lock again would wait forever.
    func withLockHeldByThisThread(_ body: (SQLiteDatabase?, AuditHeadCache) -> Void) {
        body(database, auditHead)
    }

    func close() {
        lock.withLock { _ in
            database?.close()
            database = nil
        }
    }
}
