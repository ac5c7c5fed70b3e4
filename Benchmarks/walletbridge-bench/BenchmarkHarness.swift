import Foundation

/// Measures operations per second by running a body repeatedly for a fixed time.
///
/// Figures are printed, never asserted: tests do not time things (see README, "Benchmarks").
struct BenchmarkHarness {
    /// How long each measurement round runs.
    var roundDuration: Duration
    /// Rounds per figure; the best round is reported, which filters out scheduler noise on a shared machine.
    var rounds: Int

    /// Operations per second of `body`, which performs one operation per call.
    func operationsPerSecond(_ body: () throws -> Void) rethrows -> Double {
        let clock = ContinuousClock()
        // Warm up caches, lazily initialised state and the branch predictor.
        let warmUpEnd = clock.now.advanced(by: roundDuration / 10)
        while clock.now < warmUpEnd { try body() }

        var best = 0.0
        for _ in 0..<rounds {
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
            let seconds = Double((now - start).components.seconds) + Double((now - start).components.attoseconds) / 1e18
            best = max(best, Double(operations) / seconds)
        }
        return best
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
