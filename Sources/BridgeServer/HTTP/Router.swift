import BridgeCore

/// Routes requests by method and path to handlers. Patterns are paths whose `{name}` segments match any one
/// segment, e.g. `/operator/transfers/{order_id}/approve`. A literal segment beats a `{name}` segment when both
/// match. Unknown paths get 404, a known path with another method 405 (with `Allow`); `HEAD` falls back to `GET`.
public struct Router: HTTPHandler {
    /// Answers one routed request.
    public typealias Handler = @Sendable (HTTPRequest, RouteParameters) -> HTTPResponse
    /// Starts answering one routed request without blocking (see ``HTTPHandler/handleWithoutBlocking(_:reply:)``).
    public typealias NonBlockingHandler = @Sendable (HTTPRequest, RouteParameters, HTTPReply) -> HTTPAnswer

    /// The route label for requests that matched no pattern (metrics must not label by raw paths).
    public static let unmatchedRouteLabel = "unmatched"

    struct Route: Sendable {
        let method: String
        let pattern: String
        let segments: [Segment]
        let handler: Handler

        /// How specific the pattern is: literal segments count, so `/wallets/getOne` beats `/wallets/{id}`.
        var literalCount: Int { segments.count { if case .literal = $0 { true } else { false } } }
    }

    enum Segment: Sendable, Equatable {
        case literal(String)
        case parameter(String)
    }

    private var routes: [Route] = []
    /// Routes whose pattern has no `{name}` segment, by method and normalized path (`/wallets/getOne`): most requests
    /// are answered from here without splitting their path. Such a route beats any parameter route on its path.
    private var literalRoutes: [String: [String: Int]] = [:]
    /// The routes that can also answer without blocking, by method and pattern (`PATCH /wallets/balance`).
    private var nonBlockingHandlers: [String: NonBlockingHandler] = [:]
    private let notFound: HTTPResponse?
    private let methodNotAllowed: HTTPResponse?

    /// An empty router. Unknown paths (404) and other methods (405) are answered in the shape the path calls for
    /// (``HTTPRefusal``) unless `notFound` or `methodNotAllowed` is given.
    public init(notFound: HTTPResponse? = nil, methodNotAllowed: HTTPResponse? = nil) {
        self.notFound = notFound
        self.methodNotAllowed = methodNotAllowed
    }

    /// The methods some route answers (`HEAD` with `GET`): the only values a metrics `method` label takes besides
    /// `other`, so a client inventing methods cannot grow the series (CONTRACT 4).
    public var routedMethods: Set<String> {
        var methods = Set(routes.map(\.method))
        if methods.contains("GET") { methods.insert("HEAD") }
        return methods
    }

    /// Adds a route. A later route with the same method and pattern never wins over the first. A literal pattern with
    /// a trailing slash matches only that exact path (the one exception to canonical paths, for `/console/`).
    /// `withoutBlocking`, when given, is offered the route's requests first (``handleWithoutBlocking(_:reply:)``).
    public mutating func add(_ method: String, _ pattern: String, withoutBlocking: NonBlockingHandler? = nil,
                             _ handler: @escaping Handler) {
        if let withoutBlocking, nonBlockingHandlers[Self.key(method.uppercased(), pattern)] == nil,
           !routes.contains(where: { $0.method == method.uppercased() && $0.pattern == pattern }) {
            nonBlockingHandlers[Self.key(method.uppercased(), pattern)] = withoutBlocking
        }
        let segments = Self.split(pattern).map { segment -> Segment in
            if segment.hasPrefix("{"), segment.hasSuffix("}"), segment.count > 2 {
                return .parameter(String(segment.dropFirst().dropLast()))
            }
            return .literal(segment)
        }
        let route = Route(method: method.uppercased(), pattern: pattern, segments: segments, handler: handler)
        routes.append(route)
        if route.literalCount == segments.count {
            // A pattern ending in `/` (a folder's index page, `/console/`) is that exact path; others are canonical.
            let path = pattern.count > 1 && pattern.hasSuffix("/") ? pattern
                : "/" + segments.map { if case .literal(let literal) = $0 { literal } else { "" } }.joined(separator: "/")
            if literalRoutes[route.method]?[path] == nil { literalRoutes[route.method, default: [:]][path] = routes.count - 1 }
        }
    }

    public mutating func get(_ pattern: String, _ handler: @escaping Handler) { add("GET", pattern, handler) }
    public mutating func post(_ pattern: String, _ handler: @escaping Handler) { add("POST", pattern, handler) }
    public mutating func patch(_ pattern: String, _ handler: @escaping Handler) { add("PATCH", pattern, handler) }
    public mutating func put(_ pattern: String, _ handler: @escaping Handler) { add("PUT", pattern, handler) }
    public mutating func delete(_ pattern: String, _ handler: @escaping Handler) { add("DELETE", pattern, handler) }

    /// What a request routes to.
    public enum Match: Sendable {
        /// `route` is the route's position among the routes in the order they were added (``routeMethods``).
        case found(pattern: String, parameters: RouteParameters, handler: Handler, route: Int)
        /// The path is known, under `pattern`, for the `allowed` methods only.
        case methodNotAllowed(pattern: String, allowed: [String])
        case notFound

        /// The label for metrics: the pattern, never the concrete path.
        public var routeLabel: String {
            switch self {
            case .found(let pattern, _, _, _), .methodNotAllowed(let pattern, _): pattern
            case .notFound: Router.unmatchedRouteLabel
            }
        }
    }

    /// The route for `method` and `path`. Each route has one path: an empty segment (`//wallets/getOne`), a trailing
    /// slash (`/wallets/getOne/`) or a `.` or `..` segment matches nothing (CONTRACT 4).
    public func match(method: String, path: String) -> Match {
        if let index = literalRoutes[method]?[path] {
            let route = routes[index]
            return .found(pattern: route.pattern, parameters: RouteParameters([:]), handler: route.handler, route: index)
        }
        guard Self.isCanonical(path) else { return .notFound }
        let pathSegments = Self.split(path)
        var best: (route: Route, index: Int, parameters: [String: String])?
        var otherMethods: (pattern: String, literalCount: Int, methods: [String])?
        for (index, route) in routes.enumerated() {
            guard let parameters = Self.parameters(of: route, matching: pathSegments) else { continue }
            let methodMatches = route.method == method || (method == "HEAD" && route.method == "GET"
                && !routes.contains { $0.method == "HEAD" && $0.pattern == route.pattern })
            if methodMatches {
                if best.map({ route.literalCount > $0.route.literalCount }) ?? true {
                    best = (route, index, parameters)
                }
            } else if let other = otherMethods, other.pattern == route.pattern {
                otherMethods?.methods.append(route.method)
            } else if otherMethods.map({ route.literalCount > $0.literalCount }) ?? true {
                otherMethods = (route.pattern, route.literalCount, [route.method])
            }
        }
        if let best {
            return .found(pattern: best.route.pattern, parameters: RouteParameters(best.parameters),
                          handler: best.route.handler, route: best.index)
        }
        if let otherMethods {
            return .methodNotAllowed(pattern: otherMethods.pattern, allowed: otherMethods.methods)
        }
        return .notFound
    }

    /// Routes `request` and reports the route label with the response, and the route's position when one matched
    /// (for ``InstrumentedHandler``, which keeps per-route state by it).
    public func route(_ request: HTTPRequest) -> (response: HTTPResponse, routeLabel: String, route: Int?) {
        let match = match(method: request.method, path: request.path)
        switch match {
        case .found(_, let parameters, let handler, let route):
            return (handler(request, parameters), match.routeLabel, route)
        case .methodNotAllowed(_, let allowed):
            var response = methodNotAllowed ?? HTTPRefusal.methodNotAllowed.response(for: request.path)
            response.headers.append(("Allow", allowed.joined(separator: ", ")))
            return (response, match.routeLabel, nil)
        case .notFound:
            return (notFound ?? HTTPRefusal.notFound.response(for: request.path), match.routeLabel, nil)
        }
    }

    /// Each route's method (upper-case), in the order the routes were added: what ``Match/found(pattern:parameters:handler:route:)``'s
    /// `route` indexes.
    public var routeMethods: [String] { routes.map(\.method) }

    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        route(request).response
    }

    /// The non-blocking handler of the route `request` matches, with the route's label and parameters; nil when that
    /// route has none (or nothing matches).
    public func nonBlockingRoute(_ request: HTTPRequest)
        -> (routeLabel: String, route: Int, parameters: RouteParameters, handler: NonBlockingHandler)?
    {
        guard !nonBlockingHandlers.isEmpty,
              case .found(let pattern, let parameters, _, let route) = match(method: request.method, path: request.path),
              let handler = nonBlockingHandlers[Self.key(request.method, pattern)] else { return nil }
        return (pattern, route, parameters, handler)
    }

    public func handleWithoutBlocking(_ request: HTTPRequest, reply: HTTPReply) -> HTTPAnswer {
        guard let route = nonBlockingRoute(request) else { return .needsBlockingThread }
        return route.handler(request, route.parameters, reply)
    }

    private static func key(_ method: String, _ pattern: String) -> String {
        method + " " + pattern
    }

    /// `/` or `/segment(/segment)*` with no empty, `.` or `..` segment.
    static func isCanonical(_ path: String) -> Bool {
        guard path.utf8.first == UInt8(ascii: "/") else { return false }
        if path.utf8.count == 1 { return true }
        for segment in path.utf8.dropFirst().split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false) {
            if segment.isEmpty || segment.elementsEqual([UInt8(ascii: ".")])
                || segment.elementsEqual([UInt8(ascii: "."), UInt8(ascii: ".")]) { return false }
        }
        return true
    }

    private static func split(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    private static func parameters(of route: Route, matching path: [String]) -> [String: String]? {
        guard route.segments.count == path.count else { return nil }
        var parameters: [String: String] = [:]
        for (segment, value) in zip(route.segments, path) {
            switch segment {
            case .literal(let literal): guard literal == value else { return nil }
            case .parameter(let name): parameters[name] = value
            }
        }
        return parameters
    }
}
