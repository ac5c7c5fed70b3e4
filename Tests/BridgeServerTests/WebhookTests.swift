import BridgeApprovals
import BridgeCore
import BridgeCrypto
import BridgeServer
import BridgeStore
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Webhook signatures")
struct WebhookSignatureTests {
    let signer = WebhookSigner(secret: "whsec-test")
    let body = Array(#"{"event":"order.completed","order_id":"o-1"}"#.utf8)

    @Test func headerHasTheContractFormat() {
        let header = signer.signatureHeader(body: body, unixTime: 1_795_000_000)
        let expected = Hash.hmacSHA256(key: Array("whsec-test".utf8), data: Array("1795000000.".utf8) + body)
        #expect(header == "t=1795000000,v1=" + Hex.encode(expected))
        #expect(header.count == "t=1795000000,v1=".count + 64)
    }

    @Test func verifyAcceptsItsOwnSignature() {
        let header = signer.signatureHeader(body: body, unixTime: 1_795_000_000)
        #expect(signer.verify(header: header, body: body, now: 1_795_000_000))
        #expect(signer.verify(header: header, body: body, now: 1_795_000_299))
    }

    @Test func verifyRefusesATamperedBody() {
        let header = signer.signatureHeader(body: body, unixTime: 1_795_000_000)
        var tampered = body
        tampered[tampered.count - 3] = UInt8(ascii: "2")
        #expect(!signer.verify(header: header, body: tampered, now: 1_795_000_000))
    }

    @Test func verifyRefusesAWrongSecret() {
        let header = WebhookSigner(secret: "another-secret").signatureHeader(body: body, unixTime: 1_795_000_000)
        #expect(!signer.verify(header: header, body: body, now: 1_795_000_000))
    }

    @Test func verifyRefusesAnOldOrAlteredTimestamp() {
        let header = signer.signatureHeader(body: body, unixTime: 1_795_000_000)
        #expect(!signer.verify(header: header, body: body, now: 1_795_000_301))
        let shifted = header.replacingOccurrences(of: "t=1795000000", with: "t=1795000001")
        #expect(!signer.verify(header: shifted, body: body, now: 1_795_000_000))
    }

    @Test func verifyRefusesMalformedHeaders() {
        for header in ["", "t=1795000000", "v1=00", "t=x,v1=00", "t=1795000000,v1=zz"] {
            #expect(!signer.verify(header: header, body: body, now: 1_795_000_000))
        }
    }
}

/// A transport that answers from a script (a status, or nil for a connection error) and records every request with
/// the manual clock's time.
final class WebhookScriptedTransport: WebhookTransport {
    struct Sent: Sendable {
        let url: URL
        let body: String
        let headers: [String: String]
        let at: Timestamp
    }

    private let clock: ManualClock
    private let state: Mutex<(script: [Int?], sent: [Sent])>
    /// The answer once the script has run out.
    private let fallback: Int

    init(clock: ManualClock, script: [Int?], fallback: Int = 200) {
        self.clock = clock
        self.state = Mutex((script, []))
        self.fallback = fallback
    }

    var sent: [Sent] { state.withLock { $0.sent } }

    func post(_ request: WebhookRequest) -> Result<Int, WebhookTransportError> {
        let sent = Sent(url: request.url, body: String(decoding: request.body, as: UTF8.self),
                        headers: Dictionary(request.headers.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a }),
                        at: clock.now())
        let answer: Int? = state.withLock { state in
            state.sent.append(sent)
            return state.script.isEmpty ? fallback : state.script.removeFirst()
        }
        guard let answer else { return .failure(WebhookTransportError("connection refused")) }
        return .success(answer)
    }
}

/// A SQLite database in a fresh temporary directory.
struct WebhookTestDatabase {
    let directory: String
    var path: String { directory + "/walletbridge.sqlite" }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("walletbridge-webhook-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    func open(clock: ManualClock) throws -> SQLiteApprovalStore { try SQLiteApprovalStore(path: path, clock: clock) }

    func remove() { try? FileManager.default.removeItem(atPath: directory) }
}

/// Log lines collected for assertions.
final class WebhookLogCollector: Sendable {
    private let lines = Mutex<[(WebhookLogLevel, String)]>([])
    var all: [(WebhookLogLevel, String)] { lines.withLock { $0 } }
    var logger: WebhookLogger { { [self] level, message in lines.withLock { $0.append((level, message)) } } }
}

@Suite("Webhook delivery from the outbox")
struct WebhookDispatcherTests {
    static let receiver = URL(string: "http://127.0.0.1:9/hooks")!
    static let alerts = URL(string: "http://127.0.0.1:9/alerts")!
    static let body = #"{"event":"order.completed","order_id":"o-1","status":"completed"}"#

    /// Queues one outbox row due now and returns its id.
    func enqueue(_ store: any ApprovalStore, clock: ManualClock, body: String = body) throws -> Int64 {
        try store.transaction { transaction throws(ApprovalError) in
            try transaction.insertOutboxMessage(OutboxMessage(event: "order.completed", body: body, createdAt: clock.now(),
                                                              nextAttemptAt: clock.now()))
        }
    }

    /// The message's delivery to the receiver while it is pending; nil once it was delivered or failed.
    func row(_ store: any ApprovalStore, id: Int64, clock: ManualClock) throws -> WebhookDelivery? {
        try store.transaction { transaction throws(ApprovalError) in
            try transaction.webhookDeliveries(outboxID: id).first { $0.deliveredAt == nil && $0.failedAt == nil }
        }
    }

    func dispatcher(_ store: any ApprovalStore, clock: ManualClock, transport: WebhookScriptedTransport,
                    log: WebhookLogCollector = WebhookLogCollector(), alertURL: URL? = nil, metrics: WebhookMetrics = WebhookMetrics())
        -> WebhookDispatcher {
        WebhookDispatcher(store: store, clock: clock, transport: transport, signer: WebhookSigner(secret: "s3cret"),
                          urls: [Self.receiver], alertURL: alertURL, metrics: metrics, logger: log.logger)
    }

    /// Runs the dispatcher each whole second from now to `seconds` later.
    func runEverySecond(_ dispatcher: WebhookDispatcher, clock: ManualClock, for seconds: Int) throws {
        for _ in 0...seconds {
            try dispatcher.runOnce()
            clock.advance(by: .seconds(1))
        }
    }

    @Test func deliversASignedPostOnce() throws {
        let database = try WebhookTestDatabase()
        defer { database.remove() }
        let clock = ManualClock()
        let store = try database.open(clock: clock)
        let id = try enqueue(store, clock: clock)
        let transport = WebhookScriptedTransport(clock: clock, script: [])
        let subject = dispatcher(store, clock: clock, transport: transport)

        #expect(try subject.runOnce() == WebhookDispatcher.RunSummary(delivered: 1))
        #expect(try subject.runOnce() == WebhookDispatcher.RunSummary())
        let sent = try #require(transport.sent.first)
        #expect(transport.sent.count == 1)
        #expect(sent.body == Self.body)
        #expect(sent.headers["X-WalletBridge-Event"] == "order.completed")
        #expect(sent.headers["X-WalletBridge-Delivery"] == String(id))
        let signature = try #require(sent.headers[WebhookSigner.headerName])
        #expect(WebhookSigner(secret: "s3cret").verify(header: signature, body: Array(Self.body.utf8),
                                                        now: clock.now().secondsSinceEpoch))
        #expect(try row(store, id: id, clock: clock) == nil)  // delivered rows are no longer due
        #expect(subject.metrics.snapshot().deliveries == 1)
    }

    @Test func retriesOnTheContractScheduleUntilDelivered() throws {
        let database = try WebhookTestDatabase()
        defer { database.remove() }
        let clock = ManualClock()
        let start = clock.now()
        let store = try database.open(clock: clock)
        let id = try enqueue(store, clock: clock)
        let transport = WebhookScriptedTransport(clock: clock, script: [500, nil, 503, 404])
        let log = WebhookLogCollector()
        let subject = dispatcher(store, clock: clock, transport: transport, log: log)

        try runEverySecond(subject, clock: clock, for: 40)

        #expect(transport.sent.map { $0.at - start } == [.zero, .seconds(1), .seconds(3), .seconds(7), .seconds(15)])
        #expect(transport.sent.last?.at == start + .seconds(1 + 2 + 4 + 8))
        #expect(try row(store, id: id, clock: clock) == nil)
        let metrics = subject.metrics.snapshot()
        #expect(metrics.deliveries == 1)
        #expect(metrics.failedAttempts == 4)
        #expect(metrics.failedMessages == 0)
        #expect(metrics.latencyCount == 5)
        #expect(log.all.filter { $0.0 == .warning }.count == 4)
        #expect(log.all.contains { $0.1.contains("attempt 1 failed: http://127.0.0.1:9/hooks: HTTP 500; retrying in 1 s") })
    }

    @Test func recordsAttemptsAndTheNextDueTimeInTheRow() throws {
        let database = try WebhookTestDatabase()
        defer { database.remove() }
        let clock = ManualClock()
        let start = clock.now()
        let store = try database.open(clock: clock)
        let id = try enqueue(store, clock: clock)
        let transport = WebhookScriptedTransport(clock: clock, script: [500, 500, 500])
        let subject = dispatcher(store, clock: clock, transport: transport)

        try runEverySecond(subject, clock: clock, for: 3)  // attempts at +0, +1, +3

        let pending = try #require(try row(store, id: id, clock: clock))
        #expect(pending.attempts == 3)
        #expect(pending.nextAttemptAt == start + .seconds(3 + 4))
        #expect(pending.deliveredAt == nil)
        #expect(pending.failedAt == nil)
    }

    @Test func givesUpAfterTheFifthRetryAndRaisesAnAlert() throws {
        let database = try WebhookTestDatabase()
        defer { database.remove() }
        let clock = ManualClock()
        let start = clock.now()
        let store = try database.open(clock: clock)
        let id = try enqueue(store, clock: clock)
        let transport = WebhookScriptedTransport(clock: clock, script: [500, 500, 500, 500, 500, 500], fallback: 200)
        let log = WebhookLogCollector()
        let subject = dispatcher(store, clock: clock, transport: transport, log: log, alertURL: Self.alerts)

        try runEverySecond(subject, clock: clock, for: 60)

        let hooks = transport.sent.filter { $0.url == Self.receiver }
        #expect(hooks.map { $0.at - start } == [.zero, .seconds(1), .seconds(3), .seconds(7), .seconds(15), .seconds(31)])
        #expect(try row(store, id: id, clock: clock) == nil)  // failed rows are no longer due
        let failed = try database.open(clock: clock).transaction { transaction throws(ApprovalError) in
            try transaction.dueOutboxMessages(at: clock.now(), limit: 10)
        }
        #expect(failed.isEmpty)

        let alert = try #require(transport.sent.first { $0.url == Self.alerts })
        #expect(alert.at == start + .seconds(31))
        let alertJSON = try JSONValue(parsing: alert.body)
        #expect(alertJSON["event"] == "webhook.failed")
        #expect(alertJSON["outbox_id"] == .number(JSONNumber(id)))
        #expect(alertJSON["attempts"] == 6)
        #expect(alertJSON["payload"]?["order_id"] == "o-1")
        let signature = try #require(alert.headers[WebhookSigner.headerName])
        #expect(WebhookSigner(secret: "s3cret").verify(header: signature, body: Array(alert.body.utf8),
                                                        now: alert.at.secondsSinceEpoch))

        let errors = log.all.filter { $0.0 == .error }.map(\.1)
        #expect(errors.count == 1)
        #expect(errors.first?.hasPrefix("ALERT: webhook order.completed (outbox \(id)) failed after 6 attempts") == true)
        let metrics = subject.metrics.snapshot()
        #expect(metrics.failedMessages == 1)
        #expect(metrics.failedAttempts == 6)
        #expect(metrics.deliveries == 0)
        #expect(metrics.failedAlerts == 0)
    }

    @Test func aFailingAlertURLIsCountedAndLogged() throws {
        let clock = ManualClock()
        let store = InMemoryApprovalStore()
        _ = try enqueue(store, clock: clock)
        let transport = WebhookScriptedTransport(clock: clock, script: [], fallback: 500)
        let log = WebhookLogCollector()
        let subject = WebhookDispatcher(store: store, clock: clock, transport: transport, signer: WebhookSigner(secret: "s"),
                                        urls: [Self.receiver], alertURL: Self.alerts, retryDelays: [.seconds(1)],
                                        logger: log.logger)
        try runEverySecond(subject, clock: clock, for: 3)
        #expect(transport.sent.count == 3)  // two attempts, one alert
        #expect(subject.metrics.snapshot().failedAlerts == 1)
        #expect(log.all.filter { $0.0 == .error }.count == 2)
    }

    @Test func aRestartContinuesTheScheduleFromTheRow() throws {
        let database = try WebhookTestDatabase()
        defer { database.remove() }
        let clock = ManualClock()
        let start = clock.now()
        let id: Int64
        do {
            let store = try database.open(clock: clock)
            id = try enqueue(store, clock: clock)
            let transport = WebhookScriptedTransport(clock: clock, script: [500, 500])
            try runEverySecond(dispatcher(store, clock: clock, transport: transport), clock: clock, for: 1)
            #expect(transport.sent.count == 2)  // +0 and +1; the next retry is due at +3
            store.close()
        }
        let reopened = try database.open(clock: clock)
        let transport = WebhookScriptedTransport(clock: clock, script: [500])
        let restarted = dispatcher(reopened, clock: clock, transport: transport)
        try runEverySecond(restarted, clock: clock, for: 20)
        #expect(transport.sent.map { $0.at - start } == [.seconds(3), .seconds(7)])
        #expect(try row(reopened, id: id, clock: clock) == nil)
        #expect(restarted.metrics.snapshot().deliveries == 1)
    }

    @Test func aURLThatAlreadyTookTheRowIsNotSentItAgain() throws {
        let clock = ManualClock()
        let store = InMemoryApprovalStore()
        _ = try enqueue(store, clock: clock)
        let second = URL(string: "http://127.0.0.1:9/second")!
        // The first post answered gets 200, the other 500 once. The two URLs are posted in parallel, so which one
        // comes first varies; the script and the record advance under one lock, so sent[0] is the one that took 200.
        let transport = WebhookScriptedTransport(clock: clock, script: [200, 500])
        let subject = WebhookDispatcher(store: store, clock: clock, transport: transport, signer: WebhookSigner(secret: "s"),
                                        urls: [Self.receiver, second])
        try runEverySecond(subject, clock: clock, for: 3)
        let urls = transport.sent.map(\.url)
        try #require(urls.count == 3, "\(urls)")
        let failedOnce = try #require([Self.receiver, second].first { $0 != urls[0] })
        #expect(Set(urls) == [Self.receiver, second])
        #expect(urls.filter { $0 == urls[0] }.count == 1, "the URL that took the row got it again: \(urls)")
        #expect(urls.filter { $0 == failedOnce }.count == 2)
        #expect(subject.metrics.snapshot().deliveries == 2)
    }

    @Test func withoutURLsRowsAreMarkedDeliveredWithoutAPost() throws {
        let clock = ManualClock()
        let store = InMemoryApprovalStore()
        _ = try enqueue(store, clock: clock)
        let transport = WebhookScriptedTransport(clock: clock, script: [])
        let subject = WebhookDispatcher(store: store, clock: clock, transport: transport, signer: WebhookSigner(secret: "s"),
                                        urls: [])
        #expect(try subject.runOnce() == WebhookDispatcher.RunSummary(delivered: 1))
        #expect(transport.sent.isEmpty)
    }

    @Test func theBackgroundLoopDeliversAndStops() throws {
        let clock = ManualClock()
        let store = InMemoryApprovalStore()
        let transport = WebhookScriptedTransport(clock: clock, script: [])
        let subject = WebhookDispatcher(store: store, clock: clock, transport: transport, signer: WebhookSigner(secret: "s"),
                                        urls: [Self.receiver], pollInterval: .milliseconds(5))
        subject.start()
        _ = try enqueue(store, clock: clock)
        subject.wake()
        // Bounded wait for the loop's thread; the assertion is on the outcome, not on how long it took.
        for _ in 0..<2000 where transport.sent.isEmpty { usleep(1000) }
        subject.stop()
        subject.stop()  // a second stop is harmless
        #expect(transport.sent.count == 1)
    }
}

/// A loopback HTTP receiver for the real-delivery test: plain sockets, reads one request's headers and as many body
/// bytes as Content-Length says, answers 200, records what it got.
final class WebhookLoopbackReceiver: Sendable {
    let port: UInt16
    private let listener: Int32
    private let received = Mutex<[String]>([])
    private let done = DispatchSemaphore(value: 0)

    init() throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        listener = descriptor
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0, listen(descriptor, 4) == 0 else { throw WebhookTransportError("cannot listen on loopback") }
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
    }

    /// Serves one connection on a background thread.
    func serveOne() {
        let thread = Thread { [self] in
            let connection = accept(listener, nil, nil)
            defer {
                close(connection)
                done.signal()
            }
            guard connection >= 0 else { return }
            var bytes: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = read(connection, &buffer, buffer.count)
                guard count > 0 else { break }
                bytes += buffer[0..<count]
                let text = String(decoding: bytes, as: UTF8.self)
                guard let end = text.range(of: "\r\n\r\n") else { continue }
                let head = text[..<end.lowerBound].lowercased()
                let length = head.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                if text.utf8.count - text.utf8.distance(from: text.utf8.startIndex, to: end.upperBound) >= length { break }
            }
            received.withLock { $0.append(String(decoding: bytes, as: UTF8.self)) }
            let answer = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            _ = answer.withCString { write(connection, $0, strlen($0)) }
        }
        thread.start()
    }

    /// The raw request, once served (bounded wait).
    func request() -> String? {
        _ = done.wait(timeout: .now() + 10)
        return received.withLock { $0.first }
    }

    deinit { close(listener) }
}

@Suite("Webhook delivery over loopback HTTP")
struct WebhookLoopbackTests {
    @Test func curlDeliversASignedPost() throws {
        let receiver = try WebhookLoopbackReceiver()
        receiver.serveOne()
        let url = try #require(URL(string: "http://127.0.0.1:\(receiver.port)/hooks"))
        let clock = ManualClock(Timestamp(secondsSinceEpoch: Int64(Date().timeIntervalSince1970)))
        let store = InMemoryApprovalStore()
        let body = #"{"event":"order.completed","order_id":"o-9"}"#
        _ = try store.transaction { transaction throws(ApprovalError) in
            try transaction.insertOutboxMessage(OutboxMessage(event: "order.completed", body: body, createdAt: clock.now(),
                                                              nextAttemptAt: clock.now()))
        }
        let subject = WebhookDispatcher(store: store, clock: clock, transport: CurlWebhookTransport(),
                                        signer: WebhookSigner(secret: "loopback"), urls: [url])

        #expect(try subject.runOnce() == WebhookDispatcher.RunSummary(delivered: 1))

        let raw = try #require(receiver.request())
        #expect(raw.hasPrefix("POST /hooks HTTP/1.1\r\n"))
        #expect(raw.hasSuffix("\r\n\r\n" + body))
        let signatureLine = try #require(raw.split(separator: "\r\n").first {
            $0.lowercased().hasPrefix("x-walletbridge-signature:")
        })
        let header = signatureLine.dropFirst("x-walletbridge-signature:".count).trimmingCharacters(in: .whitespaces)
        #expect(WebhookSigner(secret: "loopback").verify(header: header, body: Array(body.utf8),
                                                          now: clock.now().secondsSinceEpoch))
        #expect(subject.metrics.snapshot().deliveries == 1)
    }

    @Test func curlReportsARefusedConnection() throws {
        // Bind a port, then close it, so nothing listens there.
        let port = try WebhookLoopbackReceiver().port
        let url = try #require(URL(string: "http://127.0.0.1:\(port)/hooks"))
        let result = CurlWebhookTransport().post(WebhookRequest(url: url, body: [], headers: [], timeout: .seconds(2)))
        guard case .failure = result else {
            Issue.record("expected a connection failure, got \(result)")
            return
        }
    }
}
