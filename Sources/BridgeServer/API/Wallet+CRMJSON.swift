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

    /// ``crmJSON(decimals:balance:)`` as compact JSON, written straight into bytes: a balance read answers with it,
    /// and building the tree to serialize it cost a read more than the rest of its route (`WalletCRMJSONTests` checks
    /// that the two agree byte for byte).
    public func crmJSONBytes(decimals: Int, balance: Int128? = nil) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128)
        out.appendLiteral(#"{"id":"#)
        JSONValue.appendQuoted(id, to: &out)
        out.appendLiteral(#","external_user_id":"#)
        JSONValue.appendQuoted(externalUserID, to: &out)
        out.appendLiteral(#","amount":"#)
        // MinorUnits.format's text is the JSON number MoneyJSON.number makes of it, written without parsing it again.
        MinorUnits.appendFormatted(balance ?? self.balance, decimals: decimals, to: &out)
        out.appendLiteral(#","currency":"#)
        JSONValue.appendQuoted(currency, to: &out)
        out.appendLiteral(#","decimals":"#)
        out.appendDecimal(decimals)
        out.append(UInt8(ascii: "}"))
        return out
    }
}
