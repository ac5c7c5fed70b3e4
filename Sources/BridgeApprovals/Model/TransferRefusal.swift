import BridgeCore

/// A transfer refused for a business reason (`insufficient_funds`, `account_not_found`, `currency_not_supported`,
/// `invalid_amount`), kept under its `order_id` (CONTRACT 4): the CRM has recorded that order as failed, so the same
/// request later must get the same answer, never move money, and the id must not be reused for other content.
public struct TransferRefusal: Sendable, Hashable {
    public let orderID: String
    public let externalUserID: String
    /// The currency code as the request named it (it may be one the service does not support).
    public let currency: String
    /// The amount's value in ``DecimalLiteral`` canonical form (`-1005e-1`), or the request's text as it came when it
    /// is not a number: so `100.5` and `100.50` are the same content, as they are for an accepted order.
    public let amount: String
    /// The HTTP status and CRM error type the request got (`400`, `insufficient_funds`).
    public let status: Int
    public let type: String
    /// The first answer's explanation, for logs and the audit chain.
    public let message: String
    public let createdAt: Timestamp

    public init(orderID: String, externalUserID: String, currency: String, amount: String, status: Int, type: String,
                message: String, createdAt: Timestamp) {
        self.orderID = orderID
        self.externalUserID = externalUserID
        self.currency = currency
        self.amount = amount
        self.status = status
        self.type = type
        self.message = message
        self.createdAt = createdAt
    }

    /// The canonical form of a request's amount text, as ``amount`` stores it.
    public static func canonicalAmount(_ text: String) -> String {
        DecimalLiteral(text)?.description ?? text
    }

    /// Whether `request` asks for the same thing as the refused one.
    public func hasSameContent(as request: TransferRequest) -> Bool {
        externalUserID == request.externalUserID && currency == request.currency
            && amount == Self.canonicalAmount(request.amount)
    }
}
