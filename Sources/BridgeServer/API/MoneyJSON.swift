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
