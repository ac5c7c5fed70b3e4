import BridgeApprovals
import BridgeCore
import Dispatch

/// Read-only connections to the store's file, lent to one thread at a time, so balance and order lookups run side by
/// side instead of queueing behind each other and behind the writer (WAL mode lets readers and one writer overlap).
///
/// Connections open on demand and go back on a free list after each read; at most `limit` exist, and a read beyond
/// that waits for one to come back. `@unchecked Sendable`: the free list and counters are only touched under `lock`,
/// and a lent connection belongs to the borrowing thread alone until it is returned.
final class SQLiteReadPool: @unchecked Sendable {
    let path: String
    let limit: Int
    private let lock = SleepingMutex(())
    private let permits: DispatchSemaphore
    private var free: [PooledReader] = []
    private var isClosed = false

    init(path: String, limit: Int) {
        self.path = path
        self.limit = max(1, limit)
        permits = DispatchSemaphore(value: self.limit)
    }

    /// Lends a connection to `body` (opening one if none is free), then takes it back.
    func withReader<Result>(_ body: (PooledReader) throws(ApprovalError) -> Result) throws(ApprovalError) -> Result {
        permits.wait()
        defer { permits.signal() }
        let reader = try borrow()
        defer { giveBack(reader) }
        return try body(reader)
    }

    /// Closes the free connections; those lent out close when they come back, and later reads fail.
    func close() {
        let idle = lock.withLock { _ -> [PooledReader] in
            isClosed = true
            defer { free.removeAll() }
            return free
        }
        for reader in idle { reader.database.close() }
    }

    /// How many connections are open and idle (tests).
    var idleCount: Int { lock.withLock { _ in free.count } }

    private func borrow() throws(ApprovalError) -> PooledReader {
        let taken = lock.withLock { _ -> (closed: Bool, reader: PooledReader?) in
            (isClosed, isClosed ? nil : free.popLast())
        }
        if taken.closed { throw .storage("the store at \(path) is closed") }
        if let reader = taken.reader { return reader }
        // Opened outside the lock: opening reads the schema, and other readers need not wait for that.
        return PooledReader(database: try SQLiteDatabase.openReadOnly(path: path))
    }

    private func giveBack(_ reader: PooledReader) {
        // A connection left inside a transaction (a failed rollback) would pin an old snapshot: drop it instead.
        let kept = !reader.database.isInTransaction && lock.withLock { _ -> Bool in
            guard !isClosed else { return false }
            free.append(reader)
            return true
        }
        if !kept { reader.database.close() }
    }
}

/// One read-only connection with its own audit head cache (the cache is per connection, like its snapshot).
final class PooledReader: @unchecked Sendable {
    let database: SQLiteDatabase
    let auditHead = AuditHeadCache()

    init(database: SQLiteDatabase) {
        self.database = database
    }
}
