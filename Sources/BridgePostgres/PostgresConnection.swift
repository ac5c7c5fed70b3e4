import CLibPQ
import FoundationEssentials
import Glibc

/// The rows a statement returned, every value in PostgreSQL's text format (nil for SQL NULL), and how many rows it
/// changed.
public struct PostgresResult: Sendable {
    /// Column names, in order.
    public let columns: [String]
    public let rows: [[String?]]
    /// What the command tag counts: rows inserted, updated, deleted or selected (0 for other commands).
    public let affectedRows: Int
}

/// One libpq connection: statements with text parameters, prepared statements cached by their SQL text, results as
/// rows of optional strings, failures as ``PostgresError`` with the server's SQLSTATE.
///
/// Not thread-safe and not `Sendable`: one thread at a time (``PostgresConnectionPool`` lends each connection to one
/// thread). libpq itself is thread-safe across connections.
///
/// Secrets: the connection string may carry a password, and libpq also reads `PGPASSWORD` and `PGPASSFILE`. Neither
/// the string nor the password ever appears in an error or in ``databaseName``; libpq's own messages name the host,
/// port, user and database at most, and any occurrence of the password in them is masked all the same.
public final class PostgresConnection {
    /// `postgresql://user@host:port/dbname`, without the password: how errors name the database.
    public let databaseName: String
    private let conninfo: String
    /// The password the connection string carries (only to mask it out of libpq's messages).
    private let secret: String?
    /// Run after every connect and reset (session settings the caller relies on).
    private let sessionSetup: String?
    private var handle: OpaquePointer?
    /// SQL text -> server-side statement name, valid until the session ends (reset or close).
    private var statements: [String: String] = [:]
    private var nextStatementNumber = 0

    /// At most this many prepared statements stay cached; beyond it the cache starts again (`DEALLOCATE ALL`).
    /// The store's statements are a fixed set far below it, so this only bounds a misuse.
    public static let statementCacheLimit = 512

    /// How long libpq waits for the server when the connection string sets no `connect_timeout` (nor does
    /// `PGCONNECT_TIMEOUT`): without one a dead host would hold a request for the operating system's TCP timeout.
    public static let defaultConnectTimeoutSeconds = 10

    /// Connects with a libpq URI (`postgresql://...`) or `key=value` string, then runs `sessionSetup` (if any).
    /// The client encoding is always UTF-8 (Swift strings are), whatever the string or environment says.
    public init(conninfo: String, sessionSetup: String? = nil) throws(PostgresError) {
        let parsed = try Self.parse(conninfo)
        self.conninfo = conninfo
        self.secret = parsed.password.flatMap { $0.isEmpty ? nil : $0 }
        self.sessionSetup = sessionSetup
        self.databaseName = Self.describe(parsed.options)
        try connect()
    }

    deinit { close() }

    /// Closes the connection; later calls fail with a broken-connection error.
    public func close() {
        if let handle { PQfinish(handle) }
        handle = nil
        statements.removeAll()
    }

    /// True when there is no usable session: closed, never connected, or lost (libpq noticed the server went away).
    /// A lost connection is only noticed by the statement that failed on it.
    public var isConnectionBroken: Bool {
        guard let handle else { return true }
        return PQstatus(handle) != CONNECTION_OK
    }

    /// Where the session stands with respect to transactions.
    public enum TransactionState: Sendable, Equatable {
        case idle, inTransaction, failedTransaction, active, unknown
    }

    public var transactionState: TransactionState {
        guard let handle else { return .unknown }
        switch PQtransactionStatus(handle) {
        case PQTRANS_IDLE: return .idle
        case PQTRANS_INTRANS: return .inTransaction
        case PQTRANS_INERROR: return .failedTransaction
        case PQTRANS_ACTIVE: return .active
        default: return .unknown
        }
    }

    /// The server process serving this session (`pg_backend_pid()`), 0 when there is none.
    public var backendPID: Int32 {
        guard let handle else { return 0 }
        return PQbackendPID(handle)
    }

    /// Reconnects with the same parameters (a new session: prepared statements and session settings are gone, so
    /// the cache is emptied and `sessionSetup` runs again).
    public func reset() throws(PostgresError) {
        statements.removeAll()
        guard let handle else {
            try connect()
            return
        }
        PQreset(handle)
        guard PQstatus(handle) == CONNECTION_OK else {
            throw PostgresError(message: connectionMessage(handle), connectionBroken: true)
        }
        try runSessionSetup()
    }

    // MARK: Statements

    /// Runs one or more statements without parameters (the simple query protocol): schema changes, `BEGIN`, `SET`.
    /// Stops at the first statement that fails.
    @discardableResult
    public func execute(_ sql: String) throws(PostgresError) -> PostgresResult {
        let handle = try liveHandle()
        return try collect(PQexec(handle, sql), handle)
    }

    /// Runs one statement with `parameters` ($1, $2, ...) sent as text, nil as SQL NULL, without preparing it.
    public func query(_ sql: String, _ parameters: [String?] = []) throws(PostgresError) -> PostgresResult {
        let handle = try liveHandle()
        return try withParameterPointers(parameters) { (values, count) throws(PostgresError) in
            try collect(PQexecParams(handle, sql, count, nil, values, nil, nil, 0), handle)
        }
    }

    /// Like ``query(_:_:)``, through a statement prepared once per session and cached by its SQL text, so the server
    /// parses and plans it once.
    public func queryPrepared(_ sql: String, _ parameters: [String?] = []) throws(PostgresError) -> PostgresResult {
        let handle = try liveHandle()
        let name = try preparedName(sql, handle)
        do {
            return try withParameterPointers(parameters) { (values, count) throws(PostgresError) in
                try collect(PQexecPrepared(handle, name, count, values, nil, nil, 0), handle)
            }
        } catch {
            // 26000: the session lost its statement (DISCARD ALL, a pooler switching backends); prepare it again next time.
            if error.sqlState == "26000" { statements[sql] = nil }
            throw error
        }
    }

    /// How many statements are prepared in this session (tests).
    public var preparedStatementCount: Int { statements.count }

    // MARK: Probing

    /// Whether a server accepts connections at `conninfo` (`PQping`: no credentials are needed and none are sent).
    public static func ping(conninfo: String) -> Bool {
        (try? openLibPQ()) != nil && PQping(conninfo) == PQPING_OK
    }

    /// `postgresql://user@host:port/dbname` for `conninfo`, with what it names and without its password; "a
    /// PostgreSQL database" when the string does not parse.
    public static func redactedName(of conninfo: String) -> String {
        guard let parsed = try? parse(conninfo) else { return "a PostgreSQL database (unparsable connection string)" }
        return describe(parsed.options)
    }

    // MARK: Internals

    /// libpq is opened on first use (CLibPQ's loader): this turns its absence into an error rather than an abort.
    private static func openLibPQ() throws(PostgresError) {
        guard let reason = walletbridge_libpq_open() else { return }
        throw PostgresError(message: "libpq could not be loaded (\(String(cString: reason))): install Debian's libpq5",
                            connectionBroken: true)
    }

    private func connect() throws(PostgresError) {
        try Self.openLibPQ()
        close()
        let environment = ProcessInfo.processInfo.environment
        // Defaults first, then the caller's string (expanded from `dbname`), which overrides them; the encoding last,
        // so nothing overrides it. Environment variables (PGHOST, PGPASSFILE, ...) fill whatever none of these set.
        var keywords: [String] = []
        var values: [String] = []
        if environment["PGCONNECT_TIMEOUT"] == nil {
            keywords.append("connect_timeout")
            values.append(String(Self.defaultConnectTimeoutSeconds))
        }
        if environment["PGAPPNAME"] == nil {
            keywords.append("application_name")
            values.append("walletbridge")
        }
        keywords += ["dbname", "client_encoding"]
        values += [conninfo, "UTF8"]
        let connection = Self.withCStringArrays(keywords, values) { keywordPointers, valuePointers in
            PQconnectdbParams(keywordPointers, valuePointers, 1)
        }
        guard let connection else { throw PostgresError(message: "libpq could not allocate a connection", connectionBroken: true) }
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = connectionMessage(connection)
            PQfinish(connection)
            throw PostgresError(message: message, connectionBroken: true)
        }
        // libpq prints NOTICEs to stderr by default ("relation ... already exists, skipping"): nothing is logged here.
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        handle = connection
        do {
            try runSessionSetup()
        } catch {
            close()
            throw error
        }
    }

    private func runSessionSetup() throws(PostgresError) {
        guard let sessionSetup else { return }
        try execute(sessionSetup)
    }

    private func liveHandle() throws(PostgresError) -> OpaquePointer {
        guard let handle else { throw PostgresError(message: "the connection to \(databaseName) is closed", connectionBroken: true) }
        return handle
    }

    private func preparedName(_ sql: String, _ handle: OpaquePointer) throws(PostgresError) -> String {
        if let name = statements[sql] { return name }
        if statements.count >= Self.statementCacheLimit {
            try execute("DEALLOCATE ALL")
            statements.removeAll()
        }
        nextStatementNumber += 1
        let name = "wb_\(nextStatementNumber)"
        // Parameter types are left to the server to infer (the SQL casts where it could not).
        _ = try collect(PQprepare(handle, name, sql, 0, nil), handle)
        statements[sql] = name
        return name
    }

    /// Turns a result into rows (and frees it), or its error into a ``PostgresError``.
    private func collect(_ result: OpaquePointer?, _ handle: OpaquePointer) throws(PostgresError) -> PostgresResult {
        guard let result else {
            // No result at all: out of memory, or the connection is gone.
            throw PostgresError(message: connectionMessage(handle), connectionBroken: PQstatus(handle) != CONNECTION_OK)
        }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY else {
            throw failure(result, handle)
        }
        let rowCount = PQntuples(result)
        let columnCount = PQnfields(result)
        var columns: [String] = []
        columns.reserveCapacity(Int(columnCount))
        for column in 0..<columnCount {
            columns.append(PQfname(result, column).map { String(cString: $0) } ?? "?column?")
        }
        var rows: [[String?]] = []
        rows.reserveCapacity(Int(rowCount))
        for row in 0..<rowCount {
            var values: [String?] = []
            values.reserveCapacity(Int(columnCount))
            for column in 0..<columnCount {
                if PQgetisnull(result, row, column) != 0 {
                    values.append(nil)
                } else if let text = PQgetvalue(result, row, column) {
                    let length = Int(PQgetlength(result, row, column))
                    values.append(String(decoding: UnsafeRawBufferPointer(start: text, count: length), as: UTF8.self))
                } else {
                    values.append(nil)
                }
            }
            rows.append(values)
        }
        let tag = PQcmdTuples(result).map { String(cString: $0) } ?? ""
        return PostgresResult(columns: columns, rows: rows, affectedRows: Int(tag) ?? 0)
    }

    private func failure(_ result: OpaquePointer, _ handle: OpaquePointer) -> PostgresError {
        func field(_ code: Character) -> String? {
            guard let ascii = code.asciiValue, let text = PQresultErrorField(result, Int32(ascii)) else { return nil }
            return String(cString: text)
        }
        let sqlState = field("C")
        let primary = field("M") ?? PQresultErrorMessage(result).map { String(cString: $0) }
        let message = mask((primary?.isEmpty == false ? primary : nil) ?? connectionMessage(handle))
        let broken = PQstatus(handle) != CONNECTION_OK || Self.meansConnectionLost(sqlState)
        return PostgresError(sqlState: sqlState, message: message.trimmingWhitespace(),
                             detail: field("D").map(mask), constraint: field("n"), connectionBroken: broken)
    }

    /// Class 08 (connection exception) and the shutdown codes: the session is over even if libpq has not noticed.
    private static func meansConnectionLost(_ sqlState: String?) -> Bool {
        guard let sqlState else { return false }
        return sqlState.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(sqlState)
    }

    /// libpq's message for the connection, one line, with the password masked.
    private func connectionMessage(_ handle: OpaquePointer) -> String {
        let text = PQerrorMessage(handle).map { String(cString: $0) } ?? ""
        let oneLine = text.split(whereSeparator: \.isNewline).map { $0.trimmingWhitespace() }
            .filter { !$0.isEmpty }.joined(separator: " ")
        return mask(oneLine.isEmpty ? "the connection to \(databaseName) failed" : oneLine)
    }

    private func mask(_ text: String) -> String {
        guard let secret, text.contains(secret) else { return text }
        return text.replacing(secret, with: "***")
    }

    /// Calls `body` with libpq's `const char *const *` parameter array (nil entries are SQL NULL).
    private func withParameterPointers<Result>(
        _ parameters: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?, Int32) throws(PostgresError) -> Result
    ) throws(PostgresError) -> Result {
        var copies: [UnsafeMutablePointer<CChar>?] = []
        copies.reserveCapacity(parameters.count)
        defer { for copy in copies { free(copy) } }
        for (index, parameter) in parameters.enumerated() {
            guard let parameter else {
                copies.append(nil)
                continue
            }
            // A C string ends at the first NUL: sending it would silently store a truncated value.
            guard !parameter.utf8.contains(0) else {
                throw PostgresError(message: "parameter $\(index + 1) contains a NUL character, which PostgreSQL text cannot hold")
            }
            guard let copy = strdup(parameter) else { throw PostgresError(message: "out of memory copying parameter $\(index + 1)") }
            copies.append(copy)
        }
        let pointers = copies.map { $0.map { UnsafePointer($0) } }
        var outcome: Swift.Result<Result, PostgresError>?
        pointers.withUnsafeBufferPointer { buffer in
            do throws(PostgresError) {
                outcome = .success(try body(buffer.baseAddress, Int32(buffer.count)))
            } catch {
                outcome = .failure(error)
            }
        }
        guard let outcome else { throw PostgresError(message: "the statement did not run") }
        return try outcome.get()
    }

    private static func withCStringArrays<Result>(
        _ first: [String], _ second: [String],
        _ body: (UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<UnsafePointer<CChar>?>?) -> Result
    ) -> Result {
        // strdup'ed copies, NULL-terminated as libpq's keyword arrays must be.
        let firstCopies = first.map { strdup($0) } + [nil]
        let secondCopies = second.map { strdup($0) } + [nil]
        defer {
            for copy in firstCopies { free(copy) }
            for copy in secondCopies { free(copy) }
        }
        let firstPointers = firstCopies.map { $0.map { UnsafePointer<CChar>($0) } }
        let secondPointers = secondCopies.map { $0.map { UnsafePointer<CChar>($0) } }
        return firstPointers.withUnsafeBufferPointer { keywords in
            secondPointers.withUnsafeBufferPointer { values in body(keywords.baseAddress, values.baseAddress) }
        }
    }

    /// The connection string's options as libpq reads them (`PQconninfoParse`), or an error that does not quote the
    /// string: libpq's parse errors echo fragments of it, which may be the password.
    private static func parse(_ conninfo: String) throws(PostgresError) -> (options: [String: String], password: String?) {
        try openLibPQ()
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(conninfo, &errorMessage) else {
            if let errorMessage { PQfreemem(errorMessage) }
            // A bare word is a database name to libpq (the connection's other settings come from the environment).
            if !conninfo.isEmpty, !conninfo.contains("="), !conninfo.contains("://"), !conninfo.contains(where: \.isWhitespace) {
                return (["dbname": conninfo], nil)
            }
            throw PostgresError(message: "the database connection string is neither a valid postgresql:// URI nor "
                + "key=value pairs (libpq's message is withheld: it may quote a password)", connectionBroken: true)
        }
        defer { PQconninfoFree(options) }
        var values: [String: String] = [:]
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val { values[String(cString: keyword)] = String(cString: value) }
            option += 1
        }
        let password = values.removeValue(forKey: "password")
        return (values, password)
    }

    private static func describe(_ options: [String: String]) -> String {
        let user = options["user"].map { $0 + "@" } ?? ""
        let host = options["host"] ?? options["hostaddr"] ?? ""
        let port = options["port"].map { ":" + $0 } ?? ""
        let database = options["dbname"] ?? ""
        return "postgresql://\(user)\(host)\(port)/\(database)"
    }
}
