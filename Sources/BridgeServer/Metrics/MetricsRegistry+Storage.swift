import BridgeCore
import Synchronization

/// The registry's list of families, behind its mutex: only registering and rendering take it, never an update.
struct RegistryState {
    /// In registration order.
    var families: [MetricFamily] = []
    var positions: [String: Int] = [:]

    /// Registers a family unless one has the name already; returns the family registered under the name either way.
    mutating func register(_ family: MetricFamily) -> MetricFamily {
        if let position = positions[family.name] { return families[position] }
        families.append(family)
        positions[family.name] = families.count - 1
        return family
    }
}

enum MetricKind: String {
    case counter, gauge, histogram
}

struct MetricFamily {
    let name: String
    let help: String
    let kind: MetricKind
    let sampler: (@Sendable () -> [MetricSample])?
    /// The family's series; a handle keeps this table, so an update neither hashes the name nor takes a lock.
    let series: SeriesTable

    init(name: String, help: String, kind: MetricKind, buckets: [Double], sampler: (@Sendable () -> [MetricSample])?) {
        self.name = name
        self.help = help
        self.kind = kind
        self.sampler = sampler
        series = SeriesTable(buckets: buckets)
    }

    /// Histogram upper bounds, ascending, without `+Inf`.
    var buckets: [Double] { series.buckets }
}

/// A family's series by their labels. Every request updates a few of them from several threads at once, so finding
/// a series that exists takes no lock: readers load the current snapshot of the table through an atomic pointer, and
/// only adding a series (once per label set in the life of the process) copies the table under a lock and publishes
/// the copy. Snapshots are never freed while the table lives, since a reader may still hold any of them: label values
/// come from fixed sets (CONTRACT 6), so there are few series and few snapshots.
final class SeriesTable: Sendable {
    /// Histogram upper bounds, ascending, without `+Inf` (empty for counters and gauges).
    let buckets: [Double]
    private let current: Atomic<Unmanaged<SeriesSnapshot>>
    /// Every snapshot published, the current one last; kept alive here (see the type's documentation).
    private let published: SleepingMutex<[SeriesSnapshot]>

    init(buckets: [Double]) {
        self.buckets = buckets
        let empty = SeriesSnapshot(cells: [:])
        current = Atomic(Unmanaged.passUnretained(empty))
        published = SleepingMutex([empty])
    }

    /// The series with `labels`, created at zero on first use.
    func cell(_ labels: LabelSet) -> SeriesCell {
        if let cell = current.load(ordering: .acquiring).takeUnretainedValue().cells[labels] { return cell }
        return published.withLock { snapshots -> SeriesCell in
            let latest = current.load(ordering: .relaxed).takeUnretainedValue()
            if let cell = latest.cells[labels] { return cell }
            var cells = latest.cells
            let cell = SeriesCell(bounds: buckets)
            cells[labels] = cell
            let next = SeriesSnapshot(cells: cells)
            snapshots.append(next)
            current.store(Unmanaged.passUnretained(next), ordering: .releasing)
            return cell
        }
    }

    /// The series with `labels` if it exists.
    func existingCell(_ labels: LabelSet) -> SeriesCell? {
        current.load(ordering: .acquiring).takeUnretainedValue().cells[labels]
    }

    /// Every series now, with its numbers.
    var values: [LabelSet: SeriesValue] {
        current.load(ordering: .acquiring).takeUnretainedValue().cells.mapValues(\.value)
    }
}

/// One published state of a ``SeriesTable``: never changed after it is published.
final class SeriesSnapshot: Sendable {
    let cells: [LabelSet: SeriesCell]

    init(cells: [LabelSet: SeriesCell]) {
        self.cells = cells
    }
}

/// One series' numbers, changed with atomic operations: a counter's or gauge's value, or a histogram's sum and one
/// count per bucket plus one for observations above the last bound. The histogram's count is the sum of the bucket
/// counts rather than a number of its own, so a rendering taken during updates never shows a bucket above `+Inf`.
final class SeriesCell: Sendable {
    /// The value (or a histogram's sum), as the bits of a `Double`.
    private let valueBits = Atomic<UInt64>(0)
    /// The family's histogram upper bounds, ascending (empty for counters and gauges).
    private let bounds: [Double]
    /// Per bound, not cumulative, then one for observations above every bound.
    private let bucketCounts: [AtomicCount]

    init(bounds: [Double]) {
        self.bounds = bounds
        bucketCounts = (0...bounds.count).map { _ in AtomicCount() }
    }

    /// Adds `amount` to the value (a compare-and-swap loop: there is no atomic floating-point add).
    func add(_ amount: Double) {
        var old = valueBits.load(ordering: .relaxed)
        while true {
            let (exchanged, seen) = valueBits.compareExchange(expected: old, desired: (Double(bitPattern: old) + amount).bitPattern,
                                                              ordering: .relaxed)
            if exchanged { return }
            old = seen
        }
    }

    func set(_ value: Double) {
        valueBits.store(value.bitPattern, ordering: .relaxed)
    }

    /// Records one histogram observation.
    func observe(_ observation: Double) {
        add(observation)
        let bucket = bounds.firstIndex { observation <= $0 } ?? bounds.count
        bucketCounts[bucket].value.add(1, ordering: .relaxed)
    }

    /// The numbers now.
    var value: SeriesValue {
        var buckets = bucketCounts.map { $0.value.load(ordering: .relaxed) }
        let count = buckets.reduce(0, &+)
        buckets.removeLast()
        return SeriesValue(value: Double(bitPattern: valueBits.load(ordering: .relaxed)), count: count, buckets: buckets)
    }
}

/// An atomic count with an address of its own, so a series can keep one per bucket.
final class AtomicCount: Sendable {
    let value = Atomic<UInt64>(0)
}

/// One series' numbers at one moment: a counter's or gauge's value, or a histogram's sum, count and per-bucket
/// (non-cumulative) counts.
struct SeriesValue {
    var value: Double
    var count: UInt64
    var buckets: [UInt64]
}

/// Labels in name order: the identity of a series.
struct LabelSet: Hashable, Comparable, Sendable {
    struct Label: Hashable, Sendable {
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

    /// The values only: a family's series share their label names, so hashing them too (on every request's lookup)
    /// would tell no two series apart. Equality still compares names and values.
    func hash(into hasher: inout Hasher) {
        for label in labels { hasher.combine(label.value) }
    }
}
