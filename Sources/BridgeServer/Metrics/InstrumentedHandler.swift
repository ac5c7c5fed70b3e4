/// Wraps a ``Router`` and records each request in the metrics:
/// `walletbridge_http_request_duration_seconds{route,method}` (histogram) and
/// `walletbridge_http_responses_total{route,status}` (counter). Every label has a fixed set of values, so the series
/// stay few whatever clients send: the route is the pattern (`/operator/transfers/{order_id}/approve`), never the
/// concrete path; the method is one the router routes, or `other`.
public struct InstrumentedHandler: HTTPHandler {
    public static let durationMetric = "walletbridge_http_request_duration_seconds"
    public static let responsesMetric = "walletbridge_http_responses_total"

    private let router: Router
    private let durations: Histogram
    private let responses: Counter
    private let routedMethods: Set<String>

    public init(router: Router, metrics: MetricsRegistry) {
        self.router = router
        routedMethods = router.routedMethods
        durations = metrics.histogram(Self.durationMetric, help: "Time to answer an HTTP request, by route and method.")
        responses = metrics.counter(Self.responsesMetric, help: "HTTP responses, by route and status.")
    }

    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        let started = ContinuousClock.now
        let (response, route) = router.route(request)
        record(response, route: route, method: request.method, since: started)
        return response
    }

    /// The router's non-blocking route, its answer recorded when it is made (on the worker thread, after the work).
    public func handleWithoutBlocking(_ request: HTTPRequest, reply: HTTPReply) -> HTTPAnswer {
        guard let route = router.nonBlockingRoute(request) else { return .needsBlockingThread }
        let started = ContinuousClock.now
        let method = request.method
        let answer = route.handler(request, route.parameters, reply.mapping { [self] response in
            record(response, route: route.routeLabel, method: method, since: started)
            return response
        })
        if case .now(let response) = answer { record(response, route: route.routeLabel, method: method, since: started) }
        return answer
    }

    private func record(_ response: HTTPResponse, route: String, method: String, since started: ContinuousClock.Instant) {
        // Label sets built in name order, without dictionaries: this runs for every request.
        let method = routedMethods.contains(method) ? method : "other"
        durations.observe(ContinuousClock.now - started,
                          LabelSet(sorted: [.init(name: "method", value: method), .init(name: "route", value: route)]))
        responses.increment(LabelSet(sorted: [.init(name: "route", value: route),
                                              .init(name: "status", value: String(response.status))]))
    }
}
