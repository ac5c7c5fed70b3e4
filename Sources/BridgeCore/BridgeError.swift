/// An error that knows how to present itself: a stable ``ErrorCode``, what happened, and what to do about it.
///
/// Every error enum in WalletBridge conforms, so the CLI and the HTTP API can render any of them the same way.
public protocol BridgeError: Error, CustomStringConvertible, Sendable {
    /// The contract code (CONTRACT.md section 1).
    var code: ErrorCode { get }
    /// What happened, in one sentence a user understands.
    var message: String { get }
    /// What to do about it.
    var hint: String { get }
}

extension BridgeError {
    public var hint: String { code.defaultHint }
    public var description: String { "\(message) (code \(code.rawValue))" }

    /// The contract's JSON error object: `{"error": ..., "code": ..., "hint": ...}`.
    public var jsonObject: JSONValue {
        [
            "error": .string(message),
            "code": .number(JSONNumber(code.rawValue)),
            "hint": .string(hint),
        ]
    }
}

/// A plain error for the cases no specific enum covers, such as usage errors met by the CLI.
public struct GenericBridgeError: BridgeError {
    public let code: ErrorCode
    public let message: String
    private let customHint: String?

    public init(_ code: ErrorCode, _ message: String, hint: String? = nil) {
        self.code = code
        self.message = message
        self.customHint = hint
    }

    public var hint: String { customHint ?? code.defaultHint }
}

extension Error {
    /// This error as a ``BridgeError``: itself if it is one, otherwise an internal error quoting it.
    public var asBridgeError: any BridgeError {
        if let bridgeError = self as? any BridgeError { return bridgeError }
        return GenericBridgeError(.internalError, "Unexpected error: \(self)")
    }
}
