/// Webhook deliveries in `/metrics` (CONTRACT 2.3 and 4): counters typed `counter` and named `*_total`, the latency
/// of every POST a histogram. The series live in the service's ``MetricsRegistry``; ``snapshot()`` reads them back
/// for tests and logs.
public final class WebhookMetrics: Sendable {
    /// Upper bounds (seconds) of the latency histogram's buckets; `+Inf` is implied. The last is the 5 s timeout.
    public static let latencyBucketBounds: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

    /// The counters at one instant.
    public struct Snapshot: Sendable, Equatable {
        /// POSTs answered with a 2xx.
        public var deliveries = 0
        /// POSTs that failed (non-2xx, timeout, connection error); each retry counts again.
        public var failedAttempts = 0
        /// Deliveries given up on after the last retry (each raised an alert).
        public var failedMessages = 0
        /// Alert POSTs to the alert URL that failed themselves.
        public var failedAlerts = 0
        /// POSTs timed, and their total seconds.
        public var latencyCount = 0
        public var latencySumSeconds = 0.0
    }

    private let deliveries: Counter
    private let failedAttempts: Counter
    private let alerts: Counter
    private let failedAlerts: Counter
    private let latency: Histogram

    /// Registers the webhook families in `registry` (a private one by default, for tests).
    public init(registry: MetricsRegistry = MetricsRegistry()) {
        deliveries = registry.counter("walletbridge_webhook_deliveries_total", help: "Webhook POSTs answered with a 2xx.")
        failedAttempts = registry.counter("walletbridge_webhook_failed_attempts_total",
                                          help: "Webhook POSTs that failed (non-2xx, timeout, connection error).")
        alerts = registry.counter("walletbridge_webhook_alerts_total",
                                  help: "Webhook deliveries given up after the last retry failed (each raised an alert).")
        failedAlerts = registry.counter("walletbridge_webhook_alert_failures_total",
                                        help: "Alert POSTs to the alert URL that failed themselves.")
        latency = registry.histogram("walletbridge_webhook_latency_seconds", help: "Time each webhook POST took.",
                                     buckets: Self.latencyBucketBounds)
    }

    public func snapshot() -> Snapshot {
        Snapshot(deliveries: Int(deliveries.value()), failedAttempts: Int(failedAttempts.value()),
                 failedMessages: Int(alerts.value()), failedAlerts: Int(failedAlerts.value()),
                 latencyCount: latency.count(), latencySumSeconds: latency.sum())
    }

    func recordAttempt(succeeded: Bool, latency duration: Duration) {
        (succeeded ? deliveries : failedAttempts).increment()
        latency.observe(duration)
    }

    func recordFailedMessage() { alerts.increment() }

    func recordFailedAlert() { failedAlerts.increment() }
}
