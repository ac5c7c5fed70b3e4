import BridgeCore

/// A request refused by the HTTP layer itself (too large, malformed, unknown path, overloaded), answered once in the
/// error shape its path calls for (CONTRACT 4): the CRM's `{"error":true,"code":<status>,"type":"..."}`, or under
/// `/operator` the operator API's `{"error","code","hint"}` with a contract code.
public struct HTTPRefusal: Sendable, Equatable {
    public let status: Int
    /// The CRM's snake_case type, e.g. `payload_too_large`.
    public let type: String
    /// What happened, for the operator shape (the CRM's shape has no room for it).
    public let message: String

    public init(status: Int, type: String, message: String) {
        self.status = status
        self.type = type
        self.message = message
    }

    /// Whether `path` belongs to the operator API (and its refusals take the operator shape).
    public static func isOperatorPath(_ path: String) -> Bool {
        path == "/operator" || path.hasPrefix("/operator/")
    }

    /// The contract code the operator shape carries: -4 busy for 503, -20 for server errors, else -10.
    var code: ErrorCode {
        switch status {
        case 503: .busy
        case 500...: .internalError
        default: .badArgument
        }
    }

    /// The response for a request to `path`.
    public func response(for path: String) -> HTTPResponse {
        if Self.isOperatorPath(path) {
            return .json(GenericBridgeError(code, message, hint: hint).jsonObject, status: status)
        }
        return .crmError(status: status, type: type)
    }

    private var hint: String {
        switch status {
        case 404, 405: "See the operator API in CONTRACT section 2.2; the CLI's `walletbridge operator` commands use it."
        case 503: "The service is busy: retry after the Retry-After seconds."
        default: "Send a well-formed HTTP/1.1 request within the limits in the README's Security section."
        }
    }

    public static let notFound = HTTPRefusal(status: 404, type: "not_found", message: "No such endpoint")
    public static let methodNotAllowed = HTTPRefusal(status: 405, type: "method_not_allowed",
                                                     message: "The endpoint does not take this method")
    public static let payloadTooLarge = HTTPRefusal(status: 413, type: "payload_too_large",
                                                    message: "The request body is larger than the service accepts")
    public static let targetTooLong = HTTPRefusal(status: 414, type: "uri_too_long",
                                                  message: "The request target is longer than the service accepts")
    public static let headersTooLarge = HTTPRefusal(status: 431, type: "request_header_fields_too_large",
                                                    message: "The request's headers are larger than the service accepts")
    public static let overloaded = HTTPRefusal(status: 503, type: "service_unavailable",
                                               message: "Too many requests are waiting; retry shortly")
    public static func malformed(_ why: String) -> HTTPRefusal {
        HTTPRefusal(status: 400, type: "invalid_request", message: why)
    }
}

extension HTTPResponse {
    /// The CRM's error shape `{"error":true,"code":<status>,"type":"<type>"}` with that status (CONTRACT 2.1).
    public static func crmError(status: Int, type: String) -> HTTPResponse {
        .json(["error": true, "code": .number(JSONNumber(status)), "type": .string(type)], status: status)
    }
}
