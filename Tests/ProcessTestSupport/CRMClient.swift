import BridgeCore
import BridgeCrypto
import Foundation

/// The CRM's side of the service (CONTRACT 2.1): requests carrying the API key in `key` and, with a body, the
/// `signature` the CRM computes (``CRMRequestSignature``), so the tests move money exactly as the CRM does.
public struct CRMClient: Sendable {
    /// `http://127.0.0.1:PORT` of `walletbridge serve`.
    public let baseURL: String
    public let apiKey: String

    public init(baseURL: String, apiKey: String) {
        self.baseURL = baseURL
        self.apiKey = apiKey
    }

    /// `PATCH /wallets/balance`: `amount` is decimal text (`5000`, `-1500.00`); positive credits the external wallet.
    public func transfer(user: String, currency: String, amount: String, orderID: String) async throws -> HTTPReply {
        guard let number = JSONNumber(text: amount) else { throw HarnessError("not a JSON number: \(amount)") }
        let body: JSONObject = [
            "external_user_id": .string(user), "currency": .string(currency), "amount": .number(number),
            "order_id": .string(orderID),
        ]
        let signature = CRMRequestSignature.signature(of: body, apiKey: apiKey)
        return try await LoopbackHTTP.send(
            "PATCH", baseURL + "/wallets/balance",
            headers: [("key", apiKey), ("signature", signature), ("Content-Type", "application/json")],
            body: Array(JSONValue.object(body).serialized().utf8))
    }

    /// `GET /wallets/order?order_id=`: the order's status and its approvals as the CRM sees them.
    public func order(_ orderID: String) async throws -> HTTPReply {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+#")
        let query = orderID.addingPercentEncoding(withAllowedCharacters: allowed) ?? orderID
        return try await LoopbackHTTP.send("GET", baseURL + "/wallets/order?order_id=\(query)", headers: [("key", apiKey)])
    }

    /// The order's status as JSON, failing unless the service answers 200.
    public func orderStatus(_ orderID: String) async throws -> JSONValue {
        let reply = try await order(orderID)
        guard reply.status == 200 else { throw HarnessError("GET /wallets/order?order_id=\(orderID) -> \(reply.status) \(reply.text)") }
        return try reply.json()
    }
}
