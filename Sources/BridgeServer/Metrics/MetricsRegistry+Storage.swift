/// The registry's data, behind its mutex.
struct RegistryState {
    /// In registration order; a handle keeps its family's position here, so an update hashes no name.
    var families: [MetricFamily] = []
    var positions: [String: Int] = [:]

    /// Registers a family unless one has the name already; returns its position either way.
    mutating func register(_ family: MetricFamily) -> Int {
        if let position = positions[family.name] { return position }
        families.append(family)
        positions[family.name] = families.count - 1
        return families.count - 1
    }
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

    /// Labels already in name order (the request path's own label sets, built without a dictionary).
    init(sorted labels: [Label]) {
        assert(labels.map(\.name) == labels.map(\.name).sorted(), "labels out of order")
        self.labels = labels
    }

    static func < (lhs: LabelSet, rhs: LabelSet) -> Bool {
        lhs.labels.lexicographicallyPrecedes(rhs.labels) { ($0.name, $0.value) < ($1.name, $1.value) }
    }
}
