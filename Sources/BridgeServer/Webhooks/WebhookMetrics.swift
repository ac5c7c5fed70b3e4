import Synchronization

/// Counters of webhook deliveries for `/metrics`. The metrics registry reads ``snapshot()``; nothing here formats
/// Prometheus text, so the registry stays the one place that does.
public final class WebhookMetrics: Sendable {
    /// Upper bounds (seconds) of the latency histogram's buckets; `+Inf` is implied.
    public static let latencyBucketBounds: [Double] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

    /// The counters at one instant.
    public struct Snapshot: Sendable, Equatable {
        /// POSTs answered with a 2xx.
        public var deliveries = 0
        /// POSTs that failed (non-2xx, timeout, connection error); each retry counts again.
        public var failedAttempts = 0
        /// Messages given up on after the last retry (each raised an alert).
        public var failedMessages = 0
        /// Alert POSTs to the alert URL that failed themselves.
        public var failedAlerts = 0
        /// Latency of every POST, successful or not: cumulative counts per ``WebhookMetrics/latencyBucketBounds``
        /// entry (Prometheus `le` semantics), then the sum and the count.
        public var latencyBucketCounts = [Int](repeating: 0, count: WebhookMetrics.latencyBucketBounds.count)
        public var latencySumSeconds = 0.0
        public var latencyCount = 0
    }

    private let state = Mutex(Snapshot())

    public init() {}

    public func snapshot() -> Snapshot { state.withLock { $0 } }

    func recordAttempt(succeeded: Bool, latency: Duration) {
        let seconds = Double(latency.components.seconds) + Double(latency.components.attoseconds) / 1e18
        state.withLock { counters in
            if succeeded { counters.deliveries += 1 } else { counters.failedAttempts += 1 }
            for (index, bound) in Self.latencyBucketBounds.enumerated() where seconds <= bound {
                counters.latencyBucketCounts[index] += 1
            }
            counters.latencySumSeconds += seconds
            counters.latencyCount += 1
        }
    }

    func recordFailedMessage() { state.withLock { $0.failedMessages += 1 } }

    func recordFailedAlert() { state.withLock { $0.failedAlerts += 1 } }
}
