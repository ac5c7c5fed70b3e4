import FoundationEssentials

/// One webhook POST: where, what, and with which headers.
public struct WebhookRequest: Sendable {
    public let url: URL
    public let body: [UInt8]
    /// Besides `Content-Type: application/json`, which every delivery carries.
    public let headers: [(name: String, value: String)]
    /// CONTRACT 2.4: a receiver that takes longer than 5 s counts as failed.
    public let timeout: Duration

    public init(url: URL, body: [UInt8], headers: [(name: String, value: String)], timeout: Duration = .seconds(5)) {
        self.url = url
        self.body = body
        self.headers = headers
        self.timeout = timeout
    }
}

/// Why a POST got no HTTP status at all.
public struct WebhookTransportError: Error, Sendable, Equatable, CustomStringConvertible {
    public let reason: String

    public init(_ reason: String) {
        self.reason = reason
    }

    public var description: String { reason }
}

/// Sends webhook POSTs. Synchronous, because the dispatcher delivers one message at a time on its own thread;
/// tests pass a fake that answers from a script.
public protocol WebhookTransport: Sendable {
    /// The receiver's HTTP status, or why there is none (connection refused, timeout).
    func post(_ request: WebhookRequest) -> Result<Int, WebhookTransportError>
}
