import BridgeApprovals
import BridgeCore

/// One result row, read column by column with the type the schema promises. Values arrive in PostgreSQL's text
/// format; one that does not parse as the column's type is a storage error naming the SQL, never a silent
/// conversion.
struct PostgresRow: StoreRow {
    let values: [String?]
    let sql: String

    var context: String { sql }

    func optionalString(_ column: Int) throws(ApprovalError) -> String? {
        guard values.indices.contains(column) else {
            throw .storage("column \(column) is missing (the row has \(values.count)), in: \(sql)")
        }
        return values[column]
    }

    func string(_ column: Int) throws(ApprovalError) -> String {
        guard let value = try optionalString(column) else { throw unexpectedNull(column) }
        return value
    }

    func optionalInt64(_ column: Int) throws(ApprovalError) -> Int64? {
        guard let text = try optionalString(column) else { return nil }
        guard let value = Int64(text) else { throw .storage("\"\(text)\" in column \(column) is not a 64-bit integer, in: \(sql)") }
        return value
    }

    func int64(_ column: Int) throws(ApprovalError) -> Int64 {
        guard let value = try optionalInt64(column) else { throw unexpectedNull(column) }
        return value
    }

    /// Exact money from a `minor_units` (NUMERIC(39,0)) column: plain decimal digits, which `Int128` reads exactly.
    func optionalMoney(_ column: Int) throws(ApprovalError) -> Int128? {
        guard let text = try optionalString(column) else { return nil }
        guard let value = MinorUnits.fromStorageText(text) else {
            throw .storage("\"\(text)\" is not an exact amount, in: \(sql)")
        }
        return value
    }

    func money(_ column: Int) throws(ApprovalError) -> Int128 {
        guard let value = try optionalMoney(column) else { throw unexpectedNull(column) }
        return value
    }

    /// A BYTEA column in PostgreSQL's hex output format (`\x0a1b...`, which the store's sessions ask for).
    func optionalBytes(_ column: Int) throws(ApprovalError) -> [UInt8]? {
        guard let text = try optionalString(column) else { return nil }
        guard text.hasPrefix("\\x"), let bytes = Hex.decode(text.dropFirst(2)) else {
            throw .storage("column \(column) is not hex-encoded bytea, in: \(sql)")
        }
        return bytes
    }

    func bytes(_ column: Int) throws(ApprovalError) -> [UInt8] {
        guard let value = try optionalBytes(column) else { throw unexpectedNull(column) }
        return value
    }

    private func unexpectedNull(_ column: Int) -> ApprovalError {
        .storage("column \(column) is NULL, in: \(sql)")
    }
}

/// Statement parameters in PostgreSQL's text input format (nil is SQL NULL), so call sites read like the row they
/// write: `[wallet.id, .money(wallet.balance), .integer(wallet.closedAt?.millisecondsSinceEpoch)]`.
extension Optional where Wrapped == String {
    static func integer(_ value: Int64?) -> String? { value.map { String($0) } }
    static func integer(_ value: Int?) -> String? { value.map { String($0) } }
    /// Exact money as decimal text, which `minor_units` (NUMERIC(39,0)) reads without rounding.
    static func money(_ value: Int128?) -> String? { value.map(MinorUnits.storageText) }
    /// BYTEA in hex input format.
    static func bytes(_ value: [UInt8]?) -> String? { value.map { "\\x" + Hex.encode($0) } }
    static func time(_ value: Timestamp?) -> String? { value.map { String($0.millisecondsSinceEpoch) } }
    /// A `text[]` literal (`{"a","b"}`), each element quoted, `"` and `\` escaped; nil stays NULL.
    static func textArray(_ values: [String]?) -> String? {
        values.map { values in
            "{" + values.map { value in
                "\"" + value.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"") + "\""
            }.joined(separator: ",") + "}"
        }
    }
}
