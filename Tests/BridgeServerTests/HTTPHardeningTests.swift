import BridgeApprovals
import BridgeCore
import BridgeServer
import Dispatch
import Foundation
import Synchronization
import Testing

/// CONTRACT 4 on the real server over loopback: connection limits per address, a deadline for request headers, a
/// bounded queue, and refusals answered once in the service's error shape. Each test fails on the server before these
/// limits (see the issue's findings).
@Suite("HTTP hardening on libmicrohttpd (loopback)", .serialized)
struct HTTPHardeningTests {
    /// A router with a CRM-style and an operator route, as the service mounts them.
    static func router() -> Router {
        var router = Router()
        router.get("/wallets/getOne") { request, _ in .json(["client": .string(request.clientAddress)]) }
        router.post("/operator/challenge") { _, _ in .json(["ok": true]) }
        router.get("/health") { _, _ in .json(["status": "ok"]) }
        return router
    }

    static func start(_ configuration: HTTPServerConfiguration, handler: any HTTPHandler = router()) throws -> (HTTPServer, Int) {
        let server = HTTPServer(configuration: configuration, handler: handler)
        return (server, try server.start())
    }

    @Test("300 trickling connections from 127.0.0.1 do not keep 127.0.0.2 waiting, and are closed by the header deadline")
    func tricklingClientsAreBoundedAndTimedOut() async throws {
        let (server, port) = try Self.start(HTTPServerConfiguration(headerTimeoutSeconds: 2))
        defer { server.stop() }
        let tricklers = await offPool { () -> [RawHTTPClient] in
            (0..<300).compactMap { _ in
                let client = RawHTTPClient(port: port, receiveTimeout: .seconds(6))
                client?.write("GET /health HTTP/1.1\r\nHo")
                return client
            }
        }
        #expect(tricklers.count == 300)

        let started = ContinuousClock.now
        // Timed from the request's first byte to the answer's, on the client's own thread (not the test's scheduling).
        let (answer, waited) = await offPool { () -> (String?, Duration) in
            guard let client = RawHTTPClient(port: port, source: "127.0.0.2", receiveTimeout: .seconds(5)) else {
                return (nil, .zero)
            }
            let sent = ContinuousClock.now
            client.write("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            let first = client.readSome()
            let waited = ContinuousClock.now - sent
            return (first + client.readAll(), waited)
        }
        #expect(waited < .seconds(1), "127.0.0.2 waited \(waited)")
        #expect(answer?.hasPrefix("HTTP/1.1 200") == true, "\(answer ?? "no answer")")

        // One byte more every 300 ms never completes the head: every trickler is closed within the deadline (2 s)
        // plus the watchdog's period, refused ones at once.
        let closed = await offPool { () -> Int in
            let deadline = ContinuousClock.now + .seconds(5)
            var open = Array(tricklers.indices)
            while !open.isEmpty, ContinuousClock.now < deadline {
                open = open.filter { tricklers[$0].write("s") }
                usleep(300_000)
            }
            return tricklers.count - open.count
        }
        #expect(closed == 300)
        #expect(ContinuousClock.now - started < .seconds(6))
    }

    @Test("Connection 4 from one address is closed at once with maxConnectionsPerIP 3; another address is served")
    func connectionsPerAddressAreLimited() async throws {
        let (server, port) = try Self.start(HTTPServerConfiguration(maxConnectionsPerIP: 3))
        defer { server.stop() }
        let outcome = await offPool { () -> (Bool, Bool, String?) in
            let held = (0..<3).compactMap { _ in RawHTTPClient(port: port, receiveTimeout: .milliseconds(500)) }
            usleep(100_000)
            let fourth = RawHTTPClient(port: port, receiveTimeout: .seconds(2))
            let fourthClosed = fourth?.isClosedByServer() ?? false
            let heldOpen = !(held.first?.isClosedByServer() ?? true)
            let other = RawHTTPClient.exchange(port: port, "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                                               source: "127.0.0.2")
            return (fourthClosed, heldOpen, other)
        }
        #expect(outcome.0, "the fourth connection from 127.0.0.1 must be closed")
        #expect(outcome.1, "the first three stay open (a read times out rather than seeing the end)")
        #expect(outcome.2?.hasPrefix("HTTP/1.1 200") == true)
    }

    /// libmicrohttpd splits `MHD_OPTION_CONNECTION_LIMIT` among its worker threads, and a worker at its share takes
    /// the listening socket out of its epoll set (libmicrohttpd 0.9.75, src/microhttpd/daemon.c, `MHD_start_daemon_va`
    /// and `MHD_epoll`): at the limit a new connection is not accepted but waits in the kernel's listen backlog until
    /// a connection closes.
    @Test("At maxConnections a new connection waits, unanswered, until another closes; then it is served")
    func totalConnectionsAreLimited() async throws {
        let (server, port) = try Self.start(HTTPServerConfiguration(workerThreads: 2, maxConnections: 2))
        defer { server.stop() }
        let outcome = await offPool { () -> (String, String) in
            var held = (0..<2).compactMap { _ -> RawHTTPClient? in
                let client = RawHTTPClient(port: port, receiveTimeout: .milliseconds(500))
                usleep(100_000)
                return client
            }
            let waiting = RawHTTPClient(port: port, source: "127.0.0.2", receiveTimeout: .milliseconds(700))
            waiting?.write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            let whileFull = waiting?.readAll() ?? "no connection"
            held.removeAll()  // closes both
            let afterwards = waiting?.readAll() ?? "no connection"
            return (whileFull, afterwards)
        }
        #expect(outcome.0.isEmpty, "no answer while both slots are held: \(outcome.0.prefix(80))")
        #expect(outcome.1.hasPrefix("HTTP/1.1 200"), "served once a slot frees: \(outcome.1.prefix(80))")
    }

    @Test("Beyond maxQueuedRequests: 503 with Retry-After, in the path's error shape")
    func aFullQueueSheds503() async throws {
        let handler = GatedHandler()
        let (server, port) = try Self.start(HTTPServerConfiguration(maxQueuedRequests: 1), handler: handler)
        defer { server.stop() }
        let first = Task { await offPool { RawHTTPClient.exchange(port: port, "GET /wallets/getOne HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", timeout: .seconds(10)) } }
        await offPool { handler.entered.wait() }
        let shed = await offPool {
            RawHTTPClient.exchange(port: port, "GET /wallets/getOne HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        }
        let shedOperator = await offPool {
            RawHTTPClient.exchange(port: port, "POST /operator/challenge HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
        }
        handler.gate.signal()
        let firstAnswer = await first.value
        #expect(firstAnswer?.hasPrefix("HTTP/1.1 200") == true)
        #expect(shed?.hasPrefix("HTTP/1.1 503") == true, "\(shed ?? "")")
        #expect(shed?.contains("Retry-After: 1\r\n") == true)
        #expect(shed?.httpBody == #"{"error":true,"code":503,"type":"service_unavailable"}"#)
        #expect(shedOperator?.hasPrefix("HTTP/1.1 503") == true)
        #expect(shedOperator.map { (try? JSONValue(parsing: $0.httpBody))?["code"] } == -4)
    }

    /// The raw request for each refusal, and the answer's status and CRM type.
    static let refusals: [(name: String, request: String, status: Int, type: String)] = [
        ("declared body over the limit", "PATCH /wallets/getOne HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n{", 413, "payload_too_large"),
        ("declared body over the limit, Expect: 100-continue",
         "PATCH /wallets/getOne HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\nExpect: 100-continue\r\n\r\n", 413, "payload_too_large"),
        ("target over 8 KiB", "GET /wallets/getOne?x=\(String(repeating: "a", count: 9000)) HTTP/1.1\r\nHost: x\r\n\r\n", 414, "uri_too_long"),
        ("headers over 16 KiB", "GET /wallets/getOne HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "b", count: 20000))\r\n\r\n", 431, "request_header_fields_too_large"),
        ("Content-Length with Transfer-Encoding",
         "POST /wallets/getOne HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, "invalid_request"),
        ("Content-Length twice", "POST /wallets/getOne HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 40\r\n\r\n{}", 400, "invalid_request"),
        ("Transfer-Encoding twice", "POST /wallets/getOne HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n", 400, "invalid_request"),
        ("NUL in a query value", "GET /wallets/getOne?external_user_id=a%00b&currency=USD HTTP/1.1\r\nHost: x\r\n\r\n", 400, "invalid_request"),
        ("another method", "DELETE /wallets/getOne HTTP/1.1\r\nHost: x\r\n\r\n", 405, "method_not_allowed"),
        ("a double slash", "GET //wallets/getOne HTTP/1.1\r\nHost: x\r\n\r\n", 404, "not_found"),
        ("a trailing slash", "GET /wallets/getOne/ HTTP/1.1\r\nHost: x\r\n\r\n", 404, "not_found"),
        ("an escaped slash", "GET /wallets%2fgetOne HTTP/1.1\r\nHost: x\r\n\r\n", 404, "not_found"),
        ("an escaped slash, upper case", "GET /wallets%2FgetOne HTTP/1.1\r\nHost: x\r\n\r\n", 404, "not_found"),
        ("an escaped dot segment", "GET /x/%2e%2e/wallets/getOne HTTP/1.1\r\nHost: x\r\n\r\n", 404, "not_found"),
    ]

    @Test("Refusals at the HTTP layer: one status line, the CRM's JSON shape, the connection closed when a body may follow",
          arguments: refusals.indices)
    func refusalsAreAnsweredOnceInTheCRMShape(_ index: Int) async throws {
        let refusal = Self.refusals[index]
        let (server, port) = try Self.start(HTTPServerConfiguration(maximumBodyBytes: 1 << 20))
        defer { server.stop() }
        let answer = try #require(await offPool { RawHTTPClient.exchange(port: port, refusal.request) }, "\(refusal.name)")
        #expect(answer.hasPrefix("HTTP/1.1 \(refusal.status) "), "\(refusal.name): \(answer.prefix(200))")
        #expect(answer.statusLineCount == 1, "\(refusal.name): \(answer)")
        #expect(answer.httpBody == #"{"error":true,"code":\#(refusal.status),"type":"\#(refusal.type)"}"#, "\(refusal.name)")
    }

    /// libmicrohttpd 0.9.75 answers a `Content-Length` that is not a 64-bit number itself, before any callback of
    /// ours sees the headers (src/microhttpd/connection.c, `parse_connection_headers`: 413 when it starts with a
    /// digit, else 400, with its HTML), and then overwrites the error's state with `MHD_CONNECTION_HEADERS_PROCESSED`
    /// (`MHD_connection_handle_idle`, case `MHD_CONNECTION_HEADERS_RECEIVED`), so the response's header block is built
    /// and sent twice. Nothing the service configures reaches that path; it needs a libmicrohttpd without the bug.
    /// Recorded as a known issue so the suite says so instead of passing, and flags the day it is fixed.
    @Test("A Content-Length beyond 64 bits: libmicrohttpd's own 413, closed; its doubled header block is a known issue")
    func absurdContentLength() async throws {
        let (server, port) = try Self.start(HTTPServerConfiguration())
        defer { server.stop() }
        for expect in ["", "Expect: 100-continue\r\n"] {
            let request = "PATCH /wallets/balance HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\(expect)\r\n{"
            let answer = try #require(await offPool { RawHTTPClient.exchange(port: port, request) })
            #expect(answer.hasPrefix("HTTP/1.1 413 "), "\(answer.prefix(200))")
            #expect(answer.lowercased().contains("\r\nconnection: close\r\n"))
            withKnownIssue("libmicrohttpd 0.9.75 sends its own error's header block twice, with an HTML body") {
                #expect(answer.statusLineCount == 1, "\(answer)")
                #expect(answer.httpBody == #"{"error":true,"code":413,"type":"payload_too_large"}"#)
            }
        }
        // The service is unharmed: the next request is answered.
        let health = await offPool { RawHTTPClient.exchange(port: port, "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n") }
        #expect(health?.hasPrefix("HTTP/1.1 200") == true)
    }

    @Test("A request just inside both limits (8,000-byte target, 16,000 header bytes) fits libmicrohttpd's pool and is served")
    func aHeadAtTheLimitsIsServed() async throws {
        let (server, port) = try Self.start(HTTPServerConfiguration())
        defer { server.stop() }
        let request = "GET /health?x=\(String(repeating: "a", count: 8000)) HTTP/1.1\r\nHost: x\r\n"
            + "X-Big: \(String(repeating: "b", count: 16000))\r\nConnection: close\r\n\r\n"
        let answer = await offPool { RawHTTPClient.exchange(port: port, request) }
        #expect(answer?.hasPrefix("HTTP/1.1 200") == true, "\(answer?.prefix(120) ?? "no answer")")
    }

    /// Past the connection's memory pool (``HTTPServerConfiguration``'s `connectionMemoryBytes`, 32 KiB) libmicrohttpd
    /// answers before any callback of ours runs (src/microhttpd/connection.c, `transmit_error_response_len` with
    /// `REQUEST_TOO_BIG`): the same status, once, the connection closed, but its HTML body. Between our limits and the
    /// pool (16-32 KiB of head) the service's own JSON answers.
    @Test("A head beyond libmicrohttpd's pool: its own 414/431, once and closed; its HTML body is a known issue",
          arguments: [(40_000, 0, 414), (0, 40_000, 431)])
    func aHeadBeyondThePool(target: Int, header: Int, status: Int) async throws {
        let (server, port) = try Self.start(HTTPServerConfiguration())
        defer { server.stop() }
        let request = "GET /wallets/getOne?x=\(String(repeating: "a", count: target)) HTTP/1.1\r\nHost: x\r\n"
            + "X-Big: \(String(repeating: "b", count: header))\r\n\r\n"
        let answer = try #require(await offPool { RawHTTPClient.exchange(port: port, request) })
        #expect(answer.hasPrefix("HTTP/1.1 \(status) "), "\(answer.prefix(120))")
        #expect(answer.statusLineCount == 1)
        withKnownIssue("libmicrohttpd answers a head larger than its connection pool itself, in HTML") {
            #expect(answer.httpBody.hasPrefix("{"), "\(answer.httpBody.prefix(80))")
        }
    }

    @Test("Content-Length with Transfer-Encoding: 400 and the connection closed")
    func smugglingShapeClosesTheConnection() async throws {
        let (server, port) = try Self.start(HTTPServerConfiguration())
        defer { server.stop() }
        let request = "POST /wallets/balance HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "0\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n"
        let answer = try #require(await offPool { RawHTTPClient.exchange(port: port, request) })
        #expect(answer.hasPrefix("HTTP/1.1 400 "))
        #expect(answer.lowercased().contains("\r\nconnection: close\r\n"))
        #expect(answer.statusLineCount == 1, "the smuggled request after the body must not be answered: \(answer)")
    }

    @Test("Under /operator the same refusals take the operator shape {error, code, hint}")
    func operatorPathsGetTheOperatorShape() async throws {
        let (server, port) = try Self.start(HTTPServerConfiguration(maximumBodyBytes: 1024))
        defer { server.stop() }
        let requests = [
            ("POST /operator/challenge HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n", 413),
            ("GET /operator/challenge?x=\(String(repeating: "a", count: 9000)) HTTP/1.1\r\nHost: x\r\n\r\n", 414),
            ("GET /operator/challenge HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "b", count: 20000))\r\n\r\n", 431),
            ("POST /operator/challenge HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
            ("GET /operator/challenge HTTP/1.1\r\nHost: x\r\n\r\n", 405),
            ("GET /operator//challenge HTTP/1.1\r\nHost: x\r\n\r\n", 404),
        ]
        for (request, status) in requests {
            let answer = try #require(await offPool { RawHTTPClient.exchange(port: port, request) })
            #expect(answer.hasPrefix("HTTP/1.1 \(status) "), "\(answer.prefix(120))")
            #expect(answer.statusLineCount == 1)
            let body = try JSONValue(parsing: answer.httpBody)
            #expect(body["code"] == -10, "\(answer.httpBody)")
            #expect(body["error"]?.stringValue?.isEmpty == false)
            #expect(body["hint"]?.stringValue?.isEmpty == false)
        }
    }

    @Test("From a trusted proxy the client is the rightmost untrusted X-Forwarded-For entry; otherwise the header is ignored")
    func trustedProxiesOverTheWire() async throws {
        let trusted = try IPAllowList(["127.0.0.1/32", "10.0.0.0/8"])
        let (server, port) = try Self.start(HTTPServerConfiguration(trustedProxies: trusted))
        defer { server.stop() }
        let request = "GET /wallets/getOne HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 198.51.100.1, 203.0.113.9, 10.0.0.5\r\nConnection: close\r\n\r\n"
        let viaProxy = await offPool { RawHTTPClient.exchange(port: port, request) }
        #expect(viaProxy?.httpBody == #"{"client":"203.0.113.9"}"#)
        let direct = await offPool { RawHTTPClient.exchange(port: port, request, source: "127.0.0.2") }
        #expect(direct?.httpBody == #"{"client":"127.0.0.2"}"#)
    }

    @Test("X-Forwarded-For on several lines (a proxy adding its own after the client's) is one list: the client cannot choose")
    func repeatedForwardedForLinesAreOneList() async throws {
        let (server, port) = try Self.start(HTTPServerConfiguration(trustedProxies: try IPAllowList(["127.0.0.1/32"])))
        defer { server.stop() }
        let request = "GET /wallets/getOne HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 192.0.2.66\r\n"
            + "X-Forwarded-For: 203.0.113.9\r\nConnection: close\r\n\r\n"
        let answer = await offPool { RawHTTPClient.exchange(port: port, request) }
        #expect(answer?.httpBody == #"{"client":"203.0.113.9"}"#, "\(answer ?? "no answer")")
    }

    @Test("X-Forwarded-For resolution, hop by hop")
    func forwardedClientResolution() throws {
        let trusted = try IPAllowList(["10.0.0.0/8", "2001:db8::/32"])
        let cases: [(peer: String, header: String?, client: String)] = [
            ("10.0.0.1", "203.0.113.9, 10.0.0.5", "203.0.113.9"),
            ("10.0.0.1", "198.51.100.7, 203.0.113.9", "203.0.113.9"),  // the client may have written the first
            ("10.0.0.1", nil, "10.0.0.1"),
            ("10.0.0.1", "10.0.0.9, 10.0.0.5", "10.0.0.9"),  // every hop trusted: the leftmost
            ("10.0.0.1", "not-an-ip, 10.0.0.5", "10.0.0.5"),  // garbage is not believed
            ("192.0.2.1", "203.0.113.9", "192.0.2.1"),  // an untrusted peer's header is ignored
            ("2001:db8::1", " 2001:db8::2 ,::ffff:203.0.113.4", "203.0.113.4"),
        ]
        for test in cases {
            #expect(ForwardedClient.address(peer: test.peer, forwardedFor: test.header, trustedProxies: trusted) == test.client,
                    "\(test)")
        }
        #expect(ForwardedClient.address(peer: "10.0.0.1", forwardedFor: "203.0.113.9", trustedProxies: .none) == "10.0.0.1")
        #expect(throws: ApprovalError.self) { try IPAllowList(["10.0.0.0/33"]) }
        #expect(throws: ApprovalError.self) { try IPAllowList(["proxy.example"]) }
    }
}
