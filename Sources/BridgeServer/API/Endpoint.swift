/// One route an API offers: method, path pattern and the handler, so a router (any router) can mount it.
///
/// Patterns are literal segments and `{name}` segments (`/operator/transfers/{order_id}/approve`); the router passes
/// the decoded value of each `{name}` segment to the handler in its second argument.
public struct Endpoint: Sendable {
    /// Upper-case HTTP method, e.g. `PATCH`.
    public let method: String
    /// The path pattern, e.g. `/wallets/getOne` or `/operator/transfers/{order_id}/approval`.
    public let pattern: String
    /// Answers one request; must be thread-safe (the server calls it on its worker threads).
    public let handle: @Sendable (HTTPRequest, [String: String]) -> HTTPResponse

    public init(_ method: String, _ pattern: String,
                handle: @escaping @Sendable (HTTPRequest, [String: String]) -> HTTPResponse) {
        self.method = method.uppercased()
        self.pattern = pattern
        self.handle = handle
    }
}
