import BridgeApprovals
import BridgeCore
import BridgeServer
import Dispatch
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization
import Testing

/// Answers with what it received, as JSON.
struct EchoHandler: HTTPHandler {
    func handle(_ request: HTTPRequest) -> HTTPResponse {
        let query = JSONObject(request.query.names.sorted().map { ($0, JSONValue.string(request.query[$0] ?? "")) })
        return .json([
            "method": .string(request.method), "path": .string(request.path), "query": .object(query),
            "body": .string(String(decoding: request.body, as: UTF8.self)), "client": .string(request.clientAddress),
            "x-test": .string(request.header("X-Test") ?? ""),
        ])
    }
}

/// Blocks each request until the test opens the gate.
final class GatedHandler: HTTPHandler {
    let entered = DispatchSemaphore(value: 0)
    let gate = DispatchSemaphore(value: 0)

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        entered.signal()
        gate.wait()
        return .text("finished")
    }
}

/// Answers reads at once and blocks each request with a body until the test opens the gate.
final class PostGatedHandler: HTTPHandler {
    let entered = DispatchSemaphore(value: 0)
    let gate = DispatchSemaphore(value: 0)

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        guard request.method != "GET" else { return .text("read GET \(request.path)") }
        entered.signal()
        gate.wait()
        return .text("wrote \(request.method) \(String(decoding: request.body, as: UTF8.self))")
    }
}

/// Takes requests with a body without blocking, by path: `/later` waits for the test to answer through its reply,
/// `/early` answers before returning, `/now` at once, `/blocking` asks for a blocking thread (`handle`).
final class LaterHandler: HTTPHandler {
    let replies = Mutex<[HTTPReply]>([])
    let arrived = DispatchSemaphore(value: 0)

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        .text(request.method == "GET" ? "read GET \(request.path)" : "handled \(request.method) \(request.path)")
    }

    func handleWithoutBlocking(_ request: HTTPRequest, reply: HTTPReply) -> HTTPAnswer {
        switch request.path {
        case "/now":
            return .now(.text("now"))
        case "/blocking":
            return .needsBlockingThread
        case "/early":
            reply.send { .text("early, made on \(HTTPServerTests.threadName())") }
            return .later
        default:
            replies.withLock { $0.append(reply) }
            arrived.signal()
            return .later
        }
    }
}

/// Runs blocking work off Swift's cooperative pool (2 cores: blocking it could starve the tests).
func offPool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(returning: work()) }
    }
}

struct ClientResponse: Sendable {
    let status: Int
    let body: String
    let headers: [String: String]
}

enum HTTPClientError: Error {
    case notHTTP
    case curlFailed(String)
}

/// One request through URLSession (FoundationNetworking on Linux).
func send(_ method: String, _ url: String, body: String? = nil, headers: [String: String] = [:]) async throws -> ClientResponse {
    var request = URLRequest(url: try #require(URL(string: url)))
    request.httpMethod = method
    request.httpBody = body.map { Data($0.utf8) }
    for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
    let (data, response) = try await URLSession.shared.data(for: request)
    guard let http = response as? HTTPURLResponse else { throw HTTPClientError.notHTTP }
    var headerValues: [String: String] = [:]
    for (name, value) in http.allHeaderFields {
        if let name = name as? String, let value = value as? String { headerValues[name.lowercased()] = value }
    }
    return ClientResponse(status: http.statusCode, body: String(decoding: data, as: UTF8.self), headers: headerValues)
}

/// One request through the `curl` binary (for what URLSession cannot do: chunked uploads, custom CA files).
/// Returns nil when curl is not installed. The status code is the last line of the output.
func curl(_ arguments: [String]) async throws -> ClientResponse? {
    let path = "/usr/bin/curl"
    guard FileManager.default.isExecutableFile(atPath: path) else { return nil }
    let output: Result<String, HTTPClientError> = await offPool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["-s", "-S", "--max-time", "20", "-w", "\n%{http_code}"] + arguments
        let pipe = Pipe()
        let errors = Pipe()
        process.standardOutput = pipe
        process.standardError = errors
        do { try process.run() } catch { return .failure(.curlFailed("\(error)")) }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return .failure(.curlFailed(errorText)) }
        return .success(String(decoding: data, as: UTF8.self))
    }
    let text = try output.get()
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    return ClientResponse(status: Int(lines.last ?? "") ?? 0, body: lines.dropLast().joined(separator: "\n"), headers: [:])
}

func lines(_ lines: borrowing Mutex<[String]>) -> [String] { lines.withLock { $0 } }

@Suite("HTTP server on libmicrohttpd (loopback)", .serialized)
struct HTTPServerTests {
    func startEcho(_ configuration: HTTPServerConfiguration = HTTPServerConfiguration(),
                   accessLog: AccessLog? = nil) throws -> (HTTPServer, String) {
        let server = HTTPServer(configuration: configuration, handler: EchoHandler(), accessLog: accessLog)
        let port = try server.start()
        return (server, "http://127.0.0.1:\(port)")
    }

    @Test func getWithQueryStringRoundTrips() async throws {
        let (server, base) = try startEcho()
        defer { server.stop() }
        let response = try await send("GET", "\(base)/wallets/getOne?external_user_id=u%201&currency=USD&currency=EUR",
                                      headers: ["X-Test": "yes"])
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "application/json")
        #expect(response.body == #"{"method":"GET","path":"/wallets/getOne","query":{"currency":"USD","external_user_id":"u 1"},"body":"","client":"127.0.0.1","x-test":"yes"}"#)
    }

    @Test func postAndPatchBodiesRoundTrip() async throws {
        let (server, base) = try startEcho()
        defer { server.stop() }
        let post = try await send("POST", "\(base)/wallets", body: #"{"skip":0,"limit":10}"#,
                                  headers: ["Content-Type": "application/json"])
        #expect(post.status == 200)
        #expect(post.body.contains(#""method":"POST","path":"/wallets","query":{},"body":"{\"skip\":0,\"limit\":10}""#))
        let large = String(repeating: "x", count: 200_000)
        let patch = try await send("PATCH", "\(base)/wallets/balance?dry=1", body: large)
        #expect(patch.status == 200)
        #expect(patch.body.contains(#""method":"PATCH","path":"/wallets/balance","query":{"dry":"1"},"body":"\#(large)""#))
    }

    @Test func oversizedBodyIs413InTheCRMShape() async throws {
        let (server, base) = try startEcho(HTTPServerConfiguration(maximumBodyBytes: 1024))
        defer { server.stop() }
        let exact = try await send("POST", "\(base)/wallets", body: String(repeating: "a", count: 1024))
        #expect(exact.status == 200)
        let declared = try await send("POST", "\(base)/wallets", body: String(repeating: "a", count: 1025))
        #expect(declared.status == 413)
        #expect(declared.body == #"{"error":true,"code":413,"type":"payload_too_large"}"#)
        // A chunked upload declares no length: the limit applies to what arrives.
        if let chunked = try await curl(["-X", "POST", "-H", "Transfer-Encoding: chunked",
                                         "--data-binary", String(repeating: "b", count: 5000), "\(base)/wallets"]) {
            #expect(chunked.status == 413)
            #expect(chunked.body == #"{"error":true,"code":413,"type":"payload_too_large"}"#)
        }
        // The server still answers afterwards.
        #expect(try await send("GET", "\(base)/health").status == 200)
    }

    @Test func routerAnswers404And405OverTheWire() async throws {
        var router = Router()
        router.get("/health") { _, _ in .json(["status": "ok"]) }
        router.post("/operator/transfers/{order_id}/approve") { _, parameters in
            .json(["approved": .string(parameters["order_id"] ?? "")])
        }
        let server = HTTPServer(configuration: HTTPServerConfiguration(), handler: router)
        let base = "http://127.0.0.1:\(try server.start())"
        defer { server.stop() }
        #expect(try await send("GET", "\(base)/health").body == #"{"status":"ok"}"#)
        #expect(try await send("POST", "\(base)/operator/transfers/ord-7/approve", body: "{}").body == #"{"approved":"ord-7"}"#)
        let missing = try await send("GET", "\(base)/nothing")
        #expect(missing.status == 404)
        #expect(missing.body == #"{"error":true,"code":404,"type":"not_found"}"#)
        let wrongMethod = try await send("DELETE", "\(base)/health")
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.headers["allow"] == "GET")
    }

    @Test func concurrentRequestsAreAllAnswered() async throws {
        let (server, base) = try startEcho(HTTPServerConfiguration(workerThreads: 4))
        defer { server.stop() }
        let bodies = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for index in 0..<64 {
                group.addTask {
                    let response = try await send("POST", "\(base)/n?i=\(index)", body: "request \(index)")
                    return (index, response.body)
                }
            }
            var bodies: [Int: String] = [:]
            for try await (index, body) in group { bodies[index] = body }
            return bodies
        }
        #expect(bodies.count == 64)
        for index in 0..<64 {
            #expect(bodies[index]?.contains(#""query":{"i":"\#(index)"},"body":"request \#(index)""#) == true)
        }
        // Completion callbacks may still be running after the last response arrived: stop() waits for them.
        #expect(server.stop(drainTimeout: .seconds(30)))
        #expect(server.inFlightRequests == 0)
    }

    @Test func gracefulStopFinishesTheRequestInFlight() async throws {
        let handler = GatedHandler()
        let server = HTTPServer(configuration: HTTPServerConfiguration(), handler: handler)
        let port = try server.start()
        let inFlight = Task { try await send("GET", "http://127.0.0.1:\(port)/slow") }
        await offPool { handler.entered.wait() }
        #expect(server.inFlightRequests == 1)
        let stopped = Task { await offPool { server.stop(drainTimeout: .seconds(30)) } }
        // The listening socket closes at once, while the slow request is still running.
        let refused = await offPool {
            // stop() runs on another thread: wait (boundedly) for it to reach the point of closing the socket.
            for _ in 0..<5_000 where !connectionRefused(port: port) { usleep(1_000) }
            return connectionRefused(port: port)
        }
        #expect(refused)
        handler.gate.signal()
        let response = try await inFlight.value
        #expect(response.status == 200)
        #expect(response.body == "finished")
        #expect(response.headers["connection"]?.lowercased() == "close")
        #expect(await stopped.value == true)
        #expect(server.port == nil)
    }

    /// A request with a body runs on the blocking pool: while it waits, the single worker thread still answers reads,
    /// and the waiting request gets its answer once its handler returns, through the resumed connection.
    @Test func aBlockingWriteDoesNotHoldUpReadsOnTheSameWorkerThread() async throws {
        let handler = PostGatedHandler()
        let configuration = HTTPServerConfiguration(workerThreads: 1, blockingThreads: 2)
        let server = HTTPServer(configuration: configuration, handler: handler, accessLog: nil)
        let port = try server.start()
        defer { server.stop(drainTimeout: .seconds(5)) }
        let write = Task { try await send("PATCH", "http://127.0.0.1:\(port)/wallets/balance", body: "{\"amount\":1}") }
        await offPool { handler.entered.wait() }

        let read = try await send("GET", "http://127.0.0.1:\(port)/wallets/getOne?x=1")
        #expect(read.status == 200)
        #expect(read.body == "read GET /wallets/getOne")
        // The write is still held at the gate (it is only opened below), so the read was served beside it.
        #expect(handler.entered.wait(timeout: .now()) == .timedOut)

        handler.gate.signal()
        let written = try await write.value
        #expect(written.status == 200)
        #expect(written.body == "wrote PATCH {\"amount\":1}")
    }

    /// A handler that takes requests with a body for later needs no blocking thread at all (the server here has
    /// none): the connection waits suspended while the single worker thread answers a read, the answer comes from
    /// another thread, and its response is made on the worker thread. An answer given before the handler returns
    /// (before the connection is suspended), one given at once, and one that asks for a blocking thread all work too.
    @Test func aHandlerAnswersLaterWithoutABlockingThread() async throws {
        let handler = LaterHandler()
        let configuration = HTTPServerConfiguration(workerThreads: 1, blockingThreads: 0)
        let server = HTTPServer(configuration: configuration, handler: handler, accessLog: nil)
        let port = try server.start()
        defer { server.stop(drainTimeout: .seconds(5)) }
        let base = "http://127.0.0.1:\(port)"
        let write = Task { try await send("PATCH", base + "/later", body: "{}") }
        await offPool { handler.arrived.wait() }

        let read = try await send("GET", base + "/wallets/getOne")
        #expect(read.body == "read GET /wallets/getOne")
        #expect(server.inFlightRequests == 1, "the write still waits")

        let reply = try #require(handler.replies.withLock { $0.first })
        // From a thread of its own, as a store's committer would.
        Thread { reply.send { .text("later, made on \(HTTPServerTests.threadName())") } }.start()
        let written = try await write.value
        #expect(written.status == 200)
        #expect(written.body == "later, made on MHD-single", "libmicrohttpd names its one worker thread so")

        #expect(try await send("PATCH", base + "/early", body: "{}").body == "early, made on MHD-single")
        #expect(try await send("PATCH", base + "/now", body: "{}").body == "now")
        #expect(try await send("PATCH", base + "/blocking", body: "{}").body == "handled PATCH /blocking")
    }

    static func threadName() -> String {
        ((try? String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8)) ?? "").trimmingCharacters(in: .newlines)
    }

    /// Both kinds of thread that run handlers are batch-scheduled, so that their wake-ups do not preempt the group
    /// commit's committer: libmicrohttpd's worker (a read) and the blocking pool's (a request with a body).
    @Test func handlersRunOnBatchScheduledThreads() async throws {
        struct SchedulingHandler: HTTPHandler {
            func handle(_ request: HTTPRequest) -> HTTPResponse {
                HTTPResponse(status: 200, body: Array((NativeThread.scheduling == .batch ? "batch" : "normal").utf8))
            }
        }
        let server = HTTPServer(configuration: HTTPServerConfiguration(workerThreads: 1, blockingThreads: 1),
                                handler: SchedulingHandler(), accessLog: nil)
        let port = try server.start()
        defer { server.stop() }
        #expect(try await send("GET", "http://127.0.0.1:\(port)/health").body == "batch")
        #expect(try await send("POST", "http://127.0.0.1:\(port)/wallets", body: "{}").body == "batch")
    }

    @Test func gracefulStopWaitsForARequestOnTheBlockingPool() async throws {
        let handler = PostGatedHandler()
        let server = HTTPServer(configuration: HTTPServerConfiguration(blockingThreads: 1), handler: handler)
        let port = try server.start()
        let write = Task { try await send("POST", "http://127.0.0.1:\(port)/wallets", body: "{}") }
        await offPool { handler.entered.wait() }
        let stopped = Task { await offPool { server.stop(drainTimeout: .seconds(30)) } }
        // Open the gate only once the stop has begun (the listening socket is closed), so the answer is a draining one.
        let refused = await offPool {
            for _ in 0..<5_000 where !connectionRefused(port: port) { usleep(1_000) }
            return connectionRefused(port: port)
        }
        #expect(refused)
        handler.gate.signal()
        let written = try await write.value
        #expect(written.status == 200)
        #expect(written.body == "wrote POST {}")
        #expect(written.headers["connection"]?.lowercased() == "close")
        #expect(await stopped.value == true)
    }

    @Test func accessLogWritesOneJSONLinePerRequest() async throws {
        let captured = Mutex<[String]>([])
        let clock = ManualClock(Timestamp(millisecondsSinceEpoch: 1_795_000_000_125))
        let accessLog = AccessLog(sink: LogSink { line in captured.withLock { $0.append(line) } }, clock: clock)
        let (server, base) = try startEcho(accessLog: accessLog)
        defer { server.stop() }
        _ = try await send("GET", "\(base)/health?secret=1")
        _ = try await send("POST", "\(base)/wallets", body: "{}")
        server.stop()
        let logged = lines(captured)
        #expect(logged.count == 2)
        let expectations: [(method: String, path: String)] = [("GET", "/health"), ("POST", "/wallets")]
        for (line, expected) in zip(logged, expectations) {
            let object = try JSONValue(parsing: line)
            guard case .object(let fields) = object else {
                Issue.record("not an object: \(line)")
                continue
            }
            #expect(fields.keys == ["time", "client", "method", "path", "status", "duration_ms", "bytes"])
            #expect(fields["time"] == JSONValue.string("2026-11-18T11:06:40.125Z"))
            #expect(fields["client"] == JSONValue.string("127.0.0.1"))
            #expect(fields["method"] == JSONValue.string(expected.method))
            #expect(fields["path"] == JSONValue.string(expected.path))
            #expect(fields["status"] == JSONValue.number(JSONNumber(200)))
            let duration: JSONValue? = fields["duration_ms"]
            guard case .number(let milliseconds)? = duration else {
                Issue.record("duration_ms missing: \(line)")
                continue
            }
            #expect(milliseconds.text.contains("."))
        }
        #expect(!logged[0].contains("secret"))
    }

    @Test func accessLogLineFormat() {
        let log = AccessLog(sink: .discard, clock: ManualClock(Timestamp(secondsSinceEpoch: 1_795_000_000)))
        let request = HTTPRequest(method: "PATCH", path: "/wallets/balance", clientAddress: "::1")
        #expect(log.line(request: request, status: 202, bytes: 97, duration: .microseconds(12_345))
            == #"{"time":"2026-11-18T11:06:40Z","client":"::1","method":"PATCH","path":"/wallets/balance","status":202,"duration_ms":12.345,"bytes":97}"#)
        #expect(log.line(request: request, status: 200, bytes: 0, duration: .nanoseconds(999)).contains(#""duration_ms":0.000,"#))
        // Text the client chose is escaped exactly as the JSON writer escapes it, and the line parses back.
        let odd = HTTPRequest(method: "GET", path: "/a\"b\\c\nd\u{1}é", clientAddress: "203.0.113.9")
        let line = log.line(request: odd, status: 404, bytes: 5, duration: .milliseconds(1))
        #expect(line.contains(#","path":"# + JSONValue.string("/a\"b\\c\nd\u{1}é").serialized() + ","))
        #expect((try? JSONValue(parsing: line))?.objectValue?["path"] == .string("/a\"b\\c\nd\u{1}é"))
    }

    static let openssl = "/usr/bin/openssl"
    static let hasOpenSSLAndCurl = FileManager.default.isExecutableFile(atPath: openssl)
        && FileManager.default.isExecutableFile(atPath: "/usr/bin/curl")
    /// Whether this machine can listen on the IPv6 loopback (containers without IPv6 cannot).
    static let hasIPv6Loopback: Bool = {
        let server = HTTPServer(configuration: HTTPServerConfiguration(host: "::1"), handler: EchoHandler())
        defer { server.stop() }
        return (try? server.start()) != nil
    }()

    @Test(.enabled(if: hasOpenSSLAndCurl, "needs /usr/bin/openssl and /usr/bin/curl (Debian's openssl and curl)"))
    func tlsServesHTTPSWithAPEMCertificateAndKey() async throws {
        let openssl = Self.openssl
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wb-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let certificate = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        let status = await offPool { () -> Int32 in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: openssl)
            process.arguments = ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                                 "-keyout", key, "-out", certificate, "-days", "1", "-subj", "/CN=127.0.0.1",
                                 "-addext", "subjectAltName=IP:127.0.0.1"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            guard (try? process.run()) != nil else { return -1 }
            process.waitUntilExit()
            return process.terminationStatus
        }
        try #require(status == 0)
        let configuration = HTTPServerConfiguration(
            tls: HTTPServerConfiguration.TLS(certificatePEMPath: certificate, keyPEMPath: key))
        let (server, _) = try startEcho(configuration)
        defer { server.stop() }
        let port = try #require(server.port)
        let response = try #require(try await curl(["--cacert", certificate, "-d", "over tls",
                                                     "https://127.0.0.1:\(port)/secure?x=1"]))
        #expect(response.status == 200)
        #expect(response.body.contains(#""method":"POST","path":"/secure","query":{"x":"1"},"body":"over tls""#))
        // Plain HTTP to the TLS port does not get an answer from the handler.
        let plain = try? await curl(["http://127.0.0.1:\(port)/secure"])
        #expect(plain?.status != 200)
    }

    @Test(.enabled(if: hasIPv6Loopback && FileManager.default.isExecutableFile(atPath: "/usr/bin/curl"),
                   "needs an IPv6 loopback (::1) to listen on, and /usr/bin/curl"))
    func ipv6Loopback() async throws {
        let server = HTTPServer(configuration: HTTPServerConfiguration(host: "::1"), handler: EchoHandler())
        let port = try server.start()
        defer { server.stop() }
        let response = try #require(try await curl(["http://[::1]:\(port)/six"]))
        #expect(response.status == 200)
        #expect(response.body.contains(#""client":"::1""#))
    }

    @Test func aRequestWhoseHeadersNeverFinishIsClosedAfterTheTimeout() async throws {
        let server = HTTPServer(configuration: HTTPServerConfiguration(connectionTimeoutSeconds: 1), handler: EchoHandler())
        let port = try server.start()
        defer { server.stop() }
        // Half a request line, then silence: the server must close the connection by itself (the client waits
        // up to 20 s, far beyond the 1 s timeout, so a pass means the server closed it).
        let outcome = await offPool { () -> Int in
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard descriptor >= 0 else { return -100 }
            defer { close(descriptor) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(port).bigEndian
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard connected == 0 else { return -101 }
            var limit = timeval(tv_sec: 20, tv_usec: 0)
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
            let partial = Array("GET /slowloris HTTP/1.1\r\nHost: x\r\n".utf8)
            _ = partial.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, 0) }
            var buffer = [UInt8](repeating: 0, count: 256)
            return buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        }
        #expect(outcome == 0)
    }

    @Test func configurationErrorsNameTheProblem() throws {
        #expect(throws: HTTPServerError.invalidHost("localhost")) {
            try HTTPServer(configuration: HTTPServerConfiguration(host: "localhost"), handler: EchoHandler()).start()
        }
        #expect(throws: HTTPServerError.invalidConfiguration(field: "workerThreads", reason: "must be at least 1")) {
            try HTTPServer(configuration: HTTPServerConfiguration(workerThreads: 0), handler: EchoHandler()).start()
        }
        let tls = HTTPServerConfiguration.TLS(certificatePEMPath: "/nonexistent/cert.pem", keyPEMPath: "/nonexistent/key.pem")
        #expect(throws: HTTPServerError.unreadableTLSFile(path: "/nonexistent/key.pem")) {
            try HTTPServer(configuration: HTTPServerConfiguration(tls: tls), handler: EchoHandler()).start()
        }
        let first = HTTPServer(configuration: HTTPServerConfiguration(), handler: EchoHandler())
        let port = try first.start()
        defer { first.stop() }
        #expect(throws: HTTPServerError.alreadyRunning) { try first.start() }
        let second = HTTPServer(configuration: HTTPServerConfiguration(port: UInt16(port)), handler: EchoHandler())
        #expect {
            try second.start()
        } throws: { error in
            guard case .cannotListen(_, let taken, _)? = error as? HTTPServerError else { return false }
            return Int(taken) == port
        }
    }
}

/// True when nothing accepts TCP connections on 127.0.0.1:`port`.
func connectionRefused(port: Int) -> Bool {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { return false }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let result = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    return result != 0 && errno == ECONNREFUSED
}
