import BridgeCore
import BridgeCrypto

/// `walletbridge-bench http-requests --count N --api-key K`: signed `PATCH /wallets/balance` bodies for wrk.
///
/// wrk's Lua has no SHA-1, so the CRM signatures are computed here, before the run. One request per line:
/// `BODY<TAB>SIGNATURE`; the body is compact JSON (no tabs or newlines), so the Lua script splits on the tab.
/// Each body is a small credit (far below the demo policy's 1,000 USD threshold, so it applies at once) with a
/// unique `order_id`: every request is a new transfer, never an idempotent replay.
struct HTTPRequestFile {
    var count: Int
    var apiKey: String
    var externalUserID = "demo-bob"
    var currency = "USD"
    /// A JSON number literal; credits never run out of funds.
    var amount = "0.01"
    /// Makes order ids unique across runs against the same database.
    var orderPrefix = "bench"

    /// The lines, in order.
    func lines() -> [String] {
        let amountNumber = JSONNumber(text: amount) ?? JSONNumber(1)
        return (0..<count).map { index in
            let body: JSONObject = [
                "external_user_id": .string(externalUserID), "currency": .string(currency),
                "amount": .number(amountNumber), "order_id": .string("\(orderPrefix)-\(index)"),
            ]
            return JSONValue.object(body).serialized() + "\t" + CRMRequestSignature.signature(of: body, apiKey: apiKey)
        }
    }
}
