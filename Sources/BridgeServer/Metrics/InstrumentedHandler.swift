import Synchronization

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
    /// Each route's method and its usual series, by the route's position in the router.
    private let routeMethods: [String]
    private let routeSeries: [RouteSeries]

    public init(router: Router, metrics: MetricsRegistry) {
        self.router = router
        routedMethods = router.routedMethods
        routeMethods = router.routeMethods
        routeSeries = routeMethods.map { _ in RouteSeries() }
        durations = metrics.histogram(Self.durationMetric, help: "Time to answer an HTTP request, by route and method.")
        responses = metrics.counter(Self.responsesMetric, help: "HTTP responses, by route and status.")
    }

    public func handle(_ request: HTTPRequest) -> HTTPResponse {
        let started = ContinuousClock.now
        let (response, label, route) = router.route(request)
        record(response, route: route, label: label, method: request.method, since: started)
        return response
    }

    /// The router's non-blocking route, its answer recorded when it is made (on the worker thread, after the work).
    public func handleWithoutBlocking(_ request: HTTPRequest, reply: HTTPReply) -> HTTPAnswer {
        guard let route = router.nonBlockingRoute(request) else { return .needsBlockingThread }
        let started = ContinuousClock.now
        let method = request.method
        let answer = route.handler(request, route.parameters, reply.mapping { [self] response in
            record(response, route: route.route, label: route.routeLabel, method: method, since: started)
            return response
        })
        if case .now(let response) = answer {
            record(response, route: route.route, label: route.routeLabel, method: method, since: started)
        }
        return answer
    }

    /// Records one answer. A route's own method and a 200 (nearly every request) use the series the route keeps, found
    /// by label the first time only; anything else finds its series by label.
    private func record(_ response: HTTPResponse, route: Int?, label: String, method: String,
                        since started: ContinuousClock.Instant) {
        let duration = ContinuousClock.now - started
        guard let route, method == routeMethods[route] else {
            return recordByLabel(response, label: label, method: method, duration: duration)
        }
        let series = routeSeries[route]
        series.durations.cell { durations.series.cell(Self.durationLabels(label, method)) }.observe(duration.seconds)
        guard response.status == 200 else {
            return responses.increment(Self.responseLabels(label, response.status))
        }
        series.okResponses.cell { responses.series.cell(Self.responseLabels(label, 200)) }.add(1)
    }

    private func recordByLabel(_ response: HTTPResponse, label: String, method: String, duration: Duration) {
        let method = routedMethods.contains(method) ? method : "other"
        durations.observe(duration, Self.durationLabels(label, method))
        responses.increment(Self.responseLabels(label, response.status))
    }

    // Label sets built in name order, without dictionaries.
    private static func durationLabels(_ route: String, _ method: String) -> LabelSet {
        LabelSet(sorted: [.init(name: "method", value: method), .init(name: "route", value: route)])
    }

    private static func responseLabels(_ route: String, _ status: Int) -> LabelSet {
        LabelSet(sorted: [.init(name: "route", value: route), .init(name: "status", value: String(status))])
    }
}

/// One route's series for its own method and for status 200, found by label once, then kept.
private final class RouteSeries: Sendable {
    let durations = KeptCell()
    let okResponses = KeptCell()
}

/// A series found once and kept, without a lock or a reference count: its ``SeriesTable`` keeps every cell alive as
/// long as the family, which the handler holds. Two threads finding it at once store the same cell.
private struct KeptCell: ~Copyable, Sendable {
    private let kept = Atomic<Unmanaged<SeriesCell>?>(nil)

    func cell(_ find: () -> SeriesCell) -> SeriesCell {
        if let kept = kept.load(ordering: .acquiring) { return kept.takeUnretainedValue() }
        let found = find()
        kept.store(Unmanaged.passUnretained(found), ordering: .releasing)
        return found
    }
}
