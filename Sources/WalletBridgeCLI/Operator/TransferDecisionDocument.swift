import BridgeApprovals
import BridgeCore

/// The EIP-712 document the service sends for a decision on a transfer, checked before the device sees it and told
/// to the operator on standard error, so they compare it with what the device shows.
struct TransferDecisionDocument: Sendable {
    let document: JSONValue
    let message: JSONObject

    /// Accepts only a `TransferApproval` (or, for a rejection, a `TransferRejection` carrying exactly `reason`) for
    /// `orderID`: a service that answers with another order's document gets no signature.
    init(_ document: JSONValue, orderID: String, rejectionReason: String?) throws(GenericBridgeError) {
        let expectedType = rejectionReason == nil ? "TransferApproval" : "TransferRejection"
        guard let message = document["message"]?.objectValue, document["primaryType"]?.stringValue == expectedType else {
            throw GenericBridgeError(.protocolError, "The service sent no \(expectedType) document for order \(orderID)",
                                     hint: "Refusing to sign it. Check that --server points at your WalletBridge service.")
        }
        guard message["orderId"]?.stringValue == orderID else {
            throw GenericBridgeError(
                .protocolError,
                "The service sent a document for order \(message["orderId"]?.stringValue ?? "?"), not \(orderID)",
                hint: "Refusing to sign it. Check that --server points at your WalletBridge service.")
        }
        if let rejectionReason, message["reason"]?.stringValue != rejectionReason {
            throw GenericBridgeError(.protocolError, "The service's TransferRejection does not carry the reason you gave",
                                     hint: "Refusing to sign it. Run the command again.")
        }
        self.document = document
        self.message = message
    }

    /// What the operator reads before confirming: amount, currency, direction, user, policy and expiry.
    var summary: [String] {
        func field(_ name: String) -> String {
            switch message[name] {
            case .string(let text)?: text
            case .number(let number)?: number.text
            default: "?"
            }
        }
        let expiry = message["expiresAt"]?.numberValue?.int64Value
            .map { Timestamp(secondsSinceEpoch: $0).rfc3339 } ?? field("expiresAt")
        let policy = field("policy").isEmpty ? "(none)" : field("policy")
        var lines = [
            "Order \(field("orderId")): \(field("direction")) \(field("amount")) \(field("currency"))",
            "  external user \(field("externalUserId")), wallet \(field("wallet"))",
            "  policy \(policy), approvals accepted until \(expiry)",
        ]
        if message["reason"] != nil { lines.append("  REJECT, reason: \(field("reason"))") }
        return lines
    }
}

