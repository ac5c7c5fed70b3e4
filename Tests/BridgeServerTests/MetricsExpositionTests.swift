import BridgeApprovals
import BridgeCore
import BridgeServer
import Foundation
import Testing

/// The whole `/metrics` answer of a running service, checked against the Prometheus text format (CONTRACT 4): every
/// family has one HELP and one TYPE line before its samples, counters end in `_total`, histograms carry `_bucket`
/// with `le`, `_sum` and `_count`, and the webhook families are there with their types.
@Suite("The service's /metrics in the Prometheus text format", .serialized)
struct MetricsExpositionTests {
    /// What went wrong with `text`, one line per problem (empty when it complies).
    static func violations(_ text: String) -> [String] {
        var problems: [String] = []
        var helps: [String: Int] = [:]
        var types: [String: String] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.isEmpty { continue }
            let words = line.split(separator: " ", maxSplits: 3).map(String.init)
            if line.hasPrefix("# HELP ") {
                helps[words[2], default: 0] += 1
                if types[words[2]] != nil { problems.append("HELP after TYPE or samples: \(words[2])") }
            } else if line.hasPrefix("# TYPE ") {
                guard words.count == 4 else { problems.append("bad TYPE line: \(line)"); continue }
                if types[words[2]] != nil { problems.append("TYPE twice: \(words[2])") }
                types[words[2]] = words[3]
                if words[3] == "counter", !words[2].hasSuffix("_total") { problems.append("counter without _total: \(words[2])") }
                if words[3] != "counter", words[2].hasSuffix("_total") { problems.append("\(words[3]) named _total: \(words[2])") }
            } else if line.hasPrefix("#") {
                continue
            } else {
                let name = String(line.prefix { $0 != "{" && $0 != " " })
                let family: String? = if types[name] != nil {
                    name
                } else {
                    ["_bucket", "_sum", "_count"].lazy.compactMap { suffix -> String? in
                        guard name.hasSuffix(suffix) else { return nil }
                        let base = String(name.dropLast(suffix.count))
                        return types[base] == "histogram" ? base : nil
                    }.first
                }
                guard let family else { problems.append("sample without a TYPE before it: \(name)"); continue }
                if types[family] == "histogram", name == family { problems.append("bare histogram sample: \(name)") }
                if name.hasSuffix("_bucket"), !line.contains("le=\"") { problems.append("bucket without le: \(line)") }
                if Double(line.split(separator: " ").last.map(String.init) ?? "") == nil, !line.hasSuffix("+Inf"),
                   !line.hasSuffix("NaN") {
                    problems.append("sample without a number: \(line)")
                }
            }
        }
        for (name, count) in helps where count != 1 { problems.append("HELP \(count) times: \(name)") }
        for name in types.keys where helps[name] == nil { problems.append("TYPE without HELP: \(name)") }
        return problems
    }

    @Test("The running service's /metrics: HELP and TYPE once per family, counters *_total, webhook counters and latency histogram")
    func theServiceMetricsComply() throws {
        let (runtime, port) = try ServiceHardeningTests.start()
        defer { runtime.stop(drainTimeout: .seconds(2)) }
        _ = ServiceHardeningTests.get(port, "/wallets/getOne?external_user_id=u-1&currency=USD")
        _ = ServiceHardeningTests.get(port, "/nowhere")
        _ = RawHTTPClient.exchange(port: port, "BREW /wallets/getOne HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        let response = ServiceHardeningTests.get(port, "/metrics")
        #expect(response.hasPrefix("HTTP/1.1 200"))
        let text = response.httpBody
        #expect(Self.violations(text) == [])
        for counter in ["walletbridge_webhook_deliveries_total", "walletbridge_webhook_failed_attempts_total",
                        "walletbridge_webhook_alerts_total"] {
            #expect(text.contains("# TYPE \(counter) counter\n"), "\(counter)")
        }
        #expect(text.contains("# TYPE walletbridge_webhook_latency_seconds histogram\n"))
        #expect(text.contains("# TYPE walletbridge_http_request_duration_seconds histogram\n"))
        #expect(!text.contains(#"method="BREW""#))
    }

    @Test("1,000 requests to invented paths with invented methods add no series: the route label is the pattern or the unmatched label")
    func inventedPathsDoNotGrowTheMetrics() {
        var router = Router()
        router.get("/wallets/getOne") { _, _ in .text("ok") }
        router.post("/operator/transfers/{order_id}/approve") { _, _ in .text("ok") }
        let metrics = MetricsRegistry()
        let handler = InstrumentedHandler(router: router, metrics: metrics)
        func invented() -> String { String(UInt64.random(in: 0...UInt64.max), radix: 36) }
        func burst(_ count: Int) {
            for _ in 0..<count {
                _ = handler.handle(HTTPRequest(method: invented().uppercased(), path: "/\(invented())/\(invented())"))
                _ = handler.handle(HTTPRequest(method: "POST", path: "/operator/transfers/\(invented())/approve"))
            }
        }
        burst(10)
        let before = metrics.render()
        burst(1000)
        let after = metrics.render()
        #expect(after.split(separator: "\n").count == before.split(separator: "\n").count)
        #expect(after.utf8.count < before.utf8.count + 200)
        #expect(after.contains(#"route="/operator/transfers/{order_id}/approve""#))
        #expect(Self.violations(after) == [])
    }

    @Test("The checker itself finds the issue-11 mistakes: a counter typed gauge, a family declared twice")
    func theCheckerFindsMistakes() {
        #expect(!Self.violations("# HELP a_total A.\n# TYPE a_total gauge\na_total 1\n").isEmpty)
        #expect(!Self.violations("# HELP a A.\n# TYPE a counter\na 1\n").isEmpty)
        #expect(!Self.violations("# HELP a_total A.\n# TYPE a_total counter\n# HELP a_total A.\n# TYPE a_total counter\n").isEmpty)
        #expect(!Self.violations("b 1\n").isEmpty)
        #expect(Self.violations("# HELP h H.\n# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum 0.5\nh_count 1\n") == [])
    }
}
