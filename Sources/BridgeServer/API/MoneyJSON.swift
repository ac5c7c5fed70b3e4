import BridgeApprovals
import BridgeCore

/// Money on the wire: a JSON number literal with exactly the currency's decimals (`1000.50`), never via `Double`.
public enum MoneyJSON {
    public static func number(_ amount: Int128, decimals: Int) -> JSONValue {
        // MinorUnits.format always yields a valid literal; the fallback keeps a bug from crashing the server.
        let text = MinorUnits.format(amount, decimals: decimals)
        return JSONNumber(text: text).map(JSONValue.number) ?? .string(text)
    }

    /// The decimals of `code`, or 0 for a currency removed from the configuration since (its amounts print as
    /// minor units rather than failing the request).
    public static func decimals(of code: String, in configuration: ApprovalConfiguration) -> Int {
        configuration.currencies.first { $0.code == code }?.decimals ?? 0
    }
}

extension ApprovalService {
    /// The `approvals` list of an order: `[{operator, decision, at}]`, operators by name, oldest first.
    func approvalsJSON(_ records: [ApprovalRecord]) throws(ApprovalError) -> JSONValue {
        guard !records.isEmpty else { return .array([]) }
        let names = Dictionary(try operators().map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        return .array(records.sorted { $0.createdAt < $1.createdAt }.map { record in
            var entry: JSONObject = [
                "operator": .string(names[record.operatorID] ?? record.operatorID),
                "decision": .string(record.decision.rawValue),
                "at": .string(record.createdAt.rfc3339),
            ]
            if let reason = record.reason { entry["reason"] = .string(reason) }
            return .object(entry)
        })
    }
}
