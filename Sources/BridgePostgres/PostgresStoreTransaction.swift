import BridgeApprovals

/// The rows of one open PostgreSQL transaction (``PostgresApprovalStore/transaction(_:)`` or ``read(_:)``), split by
/// concern over the `PostgresStoreTransaction+*.swift` files as BridgeStore's SQLite handle is. Valid only while the
/// body it was handed to runs: afterwards every call fails with a storage error instead of touching another
/// transaction.
///
/// Every statement is prepared once per connection and cached by its SQL text, so the statement texts are constants
/// (lists travel as one `text[]` parameter, never spliced into the SQL).
final class PostgresStoreTransaction: StoreTransaction {
    let context: PostgresTransactionContext
    private var isOpen = true

    init(context: PostgresTransactionContext) {
        self.context = context
    }

    func end() { isOpen = false }

    private func open() throws(ApprovalError) -> PostgresConnection {
        guard isOpen else { throw .storage("a store transaction was used after it ended") }
        return context.connection
    }

    /// Runs a prepared statement; failures become storage errors naming the SQL (or the database, when it is gone).
    private func execute(_ sql: String, _ values: [String?]) throws(ApprovalError) -> PostgresResult {
        let connection = try open()
        do {
            return try connection.queryPrepared(sql, values)
        } catch {
            throw .postgres(error, sql: sql, database: context.databaseName, inRead: context.isRead)
        }
    }

    /// The rows of a query, each mapped by `row`.
    func query<Row>(
        _ sql: String, _ values: [String?] = [], row: (PostgresRow) throws(ApprovalError) -> Row
    ) throws(ApprovalError) -> [Row] {
        let result = try execute(sql, values)
        var rows: [Row] = []
        rows.reserveCapacity(result.rows.count)
        for values in result.rows { rows.append(try row(PostgresRow(values: values, sql: sql))) }
        return rows
    }

    /// The first row of a query, or nil when it has none.
    func queryFirst<Row>(
        _ sql: String, _ values: [String?] = [], row: (PostgresRow) throws(ApprovalError) -> Row
    ) throws(ApprovalError) -> Row? {
        let result = try execute(sql, values)
        guard let first = result.rows.first else { return nil }
        return try row(PostgresRow(values: first, sql: sql))
    }

    /// Runs a statement and returns how many rows it changed.
    @discardableResult
    func run(_ sql: String, _ values: [String?] = []) throws(ApprovalError) -> Int {
        try execute(sql, values).affectedRows
    }

    /// Runs an UPDATE that must change exactly one row: a missing row is a bug in the caller, not a no-op.
    func updateOne(_ what: @autoclosure () -> String, _ sql: String, _ values: [String?]) throws(ApprovalError) {
        let changed = try run(sql, values)
        guard changed == 1 else { throw .storage("no \(what()) to update (\(changed) rows matched)") }
    }
}
