import BridgeApprovals
import BridgeCore

/// Money on the wire: a JSON number literal with exactly the currency's decimals (`1000.50`), never via `Double`.
enum MoneyJSON {
    static func number(_ amount: Int64, decimals: Int) -> JSONValue {
        // MinorUnits.format always yields a valid literal; the fallback keeps a bug from crashing the server.
        .number(JSONNumber(text: MinorUnits.format(amount, decimals: decimals)) ?? JSONNumber(amount))
    }

    /// The decimals of `code`, or 0 for a currency removed from the configuration since (its amounts print as
    /// minor units rather than failing the request).
    static func decimals(of code: String, in configuration: ApprovalConfiguration) -> Int {
        configuration.currencies.first { $0.code == code }?.decimals ?? 0
    }
}
