import BridgeApprovals
import BridgeCore
import BridgeServer
import Synchronization
import Testing

@Suite("Metrics registry and Prometheus text format")
struct MetricsTests {
    @Test func countersAndGaugesRenderWithHelpAndType() {
        let metrics = MetricsRegistry()
        let deliveries = metrics.counter("walletbridge_webhook_deliveries_total", help: "Webhook deliveries.")
        let devices = metrics.gauge("walletbridge_devices_connected", help: "Connected devices.")
        deliveries.increment(["result": "success"])
        deliveries.increment(["result": "success"])
        deliveries.increment(["result": "failure"], by: 3)
        devices.set(2)
        #expect(deliveries.value(["result": "success"]) == 2)
        #expect(metrics.render() == """
            # HELP walletbridge_webhook_deliveries_total Webhook deliveries.
            # TYPE walletbridge_webhook_deliveries_total counter
            walletbridge_webhook_deliveries_total{result="failure"} 3
            walletbridge_webhook_deliveries_total{result="success"} 2
            # HELP walletbridge_devices_connected Connected devices.
            # TYPE walletbridge_devices_connected gauge
            walletbridge_devices_connected 2

            """)
    }

    @Test func histogramsRenderCumulativeBucketsSumAndCount() {
        let metrics = MetricsRegistry()
        let latency = metrics.histogram("latency_seconds", help: "Latency.", buckets: [0.1, 0.01, 1])
        latency.observe(0.005, ["route": "/a"])
        latency.observe(0.05, ["route": "/a"])
        latency.observe(0.5, ["route": "/a"])
        latency.observe(7, ["route": "/a"])
        #expect(latency.count(["route": "/a"]) == 4)
        #expect(metrics.render() == """
            # HELP latency_seconds Latency.
            # TYPE latency_seconds histogram
            latency_seconds_bucket{route="/a",le="0.01"} 1
            latency_seconds_bucket{route="/a",le="0.1"} 2
            latency_seconds_bucket{route="/a",le="1"} 3
            latency_seconds_bucket{route="/a",le="+Inf"} 4
            latency_seconds_sum{route="/a"} 7.555
            latency_seconds_count{route="/a"} 4

            """)
    }

    @Test("Updates from 8 threads at once, without a lock, lose nothing: counts, sums and buckets add up exactly")
    func concurrentUpdatesAreExact() async {
        let metrics = MetricsRegistry()
        let requests = metrics.counter("requests_total", help: "Requests.")
        let latency = metrics.histogram("latency_seconds", help: "Latency.", buckets: [0.5, 1])
        let threads = 8, perThread = 5_000
        await withTaskGroup(of: Void.self) { group in
            for thread in 0..<threads {
                group.addTask {
                    for index in 0..<perThread {
                        // New series appear while others are being updated: the table is republished under load.
                        requests.increment(["route": "/r\(index % 16)"])
                        latency.observe(thread.isMultiple(of: 2) ? 0.25 : 2, ["route": "/a"])
                    }
                }
            }
        }
        let counted = (0..<16).map { requests.value(["route": "/r\($0)"]) }.reduce(0, +)
        #expect(counted == Double(threads * perThread))
        #expect(latency.count(["route": "/a"]) == threads * perThread)
        #expect(latency.sum(["route": "/a"]) == Double(threads / 2 * perThread) * 2.25)
        #expect(metrics.render().contains("latency_seconds_bucket{route=\"/a\",le=\"0.5\"} \(threads / 2 * perThread)\n"))
        #expect(metrics.render().contains("latency_seconds_bucket{route=\"/a\",le=\"+Inf\"} \(threads * perThread)\n"))
    }

    @Test func labelValuesAndHelpAreEscaped() {
        let metrics = MetricsRegistry()
        metrics.counter("odd_total", help: "Back\\slash and\nnewline.").increment(["path": "a\"b\\c\nd"])
        #expect(metrics.render() == """
            # HELP odd_total Back\\\\slash and\\nnewline.
            # TYPE odd_total counter
            odd_total{path="a\\"b\\\\c\\nd"} 1

            """)
    }

    @Test func registeringTwiceReturnsTheSameMetric() {
        let metrics = MetricsRegistry()
        metrics.counter("c_total", help: "First.").increment()
        metrics.counter("c_total", help: "Second.").increment()
        #expect(metrics.counter("c_total", help: "").value() == 2)
        #expect(metrics.render().contains("# HELP c_total First.\n"))
    }

    @Test func sampledGaugesAreReadAtRender() {
        let metrics = MetricsRegistry()
        let pending = Mutex(3.0)
        metrics.sampledGauge("walletbridge_pending_approvals", help: "Orders waiting for approvals.") {
            [MetricSample(value: pending.withLock { $0 })]
        }
        #expect(metrics.render().hasSuffix("walletbridge_pending_approvals 3\n"))
        pending.withLock { $0 = 1 }
        #expect(metrics.render().hasSuffix("walletbridge_pending_approvals 1\n"))
    }

    @Test func concurrentUpdatesAreAllCounted() async {
        let metrics = MetricsRegistry()
        let counter = metrics.counter("hits_total", help: "Hits.")
        let histogram = metrics.histogram("h_seconds", help: "H.")
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    for _ in 0..<1000 {
                        counter.increment()
                        histogram.observe(0.001)
                    }
                }
            }
        }
        #expect(counter.value() == 8000)
        #expect(histogram.count() == 8000)
    }

    @Test func instrumentedHandlerRecordsRoutePatternsMethodsAndStatuses() {
        var router = Router()
        router.post("/operator/transfers/{order_id}/approve") { _, _ in .text("ok") }
        let metrics = MetricsRegistry()
        let handler = InstrumentedHandler(router: router, metrics: metrics)
        _ = handler.handle(HTTPRequest(method: "POST", path: "/operator/transfers/o1/approve"))
        _ = handler.handle(HTTPRequest(method: "POST", path: "/operator/transfers/o2/approve"))
        _ = handler.handle(HTTPRequest(method: "GET", path: "/operator/transfers/o2/approve"))
        _ = handler.handle(HTTPRequest(method: "GET", path: "/unknown/path"))
        let responses = metrics.counter(InstrumentedHandler.responsesMetric, help: "")
        let route = "/operator/transfers/{order_id}/approve"
        #expect(responses.value(["route": route, "status": "200"]) == 2)
        #expect(responses.value(["route": route, "status": "405"]) == 1)
        #expect(responses.value(["route": "unmatched", "status": "404"]) == 1)
        let durations = metrics.histogram(InstrumentedHandler.durationMetric, help: "")
        #expect(durations.count(["route": route, "method": "POST"]) == 2)
        let text = metrics.render()
        #expect(text.contains("# TYPE walletbridge_http_request_duration_seconds histogram\n"))
        #expect(text.contains(#"walletbridge_http_request_duration_seconds_count{method="POST",route="/operator/transfers/{order_id}/approve"} 2"#))
        #expect(text.contains(#"walletbridge_http_responses_total{route="unmatched",status="404"} 1"#))
        #expect(!text.contains("o1"))
    }

    @Test("A route's kept series (its own method, status 200) and the series found by label count the same requests")
    func keptRouteSeriesAgreeWithLabelledOnes() {
        var router = Router()
        router.get("/wallets/getOne") { request, _ in request.query["bad"] == nil ? .text("ok") : .text("no", status: 400) }
        router.get("/health") { _, _ in .text("ok") }
        let metrics = MetricsRegistry()
        let handler = InstrumentedHandler(router: router, metrics: metrics)
        for _ in 0..<3 { _ = handler.handle(HTTPRequest(method: "GET", path: "/wallets/getOne")) }
        for _ in 0..<2 { _ = handler.handle(HTTPRequest(method: "GET", path: "/wallets/getOne", query: ["bad": "1"])) }
        _ = handler.handle(HTTPRequest(method: "HEAD", path: "/wallets/getOne"))
        _ = handler.handle(HTTPRequest(method: "GET", path: "/health"))
        let responses = metrics.counter(InstrumentedHandler.responsesMetric, help: "")
        #expect(responses.value(["route": "/wallets/getOne", "status": "200"]) == 4)
        #expect(responses.value(["route": "/wallets/getOne", "status": "400"]) == 2)
        #expect(responses.value(["route": "/health", "status": "200"]) == 1)
        let durations = metrics.histogram(InstrumentedHandler.durationMetric, help: "")
        #expect(durations.count(["route": "/wallets/getOne", "method": "GET"]) == 5)
        #expect(durations.count(["route": "/wallets/getOne", "method": "HEAD"]) == 1)
        #expect(durations.count(["route": "/health", "method": "GET"]) == 1)
    }

    @Test("1,000 requests with invented methods add no series: the method label is a routed method or other")
    func inventedMethodsDoNotGrowTheMetrics() {
        var router = Router()
        router.get("/wallets/getOne") { _, _ in .text("ok") }
        router.patch("/wallets/balance") { _, _ in .text("ok") }
        let metrics = MetricsRegistry()
        let handler = InstrumentedHandler(router: router, metrics: metrics)
        var generator = SystemRandomNumberGenerator()
        func inventedMethod() -> String {
            String((0..<12).map { _ in Character(UnicodeScalar(UInt8.random(in: 65...90, using: &generator))) })
        }
        for _ in 0..<10 { _ = handler.handle(HTTPRequest(method: inventedMethod(), path: "/wallets/getOne")) }
        let afterTen = metrics.render()
        for _ in 0..<1000 { _ = handler.handle(HTTPRequest(method: inventedMethod(), path: "/wallets/getOne")) }
        let afterThousand = metrics.render()
        // The same series: only the counts' digits and the sums changed.
        #expect(afterThousand.split(separator: "\n").count == afterTen.split(separator: "\n").count)
        #expect(afterThousand.utf8.count < afterTen.utf8.count + 100)
        _ = handler.handle(HTTPRequest(method: "GET", path: "/wallets/getOne"))
        _ = handler.handle(HTTPRequest(method: "HEAD", path: "/wallets/getOne"))
        let text = metrics.render()
        let methods = Set(text.split(separator: "\n").compactMap { line -> String? in
            guard let range = line.range(of: #"method=""#) else { return nil }
            return String(line[range.upperBound...].prefix { $0 != "\"" })
        })
        #expect(methods == ["GET", "HEAD", "other"])
        #expect(router.routedMethods == ["GET", "HEAD", "PATCH"])
    }

    @Test("The webhook families: counters named *_total typed counter, the latency a histogram")
    func webhookFamiliesHaveTheirTypes() {
        let metrics = MetricsRegistry()
        _ = WebhookMetrics(registry: metrics)
        let text = metrics.render()
        for counter in ["walletbridge_webhook_deliveries_total", "walletbridge_webhook_failed_attempts_total",
                        "walletbridge_webhook_alerts_total", "walletbridge_webhook_alert_failures_total"] {
            #expect(text.contains("# TYPE \(counter) counter\n"), "\(counter)")
        }
        #expect(text.contains("# TYPE walletbridge_webhook_latency_seconds histogram\n"))
        #expect(!text.contains(" gauge\n# HELP walletbridge_webhook"))
        for line in text.split(separator: "\n") where line.hasPrefix("# TYPE ") && line.hasSuffix(" counter") {
            #expect(line.split(separator: " ")[2].hasSuffix("_total"), "\(line)")
        }
    }
}

@Suite("Logger")
struct LoggerTests {
    @Test func writesJSONLinesAtOrAboveTheMinimumLevel() {
        let lines = Mutex<[String]>([])
        let clock = ManualClock(Timestamp(secondsSinceEpoch: 1_795_000_000))
        let logger = Logger(minimumLevel: .info, sink: LogSink { line in lines.withLock { $0.append(line) } }, clock: clock)
        logger.debug("hidden")
        logger.info("server listening", metadata: ["port": "8080", "host": "127.0.0.1"])
        logger.error("webhook failed", metadata: ["level": "ignored"])
        #expect(lines.withLock { $0 } == [
            #"{"time":"2026-11-18T11:06:40Z","level":"info","message":"server listening","host":"127.0.0.1","port":"8080"}"#,
            #"{"time":"2026-11-18T11:06:40Z","level":"error","message":"webhook failed"}"#,
        ])
        #expect(Logger.Level(name: "WARNING") == .warning)
        #expect(Logger.Level(name: "loud") == nil)
    }
}
