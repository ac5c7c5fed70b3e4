/// One row of a store's query, read column by column with the type the schema promises: what both stores (SQLite,
/// PostgreSQL) give the shared model decoders in `StoreRow+Models.swift`, so a model's columns are decoded in one
/// place. A value of the wrong type is a storage error naming ``context`` (the SQL), never a silent conversion.
public protocol StoreRow {
    /// What the row came from, for error messages (the statement's SQL).
    var context: String { get }
    func string(_ column: Int) throws(ApprovalError) -> String
    func optionalString(_ column: Int) throws(ApprovalError) -> String?
    func int64(_ column: Int) throws(ApprovalError) -> Int64
    func optionalInt64(_ column: Int) throws(ApprovalError) -> Int64?
    /// Exact minor units.
    func money(_ column: Int) throws(ApprovalError) -> Int128
    func optionalMoney(_ column: Int) throws(ApprovalError) -> Int128?
    func bytes(_ column: Int) throws(ApprovalError) -> [UInt8]
    func optionalBytes(_ column: Int) throws(ApprovalError) -> [UInt8]?
}

extension StoreRow {
    public func int(_ column: Int) throws(ApprovalError) -> Int {
        let value = try int64(column)
        guard let int = Int(exactly: value) else { throw .storage("\(value) does not fit an Int, in: \(context)") }
        return int
    }

    /// Milliseconds since the epoch.
    public func timestamp(_ column: Int) throws(ApprovalError) -> Timestamp {
        Timestamp(millisecondsSinceEpoch: try int64(column))
    }

    public func optionalTimestamp(_ column: Int) throws(ApprovalError) -> Timestamp? {
        try optionalInt64(column).map(Timestamp.init(millisecondsSinceEpoch:))
    }

    /// A text column holding one of an enum's raw values.
    public func enumeration<Value: RawRepresentable<String>>(_ column: Int, _ type: Value.Type) throws(ApprovalError) -> Value {
        let text = try string(column)
        guard let value = Value(rawValue: text) else { throw .storage("unknown \(Value.self) \"\(text)\", in: \(context)") }
        return value
    }
}
