import BridgeApprovals

/// SQLite rows decode the session manager's models through ``StoreRow`` (BridgeApprovals' StoreRow+Models.swift):
/// columns by `Int` index, `bytes` for BLOBs.
extension SQLiteRow: StoreRow {
    public var context: String { sql }
    public func string(_ column: Int) throws(ApprovalError) -> String { try string(Int32(column)) }
    public func optionalString(_ column: Int) throws(ApprovalError) -> String? { try optionalString(Int32(column)) }
    public func int64(_ column: Int) throws(ApprovalError) -> Int64 { try int64(Int32(column)) }
    public func optionalInt64(_ column: Int) throws(ApprovalError) -> Int64? { try optionalInt64(Int32(column)) }
    public func money(_ column: Int) throws(ApprovalError) -> Int128 { try money(Int32(column)) }
    public func optionalMoney(_ column: Int) throws(ApprovalError) -> Int128? { try optionalMoney(Int32(column)) }
    public func bytes(_ column: Int) throws(ApprovalError) -> [UInt8] { try blob(Int32(column)) }
    public func optionalBytes(_ column: Int) throws(ApprovalError) -> [UInt8]? { try optionalBlob(Int32(column)) }
}
