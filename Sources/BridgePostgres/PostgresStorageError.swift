import BridgeApprovals

extension ApprovalError {
    /// What the session manager sees of a PostgreSQL failure; nothing was changed.
    ///
    /// - A lost or refused connection is ``ApprovalError/unavailable(_:)`` naming the database (HTTP 503: the same
    ///   request may be sent again; the connection is reset before its next use).
    /// - A write inside a store read is a storage error saying so (PostgreSQL refuses it in a READ ONLY transaction).
    /// - Anything else is a storage error quoting the server's message, SQLSTATE, constraint and detail, and the SQL.
    static func postgres(_ error: PostgresError, sql: String?, database: String, inRead: Bool = false) -> ApprovalError {
        if error.connectionBroken {
            return .unavailable("\(database): \(error.message)")
        }
        let statement = sql.map { " in: \($0)" } ?? ""
        if inRead, error.sqlState == PostgresError.readOnlyTransaction {
            return .storage("a write was attempted inside a read-only store read, which PostgreSQL refused: \(error)\(statement)")
        }
        return .storage("\(error)\(statement)")
    }
}
