import BridgeCore
import BridgeCrypto
import Foundation
import ProcessTestSupport
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A webhook receiver for the cluster tests: a minimal HTTP/1.1 server on a loopback port of the kernel's choice, on
/// POSIX sockets and threads of its own (the test target cannot use the service's `HTTPServer`). Every POST is
/// recorded with its `X-WalletBridge-Delivery` id, event, body and whether its signature verifies, then answered
/// `200` with `Connection: close` (the service's libcurl client opens one connection per POST anyway).
///
/// ``hold()`` keeps every POST waiting unanswered until ``release()``, so a test can make sure deliveries are in
/// flight (claimed) when it kills an instance: a held POST whose sender closed its connection meanwhile (the kernel
/// does that for a process killed with SIGKILL) is recorded as *orphaned* and not answered, which is exactly a
/// delivery its sender claimed and never recorded.
final class WebhookReceiver: Sendable {
    /// One POST as received.
    struct Request: Sendable {
        /// `X-WalletBridge-Delivery`: the outbox row id.
        let delivery: String?
        let event: String?
        let body: String
        /// The `X-WalletBridge-Signature` header checked against the secret (`t=<unix>,v1=<hex HMAC>`).
        let signatureValid: Bool
        /// False when the sender was gone before the answer (an orphaned POST of a killed instance).
        let answered: Bool
    }

    let port: UInt16
    var url: String { "http://127.0.0.1:\(port)/hooks/walletbridge" }
    private let secret: String
    private let listener: Int32
    private let state = Mutex(State())
    /// Set by ``stop()``: the accept loop ends and held requests are let go.
    private let stopped = Atomic<Bool>(false)

    private struct State {
        var requests: [Request] = []
        var holding = false
        var held = 0
    }

    /// Listens on 127.0.0.1 (port 0: the kernel picks one) and starts accepting on a thread of its own.
    init(secret: String) throws {
        self.secret = secret
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("webhook receiver: socket: \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound, listen(fd, 256) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw HarnessError("webhook receiver: bind/listen: \(reason)")
        }
        listener = fd
        port = UInt16(bigEndian: address.sin_port)
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "tests: webhook receiver"
        thread.start()
    }

    /// Every POST received so far, in the order they were finished with.
    var requests: [Request] { state.withLock { $0.requests } }

    /// POSTs waiting unanswered right now (while holding).
    var heldCount: Int { state.withLock { $0.held } }

    /// From now on POSTs wait unanswered until ``release()`` (or ``stop()``, or 4 s: less than the sender's 5 s
    /// timeout, so a hold never turns into failed attempts by itself).
    func hold() { state.withLock { $0.holding = true } }

    /// Answers every held POST (whose sender is still there) and stops holding.
    func release() { state.withLock { $0.holding = false } }

    /// Stops accepting and lets held requests go. Connections in progress finish on their own threads.
    func stop() {
        guard !stopped.exchange(true, ordering: .sequentiallyConsistent) else { return }
        state.withLock { $0.holding = false }
        // shutdown wakes the thread blocked in accept(); then the descriptor can be closed.
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    deinit { stop() }

    // MARK: Serving

    private func acceptLoop() {
        while !stopped.load(ordering: .sequentiallyConsistent) {
            let connection = accept(listener, nil, nil)
            if connection < 0 {
                if errno == EINTR { continue }
                return
            }
            let thread = Thread { [self] in serve(connection) }
            thread.name = "tests: webhook connection"
            thread.start()
        }
    }

    private func serve(_ fd: Int32) {
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard let (headers, body) = readRequest(fd) else { return }
        let delivery = headers["x-walletbridge-delivery"]
        let event = headers["x-walletbridge-event"]
        let signatureValid = headers["x-walletbridge-signature"].map { verify(header: $0, body: body) } ?? false

        let wasHeld = state.withLock { state -> Bool in
            guard state.holding else { return false }
            state.held += 1
            return true
        }
        if wasHeld {
            let deadline = ContinuousClock.now + .seconds(4)
            while state.withLock({ $0.holding }), !stopped.load(ordering: .relaxed), ContinuousClock.now < deadline {
                usleep(10_000)
            }
            state.withLock { $0.held -= 1 }
        }
        // A sender that died while its POST waited has closed the connection: nobody is there to take the answer.
        let answered = !peerClosed(fd) && sendAll(fd, Array("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8))
        let request = Request(delivery: delivery, event: event, body: String(decoding: body, as: UTF8.self),
                              signatureValid: signatureValid, answered: answered)
        state.withLock { $0.requests.append(request) }
    }

    /// The request's headers (names lowercased) and its body, by `Content-Length`; nil when the connection ends first.
    private func readRequest(_ fd: Int32) -> ([String: String], [UInt8])? {
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        let separator: [UInt8] = [13, 10, 13, 10]
        var headers: [String: String]?
        var bodyStart = 0
        while true {
            if headers == nil, let end = received.firstRange(of: separator) {
                var parsed: [String: String] = [:]
                let lines = String(decoding: received[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
                for line in lines.dropFirst() {
                    guard let colon = line.firstIndex(of: ":") else { continue }
                    parsed[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                }
                headers = parsed
                bodyStart = end.upperBound
            }
            if let headers {
                let length = headers["content-length"].flatMap { Int($0) } ?? 0
                if received.count - bodyStart >= length {
                    return (headers, Array(received[bodyStart..<bodyStart + length]))
                }
            }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { return nil }
            received += chunk[0..<n]
        }
    }

    /// True when the peer has closed its side (or reset it): a read would return end-of-file at once.
    private func peerClosed(_ fd: Int32) -> Bool {
        // POLLRDHUP (0x2000, Linux) needs _GNU_SOURCE, which Glibc's module does not define.
        let readHangUp: Int16 = 0x2000
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN) | readHangUp, revents: 0)
        guard poll(&descriptor, 1, 0) > 0 else { return false }
        if descriptor.revents & (readHangUp | Int16(POLLHUP) | Int16(POLLERR)) != 0 { return true }
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, Int32(MSG_PEEK) | Int32(MSG_DONTWAIT)) <= 0
    }

    private func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { return false }
            sent += n
        }
        return true
    }

    /// CONTRACT 2.4: `t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
    private func verify(header: String, body: [UInt8]) -> Bool {
        var fields: [String: String] = [:]
        for part in header.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1)
            if pair.count == 2 { fields[String(pair[0])] = String(pair[1]) }
        }
        guard let time = fields["t"], let mac = fields["v1"] else { return false }
        let expected = Hash.hmacSHA256(key: Array(secret.utf8), data: Array("\(time).".utf8) + body)
        return Hex.encode(expected) == mac.lowercased()
    }
}
