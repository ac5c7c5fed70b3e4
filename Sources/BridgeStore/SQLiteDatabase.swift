import BridgeApprovals
import BridgeCore
import CSQLite
import FoundationEssentials

/// One SQLite connection set up for money: write-ahead log, `synchronous=FULL`, foreign keys enforced, a busy timeout,
/// and prepared statements cached by their SQL text.
///
/// Not thread-safe: one thread at a time (``SQLiteApprovalStore`` keeps its connection behind a mutex). Every failure
/// is an ``ApprovalError/storage(_:)`` that names the SQL and quotes SQLite's message.
public final class SQLiteDatabase {
    /// The database file.
    public let path: String
    /// Opened with `SQLITE_OPEN_READONLY`: SQLite refuses every write, which ``failure(_:_:)`` says plainly.
    public let isReadOnly: Bool
    private var handle: OpaquePointer?
    /// Prepared once, reused for every later call with the same text (reset and unbound after each use).
    private var statements: [StatementKey: OpaquePointer] = [:]
    /// The wallet rows this connection's write transactions have read or written (only the writer uses it).
    let writerWallets = SQLiteWriterWallets()

    /// How long a writer waits for another connection's lock (another process on the same file) before failing.
    public static let defaultBusyTimeout: Duration = .seconds(5)

    /// Opens (or, with `createIfMissing`, creates, with its directory) the database at `path` and applies the
    /// connection settings.
    /// Refuses a file that cannot run in WAL mode: a crash could otherwise lose committed transfers.
    public convenience init(path: String, createIfMissing: Bool = true, busyTimeout: Duration = defaultBusyTimeout) throws(ApprovalError) {
        try self.init(path: path, createIfMissing: createIfMissing, readOnly: false, busyTimeout: busyTimeout)
    }

    /// Opens an existing database read-only (``SQLiteApprovalStore``'s read pool). The file must already be in WAL
    /// mode, which lets this connection read a committed snapshot while another connection writes.
    public static func openReadOnly(path: String, busyTimeout: Duration = defaultBusyTimeout) throws(ApprovalError) -> SQLiteDatabase {
        try SQLiteDatabase(path: path, createIfMissing: false, readOnly: true, busyTimeout: busyTimeout)
    }

    private init(path: String, createIfMissing: Bool, readOnly: Bool, busyTimeout: Duration) throws(ApprovalError) {
        self.path = path
        isReadOnly = readOnly
        if !createIfMissing, !FileManager.default.fileExists(atPath: path) {
            throw .storage("no database at \(path)")
        }
        let directory = FilePathText.parent(of: path)
        if createIfMissing, !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            // Owner-only: the file holds the books and the audit log (secrets are only ever stored hashed).
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            } catch {
                throw .storage("cannot create the directory \(directory) for \(path): \(error.systemDescription)")
            }
        }
        if let unavailable = walletbridge_sqlite_open() {
            throw .storage("SQLite is not available: \(String(cString: unavailable)) (make deps installs libsqlite3-dev)")
        }
        var opened: OpaquePointer?
        // NOMUTEX: callers serialize access, so SQLite's own per-call mutex would only cost time.
        var flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        if createIfMissing, !readOnly { flags |= SQLITE_OPEN_CREATE }
        let status = sqlite3_open_v2(path, &opened, flags, nil)
        guard status == SQLITE_OK, let opened else {
            let message = opened.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(status))
            sqlite3_close(opened)
            throw .storage("cannot open \(path): \(message) (SQLite \(status))")
        }
        handle = opened
        do throws(ApprovalError) {
            sqlite3_busy_timeout(opened, Int32(clamping: busyTimeout.wholeMilliseconds))
            // A read-only connection cannot switch the mode, only find it set (without WAL it would block the writer).
            let modeSQL = readOnly ? "PRAGMA journal_mode" : "PRAGMA journal_mode=WAL"
            let journalMode = try query(modeSQL) { row throws(ApprovalError) in try row.string(0) }.first
            guard journalMode?.lowercased() == "wal" else {
                throw ApprovalError.storage("\(path) cannot use write-ahead logging (journal_mode is \(journalMode ?? "unknown"))")
            }
            // Durability and foreign keys only concern writes.
            if readOnly { return }
            // FULL: every commit fsyncs the log, so a committed transfer survives a power cut, not only a crash.
            try execute("PRAGMA synchronous=FULL")
            try execute("PRAGMA foreign_keys=ON")
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    /// Whether SQLite counts the memory it allocates (`SQLITE_CONFIG_MEMSTATUS`). CSQLite turns that off before
    /// SQLite starts, since every allocation would otherwise take a process-wide mutex, so this is false once a
    /// database has been opened: the bytes in use then read as 0.
    public static var countsAllocations: Bool {
        var current: sqlite3_int64 = 0, highest: sqlite3_int64 = 0
        return sqlite3_status64(SQLITE_STATUS_MEMORY_USED, &current, &highest, 0) == SQLITE_OK && current > 0
    }

    /// Finalizes the cached statements and closes the connection; later calls fail with a storage error.
    public func close() {
        for statement in statements.values { sqlite3_finalize(statement) }
        statements.removeAll()
        if let handle { sqlite3_close(handle) }
        handle = nil
    }

    /// Runs one or more SQL statements without parameters or results (schema changes, pragmas).
    public func execute(_ sql: String) throws(ApprovalError) {
        let connection = try openHandle(for: sql)
        var message: UnsafeMutablePointer<CChar>?
        let status = sqlite3_exec(connection, sql, nil, nil, &message)
        guard status == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(status))
            sqlite3_free(message)
            throw .storage("\(text) (SQLite \(status)) in: \(sql)")
        }
    }

    /// Runs one statement with `values` bound to its parameters and returns how many rows it changed.
    @discardableResult
    public func run(_ sql: String, _ values: [SQLiteValue] = []) throws(ApprovalError) -> Int {
        let connection = try openHandle(for: sql)
        try withStatement(sql, values) { statement throws(ApprovalError) in
            let status = sqlite3_step(statement)
            guard status == SQLITE_DONE || status == SQLITE_ROW else { throw failure(status, sql) }
        }
        return Int(sqlite3_changes(connection))
    }

    /// Runs one query with `values` bound and maps each result row.
    public func query<Row>(
        _ sql: String, _ values: [SQLiteValue] = [], row: (SQLiteRow) throws(ApprovalError) -> Row
    ) throws(ApprovalError) -> [Row] {
        try withStatement(sql, values) { statement throws(ApprovalError) in
            var rows: [Row] = []
            while true {
                let status = sqlite3_step(statement)
                if status == SQLITE_DONE { return rows }
                guard status == SQLITE_ROW else { throw failure(status, sql) }
                rows.append(try row(SQLiteRow(statement: statement, sql: sql)))
            }
        }
    }

    /// The first row of a query, or nil when it has none.
    public func queryFirst<Row>(
        _ sql: String, _ values: [SQLiteValue] = [], row: (SQLiteRow) throws(ApprovalError) -> Row
    ) throws(ApprovalError) -> Row? {
        try withStatement(sql, values) { statement throws(ApprovalError) in
            let status = sqlite3_step(statement)
            if status == SQLITE_DONE { return nil }
            guard status == SQLITE_ROW else { throw failure(status, sql) }
            return try row(SQLiteRow(statement: statement, sql: sql))
        }
    }

    /// The first column of the first row of a pragma or query, e.g. `pragma("journal_mode")`.
    public func pragma(_ name: String) throws(ApprovalError) -> SQLiteValue {
        try queryFirst("PRAGMA \(name)") { row in row.value(0) } ?? .null
    }

    /// The rowid the last successful INSERT assigned.
    public var lastInsertRowID: Int64 {
        handle.map { sqlite3_last_insert_rowid($0) } ?? 0
    }

    /// Runs `body` in a `BEGIN IMMEDIATE` transaction: committed when it returns, rolled back when it (or the commit)
    /// throws. IMMEDIATE takes the write lock up front, so two writers never both read and then fail to upgrade.
    public func transaction<Result>(_ body: () throws(ApprovalError) -> Result) throws(ApprovalError) -> Result {
        try inTransaction(begin: "BEGIN IMMEDIATE", body)
    }

    /// Runs `body` in a `BEGIN DEFERRED` transaction that only reads: every query in it sees the same committed
    /// snapshot (taken at its first read), and a writer on another connection neither waits for it nor shows through.
    public func readTransaction<Result>(_ body: () throws(ApprovalError) -> Result) throws(ApprovalError) -> Result {
        try inTransaction(begin: "BEGIN DEFERRED", body)
    }

    /// `begin`, then `body`, then COMMIT; ROLLBACK when the body or the commit throws.
    private func inTransaction<Result>(begin: String, _ body: () throws(ApprovalError) -> Result) throws(ApprovalError) -> Result {
        try run(begin)
        let result: Result
        do throws(ApprovalError) {
            result = try body()
            try run("COMMIT")
        } catch {
            rollBack()
            throw error
        }
        return result
    }

    /// Whether a transaction is open on this connection.
    public var isInTransaction: Bool {
        handle.map { sqlite3_get_autocommit($0) == 0 } ?? false
    }

    private func rollBack() {
        // A failed COMMIT (a deferred foreign key, a full disk) leaves the transaction open; some errors have already
        // rolled it back, which autocommit mode tells.
        guard isInTransaction else { return }
        _ = try? run("ROLLBACK")
    }

    // MARK: Statements

    private func openHandle(for sql: String) throws(ApprovalError) -> OpaquePointer {
        guard let handle else { throw .storage("the database \(path) is closed, in: \(sql)") }
        return handle
    }

    /// Binds `values` to the cached statement for `sql`, hands it to `body`, then resets it for the next caller.
    private func withStatement<Result>(
        _ sql: String, _ values: [SQLiteValue], _ body: (OpaquePointer) throws(ApprovalError) -> Result
    ) throws(ApprovalError) -> Result {
        let statement = try prepared(sql)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        let parameterCount = Int(sqlite3_bind_parameter_count(statement))
        guard parameterCount == values.count else {
            throw .storage("\(values.count) values for \(parameterCount) parameters in: \(sql)")
        }
        for (offset, value) in values.enumerated() {
            let status = bind(value, at: Int32(offset + 1), in: statement)
            guard status == SQLITE_OK else { throw failure(status, sql) }
        }
        return try body(statement)
    }

    private func prepared(_ sql: String) throws(ApprovalError) -> OpaquePointer {
        let key = StatementKey(sql: sql)
        if let statement = statements[key] { return statement }
        let connection = try openHandle(for: sql)
        var statement: OpaquePointer?
        let status = sqlite3_prepare_v3(connection, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard status == SQLITE_OK, let statement else { throw failure(status, sql) }
        statements[key] = statement
        return statement
    }

    /// SQLITE_TRANSIENT: SQLite copies the bytes before the call returns (the macro is a cast, so it does not import).
    private static var transient: sqlite3_destructor_type { unsafeBitCast(-1, to: sqlite3_destructor_type.self) }

    private func bind(_ value: SQLiteValue, at index: Int32, in statement: OpaquePointer) -> Int32 {
        switch value {
        case .integer(let integer):
            return sqlite3_bind_int64(statement, index, integer)
        case .null:
            return sqlite3_bind_null(statement, index)
        case .text(var text):
            return text.withUTF8 { utf8 in
                // A null pointer would bind NULL, so the empty string gets a real (empty) one.
                guard let base = utf8.baseAddress, !utf8.isEmpty else { return sqlite3_bind_text(statement, index, "", 0, Self.transient) }
                return base.withMemoryRebound(to: CChar.self, capacity: utf8.count) { characters in
                    sqlite3_bind_text64(statement, index, characters, sqlite3_uint64(utf8.count), Self.transient, UInt8(SQLITE_UTF8))
                }
            }
        case .blob(let bytes):
            // Likewise a zero-length blob needs zeroblob, not a null pointer.
            guard !bytes.isEmpty else { return sqlite3_bind_zeroblob(statement, index, 0) }
            return bytes.withUnsafeBytes { raw in
                sqlite3_bind_blob64(statement, index, raw.baseAddress, sqlite3_uint64(raw.count), Self.transient)
            }
        }
    }

    private func failure(_ status: Int32, _ sql: String) -> ApprovalError {
        let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(status))
        // Extended result codes are on: the primary code is the low byte.
        if isReadOnly, status & 0xff == SQLITE_READONLY {
            return .storage("a write was attempted inside a read-only store read, which SQLite refused: \(message) (SQLite \(status)) in: \(sql)")
        }
        return .storage("\(message) (SQLite \(status)) in: \(sql)")
    }
}

/// A cached statement's SQL as the cache's key, hashed on its length and its two ends only. Hashing all of a long
/// INSERT's text on every call was most of the cache's cost (callgrind: about 11,000 of a transfer's instructions
/// for 14 lookups). Statements that share both ends and the length only share a bucket: equality still compares the
/// whole text, at once when both are the same string, as the SQL constants the store passes are.
private struct StatementKey: Hashable {
    let sql: String

    func hash(into hasher: inout Hasher) {
        var sql = sql
        sql.withUTF8 { bytes in
            hasher.combine(bytes.count)
            // Whole words rather than `combine(bytes:)`, which is slow on short buffers: the first 8 bytes and the
            // last 32 (overlapping in a short statement, which costs nothing but a repeat).
            guard bytes.count >= 32, let base = bytes.baseAddress else {
                return hasher.combine(bytes: UnsafeRawBufferPointer(bytes))
            }
            let raw = UnsafeRawPointer(base)
            hasher.combine(raw.loadUnaligned(as: UInt64.self))
            for offset in stride(from: bytes.count - 32, to: bytes.count, by: 8) {
                hasher.combine(raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            }
        }
    }

    static func == (left: StatementKey, right: StatementKey) -> Bool { left.sql == right.sql }
}
