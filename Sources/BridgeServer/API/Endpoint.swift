/// One route an API offers: method, path pattern and the handler, so a router (any router) can mount it.
///
/// Patterns are literal segments and `{name}` segments (`/operator/transfers/{order_id}/approve`); the router passes
/// the decoded value of each `{name}` segment to the handler in its second argument.
public struct Endpoint: Sendable {
    /// Starts answering one request without blocking (see ``HTTPHandler/handleWithoutBlocking(_:reply:)``).
    public typealias NonBlockingHandler = @Sendable (HTTPRequest, [String: String], HTTPReply) -> HTTPAnswer

    /// Upper-case HTTP method, e.g. `PATCH`.
    public let method: String
    /// The path pattern, e.g. `/wallets/getOne` or `/operator/transfers/{order_id}/approval`.
    public let pattern: String
    /// Answers one request; must be thread-safe (the server calls it on its worker threads).
    public let handle: @Sendable (HTTPRequest, [String: String]) -> HTTPResponse
    /// Takes the request without blocking when it can (see ``HTTPHandler/handleWithoutBlocking(_:reply:)``); nil:
    /// requests with a body go to the server's blocking pool.
    public let handleWithoutBlocking: NonBlockingHandler?

    public init(_ method: String, _ pattern: String, withoutBlocking: NonBlockingHandler? = nil,
                handle: @escaping @Sendable (HTTPRequest, [String: String]) -> HTTPResponse) {
        self.method = method.uppercased()
        self.pattern = pattern
        self.handle = handle
        self.handleWithoutBlocking = withoutBlocking
    }
}
