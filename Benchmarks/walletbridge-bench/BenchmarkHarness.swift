import Foundation

/// Measures operations per second by running a body repeatedly for a fixed time.
///
/// Figures are printed, never asserted: tests do not time things (see README, "Benchmarks").
struct BenchmarkHarness {
    /// How long each measurement round runs.
    var roundDuration: Duration
    /// Rounds per figure; the best round is reported, which filters out scheduler noise on a shared machine.
    var rounds: Int

    /// Operations per second of `body` (one operation per call): the best of `rounds` rounds.
    func operationsPerSecond(_ body: () throws -> Void) rethrows -> Double {
        try warmUp(body)
        var best = 0.0
        for _ in 0..<rounds { best = max(best, try round(body)) }
        return best
    }

    /// Operations per second of `swift` and of `baseline`, measured in alternating rounds so that a noisy neighbour
    /// on a shared machine slows both sides alike; each figure is its best round.
    func compare(_ swift: () throws -> Void, against baseline: () throws -> Void) rethrows -> (swift: Double, baseline: Double) {
        try warmUp(swift)
        try warmUp(baseline)
        var best = (swift: 0.0, baseline: 0.0)
        for _ in 0..<rounds {
            best.swift = max(best.swift, try round(swift))
            best.baseline = max(best.baseline, try round(baseline))
        }
        return best
    }

    /// Warms caches, lazily initialised state and the branch predictor.
    private func warmUp(_ body: () throws -> Void) rethrows {
        let clock = ContinuousClock()
        let end = clock.now.advanced(by: roundDuration / 10)
        while clock.now < end { try body() }
    }

    private func round(_ body: () throws -> Void) rethrows -> Double {
        let clock = ContinuousClock()
        var operations = 0
        let start = clock.now
        let end = start.advanced(by: roundDuration)
        var now = start
        while now < end {
            // Check the clock every 16 calls so reading it does not dominate fast operations.
            for _ in 0..<16 { try body() }
            operations += 16
            now = clock.now
        }
        let elapsed = now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return Double(operations) / seconds
    }
}

/// One line of a comparison table: our Swift API beside the raw C call doing the same work.
struct Comparison {
    let name: String
    let swiftRate: Double
    let baselineRate: Double
    let baselineName: String

    /// Swift throughput as a fraction of the baseline's.
    var ratio: Double { swiftRate / baselineRate }
}

enum Report {
    static func format(_ rate: Double) -> String {
        let formatter = NumberFormatter()
        formatter.numberStyle = .decimal
        formatter.maximumFractionDigits = 0
        return formatter.string(from: NSNumber(value: rate.rounded())) ?? String(Int(rate))
    }

    static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
        let padding = String(repeating: " ", count: max(0, width - text.count))
        return right ? padding + text : text + padding
    }

    /// Prints the comparisons as an aligned table on stdout.
    static func printTable(title: String, _ rows: [Comparison]) {
        print(title)
        print(pad("operation", 34) + pad("swift ops/s", 14, right: true) + pad("raw C ops/s", 14, right: true)
            + pad("swift/C", 9, right: true) + "  baseline")
        for row in rows {
            print(pad(row.name, 34) + pad(format(row.swiftRate), 14, right: true) + pad(format(row.baselineRate), 14, right: true)
                + pad(String(format: "%.1f%%", row.ratio * 100), 9, right: true) + "  " + row.baselineName)
        }
    }
}

/// Keeps a value alive and opaque to the optimiser, so a benchmarked computation is not removed as dead code.
@inline(never)
func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}
