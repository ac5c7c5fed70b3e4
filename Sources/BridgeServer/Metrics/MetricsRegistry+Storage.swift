/// The registry's data, behind its mutex.
struct RegistryState {
    var order: [String] = []
    var families: [String: MetricFamily] = [:]
}

enum MetricKind: String {
    case counter, gauge, histogram
}

struct MetricFamily {
    let name: String
    let help: String
    let kind: MetricKind
    /// Histogram upper bounds, ascending, without `+Inf`.
    let buckets: [Double]
    let sampler: (@Sendable () -> [MetricSample])?
    var series: [LabelSet: SeriesValue] = [:]
}

/// One series: a counter's or gauge's value, or a histogram's sum, count and per-bucket (non-cumulative) counts.
struct SeriesValue {
    var value: Double = 0
    var count: UInt64 = 0
    var buckets: [UInt64]

    init(bucketCount: Int) {
        buckets = Array(repeating: 0, count: bucketCount)
    }
}

/// Labels in name order: the identity of a series.
struct LabelSet: Hashable, Comparable {
    struct Label: Hashable {
        let name: String
        let value: String
    }

    let labels: [Label]

    init(_ labels: [String: String]) {
        self.labels = labels.map { Label(name: $0.key, value: $0.value) }.sorted { $0.name < $1.name }
    }

    static func < (lhs: LabelSet, rhs: LabelSet) -> Bool {
        lhs.labels.lexicographicallyPrecedes(rhs.labels) { ($0.name, $0.value) < ($1.name, $1.value) }
    }
}
