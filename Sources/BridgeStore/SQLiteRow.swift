import BridgeApprovals
import CSQLite

/// The current row of a stepping statement, read column by column with the type the schema promises.
///
/// Only valid inside the closure it is handed to (do not keep it): the statement moves on and is reset afterwards.
/// A column of an unexpected storage class is a storage error naming the SQL, never a silent conversion.
public struct SQLiteRow {
    let statement: OpaquePointer
    let sql: String

    /// How many columns the row has.
    public var columnCount: Int32 { sqlite3_column_count(statement) }

    /// The column's value, whatever its storage class (REAL reads as its text form: WalletBridge stores none).
    public func value(_ column: Int32) -> SQLiteValue {
        switch sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER: .integer(sqlite3_column_int64(statement, column))
        case SQLITE_NULL: .null
        case SQLITE_BLOB: .blob(blobBytes(column))
        default: .text(textString(column))
        }
    }

    public func int64(_ column: Int32) throws(ApprovalError) -> Int64 {
        guard let value = try optionalInt64(column) else { throw unexpected(column, expected: "an integer") }
        return value
    }

    public func optionalInt64(_ column: Int32) throws(ApprovalError) -> Int64? {
        switch sqlite3_column_type(statement, column) {
        case SQLITE_NULL: return nil
        case SQLITE_INTEGER: return sqlite3_column_int64(statement, column)
        default: throw unexpected(column, expected: "an integer")
        }
    }

    /// Exact money stored by ``SQLiteValue/money(_:)``: anything but canonical decimal text is a storage error.
    public func money(_ column: Int32) throws(ApprovalError) -> Int128 {
        guard let value = try optionalMoney(column) else { throw unexpected(column, expected: "a decimal amount") }
        return value
    }

    public func optionalMoney(_ column: Int32) throws(ApprovalError) -> Int128? {
        guard let text = try optionalString(column) else { return nil }
        guard let value = MinorUnits.fromStorageText(text) else {
            throw .storage("\"\(text)\" is not an exact amount, in: \(sql)")
        }
        return value
    }

    public func string(_ column: Int32) throws(ApprovalError) -> String {
        guard let value = try optionalString(column) else { throw unexpected(column, expected: "text") }
        return value
    }

    public func optionalString(_ column: Int32) throws(ApprovalError) -> String? {
        switch sqlite3_column_type(statement, column) {
        case SQLITE_NULL: return nil
        case SQLITE_TEXT: return textString(column)
        default: throw unexpected(column, expected: "text")
        }
    }

    public func blob(_ column: Int32) throws(ApprovalError) -> [UInt8] {
        guard let value = try optionalBlob(column) else { throw unexpected(column, expected: "a blob") }
        return value
    }

    public func optionalBlob(_ column: Int32) throws(ApprovalError) -> [UInt8]? {
        switch sqlite3_column_type(statement, column) {
        case SQLITE_NULL: return nil
        case SQLITE_BLOB: return blobBytes(column)
        default: throw unexpected(column, expected: "a blob")
        }
    }

    private func textString(_ column: Int32) -> String {
        // sqlite3_column_text before sqlite3_column_bytes, as SQLite's documentation orders them.
        guard let text = sqlite3_column_text(statement, column) else { return "" }
        let count = Int(sqlite3_column_bytes(statement, column))
        return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
    }

    private func blobBytes(_ column: Int32) -> [UInt8] {
        // A zero-length blob comes back as a null pointer.
        guard let bytes = sqlite3_column_blob(statement, column) else { return [] }
        let count = Int(sqlite3_column_bytes(statement, column))
        return Array(UnsafeRawBufferPointer(start: bytes, count: count))
    }

    private func unexpected(_ column: Int32, expected: String) -> ApprovalError {
        let name = sqlite3_column_name(statement, column).map { String(cString: $0) } ?? "#\(column)"
        let storageClass = switch sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER: "an integer"
        case SQLITE_FLOAT: "a real"
        case SQLITE_TEXT: "text"
        case SQLITE_BLOB: "a blob"
        default: "null"
        }
        return .storage("column \(name) holds \(storageClass), expected \(expected), in: \(sql)")
    }
}
