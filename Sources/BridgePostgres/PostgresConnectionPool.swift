import BridgeCore
import FoundationEssentials
import Glibc

/// Connections to one database, each lent to one thread at a time: a ``PostgresConnection`` is not thread-safe.
///
/// Connections open on demand, up to `limit`; a borrower beyond that waits for one to come back. A thread that
/// already holds a connection is never made to wait for a second one (a read started inside a transaction's body,
/// say): with every connection lent to such threads, the wait would never end. That second connection is closed
/// when it comes back if the pool is over its limit.
///
/// A connection that comes back broken, or stuck inside a transaction, is reset before it is lent again (or dropped
/// when that fails), so one lost connection never fails more than the request that found it lost.
///
/// `@unchecked Sendable`: the free list, counters and holders are only touched while `condition` is locked, and a
/// lent connection belongs to its borrowing thread alone until it is given back.
public final class PostgresConnectionPool: @unchecked Sendable {
    /// `postgresql://user@host:port/dbname`, without any password.
    public let databaseName: String
    /// Connections open at most (a thread's nested borrow may exceed it for its duration).
    public let limit: Int
    private let conninfo: String
    private let sessionSetup: String?
    private let condition = ConditionLock()
    private var free: [PostgresConnection] = []
    private var openCount = 0
    /// How many connections each thread holds right now.
    private var holders: [UInt: Int] = [:]
    private var isClosed = false

    /// A pool for `conninfo` (a libpq URI or key=value string); each new or reset connection runs `sessionSetup`.
    public init(conninfo: String, limit: Int, sessionSetup: String? = nil) {
        self.conninfo = conninfo
        self.limit = max(1, limit)
        self.sessionSetup = sessionSetup
        databaseName = PostgresConnection.redactedName(of: conninfo)
    }

    /// Lends a connection to the calling thread: a free one (reset first if it was found broken), else a new one.
    /// Throws when the pool is closed or the database cannot be reached. Give it back with ``giveBack(_:)``.
    public func borrow() throws(PostgresError) -> PostgresConnection {
        let thread = Self.currentThread
        condition.lock()
        while true {
            if isClosed {
                condition.unlock()
                throw PostgresError(message: "the connection pool for \(databaseName) is closed")
            }
            if let connection = free.popLast() {
                holders[thread, default: 0] += 1
                condition.unlock()
                return try prepare(connection, thread: thread)
            }
            if openCount < limit || holders[thread] != nil {
                openCount += 1
                holders[thread, default: 0] += 1
                condition.unlock()
                do {
                    return try PostgresConnection(conninfo: conninfo, sessionSetup: sessionSetup)
                } catch {
                    released(thread: thread, closing: true)
                    throw error
                }
            }
            condition.wait()
        }
    }

    /// Takes back a connection lent by ``borrow()``. One left inside a transaction is rolled back first; a broken one
    /// is kept, and reset by the next borrower.
    public func giveBack(_ connection: PostgresConnection) {
        if !connection.isConnectionBroken, connection.transactionState != .idle {
            _ = try? connection.execute("ROLLBACK")
        }
        let unusable = !connection.isConnectionBroken && connection.transactionState != .idle
        condition.lock()
        let keep = !isClosed && !unusable && openCount <= limit
        if keep { free.append(connection) }
        condition.unlock()
        if !keep { connection.close() }
        released(thread: Self.currentThread, closing: !keep)
    }

    /// Closes the idle connections; lent ones close when they come back, and later borrows fail.
    public func close() {
        condition.lock()
        isClosed = true
        let idle = free
        free.removeAll()
        openCount -= idle.count
        condition.broadcast()
        condition.unlock()
        for connection in idle { connection.close() }
    }

    /// How many connections are open, lent or idle (tests).
    public var openConnectionCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return openCount
    }

    /// How many connections are idle (tests).
    public var idleConnectionCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return free.count
    }

    /// A free connection made ready: reset when it was lost while lent before.
    private func prepare(_ connection: PostgresConnection, thread: UInt) throws(PostgresError) -> PostgresConnection {
        guard connection.isConnectionBroken else { return connection }
        do {
            try connection.reset()
            return connection
        } catch {
            connection.close()
            released(thread: thread, closing: true)
            throw error
        }
    }

    private func released(thread: UInt, closing: Bool) {
        condition.lock()
        if let held = holders[thread] { holders[thread] = held > 1 ? held - 1 : nil }
        if closing { openCount -= 1 }
        condition.broadcast()
        condition.unlock()
    }

    private static var currentThread: UInt { UInt(pthread_self()) }
}
