import BridgeCore

/// Counters, gauges and histograms, thread-safe, rendered in the Prometheus text exposition format (0.0.4).
///
/// Register a metric once (registering a name again returns the same metric) and keep the returned handle:
/// ```swift
/// let responses = metrics.counter("walletbridge_http_responses_total", help: "HTTP responses.")
/// responses.increment(["route": "/health", "status": "200"])
/// ```
public final class MetricsRegistry: Sendable {
    let state = SleepingMutex(RegistryState())

    public init() {}

    /// A counter (only goes up).
    @discardableResult
    public func counter(_ name: String, help: String) -> Counter {
        Counter(name: name, series: register(name, help: help, kind: .counter, buckets: []))
    }

    /// A gauge (set to any value).
    @discardableResult
    public func gauge(_ name: String, help: String) -> Gauge {
        Gauge(name: name, series: register(name, help: help, kind: .gauge, buckets: []))
    }

    /// A histogram with the given upper bounds (sorted for you; `+Inf` is implicit).
    @discardableResult
    public func histogram(_ name: String, help: String, buckets: [Double] = Histogram.defaultBuckets) -> Histogram {
        let bounds = Array(Set(buckets.filter(\.isFinite))).sorted()
        return Histogram(name: name, series: register(name, help: help, kind: .histogram, buckets: bounds))
    }

    /// A gauge whose samples are read at every ``render()``, e.g. the number of pending approvals from the
    /// database. `sample` is called without the registry's lock held.
    public func sampledGauge(_ name: String, help: String, sample: @escaping @Sendable () -> [MetricSample]) {
        state.withLock { state in
            _ = state.register(MetricFamily(name: name, help: help, kind: .gauge, buckets: [], sampler: sample))
        }
    }

    /// Every metric in the Prometheus text format: `# HELP` and `# TYPE` lines, then one line per series
    /// (histograms: cumulative `_bucket{le=...}` lines, `_sum` and `_count`). Families in registration order,
    /// series sorted by their labels.
    public func render() -> String {
        let (families, samplers) = state.withLock { state in
            (state.families, state.families.compactMap { family in family.sampler.map { (family.name, $0) } })
        }
        let sampled = Dictionary(samplers.map { ($0.0, $0.1()) }, uniquingKeysWith: { first, _ in first })
        var text = ""
        for family in families {
            text += family.render(samples: sampled[family.name])
        }
        return text
    }

    private func register(_ name: String, help: String, kind: MetricKind, buckets: [Double]) -> SeriesTable {
        state.withLock { state in
            state.register(MetricFamily(name: name, help: help, kind: kind, buckets: buckets, sampler: nil)).series
        }
    }
}

/// One sample of a ``MetricsRegistry/sampledGauge(_:help:sample:)``.
public struct MetricSample: Sendable, Equatable {
    public var labels: [String: String]
    public var value: Double

    public init(labels: [String: String] = [:], value: Double) {
        self.labels = labels
        self.value = value
    }
}

/// A counter's handle: cheap to copy, safe to share.
public struct Counter: Sendable {
    public let name: String
    let series: SeriesTable

    /// Adds `amount` (not negative) to the series with `labels`.
    public func increment(_ labels: [String: String] = [:], by amount: Double = 1) {
        increment(LabelSet(labels), by: amount)
    }

    func increment(_ labels: LabelSet, by amount: Double = 1) {
        guard amount >= 0 else { return }
        series.cell(labels).add(amount)
    }

    /// The series with `labels`, to update without finding it each time (created at zero now).
    func bound(_ labels: [String: String]) -> BoundCounter {
        BoundCounter(cell: series.cell(LabelSet(labels)))
    }

    /// The series' current value (0 before the first increment).
    public func value(_ labels: [String: String] = [:]) -> Double {
        series.existingCell(LabelSet(labels))?.value.value ?? 0
    }
}

/// One counter series found once: what a hot path with fixed labels keeps.
struct BoundCounter: Sendable {
    let cell: SeriesCell

    func increment(by amount: Double = 1) {
        guard amount >= 0 else { return }
        cell.add(amount)
    }
}

/// A gauge's handle.
public struct Gauge: Sendable {
    public let name: String
    let series: SeriesTable

    public func set(_ newValue: Double, _ labels: [String: String] = [:]) {
        series.cell(LabelSet(labels)).set(newValue)
    }

    public func add(_ amount: Double, _ labels: [String: String] = [:]) {
        series.cell(LabelSet(labels)).add(amount)
    }

    public func value(_ labels: [String: String] = [:]) -> Double {
        series.existingCell(LabelSet(labels))?.value.value ?? 0
    }
}

/// A histogram's handle.
public struct Histogram: Sendable {
    /// Latency buckets in seconds, 0.5 ms to 10 s.
    public static let defaultBuckets: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    public let name: String
    let series: SeriesTable

    /// Records one observation in the series with `labels`.
    public func observe(_ observation: Double, _ labels: [String: String] = [:]) {
        observe(observation, LabelSet(labels))
    }

    func observe(_ observation: Double, _ labels: LabelSet) {
        series.cell(labels).observe(observation)
    }

    /// Records a duration in seconds.
    public func observe(_ duration: Duration, _ labels: [String: String] = [:]) {
        observe(duration, LabelSet(labels))
    }

    func observe(_ duration: Duration, _ labels: LabelSet) {
        observe(duration.seconds, labels)
    }

    /// How many observations the series has.
    public func count(_ labels: [String: String] = [:]) -> Int {
        Int(series.existingCell(LabelSet(labels))?.value.count ?? 0)
    }

    /// The sum of the series' observations.
    public func sum(_ labels: [String: String] = [:]) -> Double {
        series.existingCell(LabelSet(labels))?.value.value ?? 0
    }
}

extension Duration {
    /// The duration in seconds, as Prometheus writes durations.
    var seconds: Double {
        let components = components
        return Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
