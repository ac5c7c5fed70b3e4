import BridgeCore

/// One HTTP request as the handlers see it: everything read, nothing streaming.
public struct HTTPRequest: Sendable {
    /// Upper-case method, e.g. `PATCH`.
    public let method: String
    /// The path without the query string, e.g. `/wallets/getOne`.
    public let path: String
    /// Query parameters, decoded; the first value wins for a repeated name.
    public let query: HTTPFields
    /// Header names are lower-cased (HTTP header names are case-insensitive); the first value wins for a repeated
    /// name, except `X-Forwarded-For`, whose lines the server joins.
    public let headers: HTTPFields
    public let body: [UInt8]
    /// The client's IP address as text (`127.0.0.1`, `::1`): the TCP peer, or behind a trusted proxy the address it
    /// forwarded (``HTTPServerConfiguration/trustedProxies``). Allow-lists, session binding, rate limits and the
    /// access log use this.
    public let clientAddress: String
    /// The TCP peer's IP address (a proxy's, when one forwarded the request).
    public let peerAddress: String

    /// A request as a test or an in-process caller writes it: header names in any case, methods in any case.
    public init(method: String, path: String, query: [String: String] = [:], headers: [String: String] = [:],
                body: [UInt8] = [], clientAddress: String = "127.0.0.1", peerAddress: String? = nil) {
        var lowerCased = HTTPFields()
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
            _ = lowerCased.addIfAbsent(Self.hasUppercase(name) ? name.lowercased() : name, value)
        }
        self.init(method: method.uppercased(), path: path, queryFields: HTTPFields(query), headerFields: lowerCased,
                  body: body, clientAddress: clientAddress, peerAddress: peerAddress)
    }

    /// A request as the server reads it: `method` upper-case and header names lower-case already, taken as they are.
    init(method: String, path: String, queryFields: HTTPFields, headerFields: HTTPFields, body: [UInt8],
         clientAddress: String, peerAddress: String?) {
        self.method = method
        self.path = path
        self.query = queryFields
        self.headers = headerFields
        self.body = body
        self.clientAddress = clientAddress
        self.peerAddress = peerAddress ?? clientAddress
    }

    /// The header `name` (any case).
    public func header(_ name: String) -> String? { headers[Self.hasUppercase(name) ? name.lowercased() : name] }

    private static func hasUppercase(_ text: String) -> Bool {
        text.utf8.contains(where: { (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains($0) || $0 >= 0x80 })
    }
}

/// One HTTP response.
public struct HTTPResponse: Sendable {
    public var status: Int
    /// Extra headers; `Content-Type` comes from here too.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// A body written later, after the head has gone out (`body` is then ignored); see ``HTTPBodyStream``.
    public var stream: HTTPBodyStream?

    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// A response whose head is sent now and whose body `stream` delivers later (chunked).
    public static func streaming(_ stream: HTTPBodyStream, status: Int = 200, contentType: String) -> HTTPResponse {
        var response = HTTPResponse(status: status, headers: [("Content-Type", contentType)])
        response.stream = stream
        return response
    }

    /// A JSON document, compact, `application/json`.
    public static func json(_ value: JSONValue, status: Int = 200) -> HTTPResponse {
        json(serialized: value.serializedBytes(), status: status)
    }

    /// A JSON document already serialized (compact, `application/json`).
    public static func json(serialized body: [UInt8], status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", "application/json")], body: body)
    }

    /// Plain text, e.g. Prometheus metrics.
    public static func text(_ text: String, status: Int = 200, contentType: String = "text/plain; charset=utf-8") -> HTTPResponse {
        HTTPResponse(status: status, headers: [("Content-Type", contentType)], body: Array(text.utf8))
    }
}

/// Answers requests. Called on the server's worker threads, so it must be thread-safe. ``handle(_:)`` is synchronous,
/// as most of what is below it (the session manager, SQLite) is: the server runs a request that may wait for a commit
/// on its blocking pool, unless ``handleWithoutBlocking(_:reply:)`` takes it first.
public protocol HTTPHandler: Sendable {
    func handle(_ request: HTTPRequest) -> HTTPResponse

    /// Offered first every request with a body (which may wait for a durable commit), on the worker thread: a handler
    /// that can start the work without blocking returns ``HTTPAnswer/later`` and answers through `reply` when it is
    /// done; one that cannot returns ``HTTPAnswer/needsBlockingThread`` (the default).
    func handleWithoutBlocking(_ request: HTTPRequest, reply: HTTPReply) -> HTTPAnswer
}

extension HTTPHandler {
    public func handleWithoutBlocking(_ request: HTTPRequest, reply: HTTPReply) -> HTTPAnswer { .needsBlockingThread }
}
