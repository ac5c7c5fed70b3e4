import BridgeApprovals
import BridgeCore

/// A refusal in the CRM's error shape `{"error":true,"code":<http status>,"type":"<snake_case>"}` (CONTRACT 2.1).
public struct CRMError: BridgeError, Equatable {
    /// The HTTP status, repeated as `code` in the body.
    public let status: Int
    /// The snake_case type, e.g. `signature_invalid`.
    public let type: String
    /// What happened, for logs (the CRM's shape has no room for it).
    public let message: String

    public init(status: Int, type: String, message: String) {
        self.status = status
        self.type = type
        self.message = message
    }

    /// The session manager's refusal with its own status and type.
    public init(_ error: ApprovalError) {
        self.init(status: error.httpStatus, type: error.type, message: error.message)
    }

    public var code: ErrorCode { status >= 500 ? .internalError : .badArgument }

    /// The response the CRM receives.
    public var response: HTTPResponse {
        var response = HTTPResponse.crmError(status: status, type: type)
        // The database is away for a moment: say when to retry (the CRM retries with the same order_id anyway).
        if status == 503 { response.headers.append(("Retry-After", "1")) }
        return response
    }

    public static let keyInvalid = CRMError(status: 401, type: "key_invalid", message: "The key header is missing or wrong")
    public static let signatureInvalid = CRMError(status: 401, type: "signature_invalid",
                                                  message: "The signature header is missing or does not match the body")
    public static func ipNotAllowed(_ address: String) -> CRMError {
        CRMError(status: 403, type: "ip_not_allowed", message: "\(address) is not in the CRM allow-list")
    }
    public static func invalidJSON(_ why: String) -> CRMError {
        CRMError(status: 400, type: "invalid_json", message: why)
    }
    public static func walletNotFound(externalUserID: String, currency: String) -> CRMError {
        CRMError(status: 404, type: "wallet_not_found", message: "No \(currency) wallet for external user \(externalUserID)")
    }
    public static func policyDenied(orderID: String, policy: String?) -> CRMError {
        CRMError(status: 403, type: "policy_denied",
                 message: "Order \(orderID) was denied by policy \(policy ?? "default")")
    }
}
