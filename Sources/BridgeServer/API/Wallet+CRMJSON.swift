import BridgeApprovals
import BridgeCore

extension Wallet {
    /// The wallet as the CRM sees it (CONTRACT 2.1): `{"id","external_user_id","amount","currency","decimals"}`,
    /// `amount` being the balance as a JSON number with the currency's decimals, or `balance` when given (a retried
    /// transfer answers with the balance it had then). The admin CLI prints the same shape.
    public func crmJSON(decimals: Int, balance: Int128? = nil) -> JSONValue {
        [
            "id": .string(id),
            "external_user_id": .string(externalUserID),
            "amount": MoneyJSON.number(balance ?? self.balance, decimals: decimals),
            "currency": .string(currency),
            "decimals": .number(JSONNumber(decimals)),
        ]
    }
}
