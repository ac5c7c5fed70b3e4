/// Wraps a ``Router`` and records each request in the metrics:
/// `walletbridge_http_request_duration_seconds{route,method}` (histogram) and
/// `walletbridge_http_responses_total{route,status}` (counter). The route label is the pattern
/// (`/operator/transfers/{order_id}/approve`), never the concrete path, so the series stay few.
public struct InstrumentedHandler: HTTPHandler {
    public static let durationMetric = "walletbridge_http_request_duration_seconds"
    public static let responsesMetric = "walletbridge_http_responses_total"

    private let router: Router
    private let durations: Histogram
    private let responses: Counter

    public init(router: Router, metrics: MetricsRegistry) {
        self.router = router
        durations = metrics.histogram(Self.durationMetric, help: "Time to answer an HTTP request, by route and method.")
        responses = metrics.counter(Self.responsesMetric, help: "HTTP responses, by route and status.")
    }

    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        let started = ContinuousClock.now
        let (response, route) = router.route(request)
        // Label sets built in name order, without dictionaries: this runs for every request.
        durations.observe(ContinuousClock.now - started,
                          LabelSet(sorted: [.init(name: "method", value: request.method), .init(name: "route", value: route)]))
        responses.increment(LabelSet(sorted: [.init(name: "route", value: route),
                                              .init(name: "status", value: String(response.status))]))
        return response
    }
}
