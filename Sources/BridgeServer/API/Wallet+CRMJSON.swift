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
        out.appendUTF8(#"{"id":"#)
        JSONValue.appendQuoted(id, to: &out)
        out.appendUTF8(#","external_user_id":"#)
        JSONValue.appendQuoted(externalUserID, to: &out)
        out.appendUTF8(#","amount":"#)
        // MinorUnits.format's text is the JSON number MoneyJSON.number makes of it, copied without parsing it again.
        out.appendUTF8(MinorUnits.format(balance ?? self.balance, decimals: decimals))
        out.appendUTF8(#","currency":"#)
        JSONValue.appendQuoted(currency, to: &out)
        out.appendUTF8(#","decimals":"#)
        out.appendDecimal(decimals)
        out.append(UInt8(ascii: "}"))
        return out
    }
}
