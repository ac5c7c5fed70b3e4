import BridgeApprovals

/// A value bound to a statement parameter or read from a result column: SQLite's storage classes, less REAL
/// (nothing in WalletBridge is stored as floating point; money is 128-bit minor units as decimal text).
public enum SQLiteValue: Sendable, Hashable {
    case integer(Int64)
    case text(String)
    case blob([UInt8])
    case null

    /// `.integer`, or `.null` for nil.
    public static func integer(_ value: Int64?) -> SQLiteValue { value.map(SQLiteValue.integer) ?? .null }
    /// `.text`, or `.null` for nil.
    public static func text(_ value: String?) -> SQLiteValue { value.map(SQLiteValue.text) ?? .null }

    /// Exact money: canonical decimal text of the 128-bit minor units (SQLite's integers are 64-bit).
    public static func money(_ value: Int128?) -> SQLiteValue {
        value.map { .text(MinorUnits.storageText($0)) } ?? .null
    }
    /// `.blob`, or `.null` for nil.
    public static func blob(_ value: [UInt8]?) -> SQLiteValue { value.map(SQLiteValue.blob) ?? .null }
}

extension SQLiteValue: ExpressibleByIntegerLiteral, ExpressibleByStringLiteral, ExpressibleByNilLiteral {
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(stringLiteral value: String) { self = .text(value) }
    public init(nilLiteral: ()) { self = .null }
}
