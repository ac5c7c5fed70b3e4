/// A failure reported by libpq or by the server: what ``PostgresConnection`` throws.
///
/// Carries the server's SQLSTATE (nil when libpq itself failed, e.g. it could not connect) and its primary message,
/// never the connection string: that may hold a password.
public struct PostgresError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The five-character SQLSTATE, e.g. `23505` for a unique violation; nil when the server did not send one.
    public let sqlState: String?
    /// The server's primary message, or libpq's.
    public let message: String
    /// The server's DETAIL line (which key was duplicated, which row failed a check), when it sent one.
    public let detail: String?
    /// The constraint that failed, when the server named one.
    public let constraint: String?
    /// True when the connection was lost (or never made): the statement's outcome is unknown, and the connection
    /// must be reset before it is used again.
    public let connectionBroken: Bool

    public init(sqlState: String? = nil, message: String, detail: String? = nil, constraint: String? = nil,
                connectionBroken: Bool = false) {
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.constraint = constraint
        self.connectionBroken = connectionBroken
    }

    /// `23505` unique_violation.
    public static let uniqueViolation = "23505"
    /// `23503` foreign_key_violation.
    public static let foreignKeyViolation = "23503"
    /// `23514` check_violation.
    public static let checkViolation = "23514"
    /// `25006` read_only_sql_transaction: a write inside a READ ONLY transaction.
    public static let readOnlyTransaction = "25006"

    /// The message, then the SQLSTATE, the constraint and the detail when present.
    public var description: String {
        var parts: [String] = []
        if let sqlState { parts.append("SQLSTATE \(sqlState)") }
        if let constraint { parts.append("constraint \(constraint)") }
        if let detail { parts.append(detail) }
        return parts.isEmpty ? message : "\(message) (\(parts.joined(separator: "; ")))"
    }
}
