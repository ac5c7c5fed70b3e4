import BridgeCore

/// The service refused a request: its `{"error","code","hint"}` answer as a ``GenericBridgeError`` with the
/// service's code, plus the HTTP status, so the client can tell an expired session (401) from other refusals.
///
/// The CLI prints it exactly as the server phrased it.
public struct OperatorAPIError: BridgeError {
    /// The HTTP status of the answer.
    public let httpStatus: Int
    /// The server's error, code and hint.
    public let error: GenericBridgeError

    public init(httpStatus: Int, error: GenericBridgeError) {
        self.httpStatus = httpStatus
        self.error = error
    }

    public var code: ErrorCode { error.code }
    public var message: String { error.message }
    public var hint: String { error.hint }

    /// The bearer token is unknown, expired, idle or revoked (or the login signature was refused): sign in again.
    public var isUnauthorized: Bool { httpStatus == 401 }

    /// Reads the server's error body; an answer without the contract's shape still yields an error naming the status.
    static func from(status: Int, body: [UInt8], request: String) -> OperatorAPIError {
        let json = try? JSONValue(parsing: body)
        if let message = json?["error"]?.stringValue {
            let code = json?["code"]?.numberValue?.int64Value.flatMap { ErrorCode(rawValue: Int($0)) } ?? .internalError
            return OperatorAPIError(httpStatus: status,
                                    error: GenericBridgeError(code, message, hint: json?["hint"]?.stringValue))
        }
        let excerpt = String(decoding: body.prefix(200), as: UTF8.self)
        return OperatorAPIError(httpStatus: status, error: GenericBridgeError(
            status >= 500 ? .internalError : .protocolError,
            "\(request) answered HTTP \(status)" + (excerpt.isEmpty ? "" : ": \(excerpt)"),
            hint: "Check that --server points at the WalletBridge service (its operator API is under /operator)."))
    }
}
