import BridgeCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One HTTP response as received.
public struct HTTPReply: Sendable {
    public let status: Int
    /// Header names lowercased.
    public let headers: [String: String]
    public let body: [UInt8]

    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The body as JSON, keeping numbers exact (money stays decimal text).
    public func json() throws -> JSONValue { try JSONValue(parsing: body) }
}

/// Why a loopback request failed before a response arrived.
public struct LoopbackHTTPError: Error, CustomStringConvertible {
    public let description: String
}

/// A minimal HTTP/1.1 client for loopback addresses only, over a plain socket on a thread of its own.
///
/// Every process these tests talk to (chromedriver, `walletbridge serve`, the bridges) listens on 127.0.0.1. A client
/// of our own cannot be sent through a proxy from the environment (URLSession on Linux is libcurl, which honours
/// `http_proxy`) and refuses any other host, so nothing the tests send can reach a public address.
public enum LoopbackHTTP {
    /// Sends one request to `url` (`http://127.0.0.1:PORT/path?query`) and reads the whole response. Each request
    /// uses its own connection (`Connection: close`), which keeps the client free of connection state.
    public static func send(
        _ method: String, _ url: String, headers: [(String, String)] = [], body: [UInt8] = [],
        timeout: Duration = .seconds(60)
    ) async throws -> HTTPReply {
        let (port, target) = try split(url)
        var head = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || ["POST", "PUT", "PATCH"].contains(method) { head += "Content-Length: \(body.count)\r\n" }
        let request = Array((head + "\r\n").utf8) + body
        let seconds = Int(timeout.components.seconds)
        return try await onOwnThread("HTTP \(method) \(target)") {
            try exchange(request, port: port, timeoutSeconds: max(1, seconds), method: method, target: target)
        }
    }

    /// `http://127.0.0.1:PORT/rest` -> (PORT, `/rest`); anything else is refused.
    public static func split(_ url: String) throws -> (port: UInt16, target: String) {
        let prefix = "http://127.0.0.1:"
        guard url.hasPrefix(prefix) else {
            throw LoopbackHTTPError(description: "refusing \(url): these tests only talk to http://127.0.0.1")
        }
        let rest = url.dropFirst(prefix.count)
        let portText = rest.prefix { $0.isNumber }
        guard let port = UInt16(portText), port > 0 else { throw LoopbackHTTPError(description: "no port in \(url)") }
        let target = String(rest.dropFirst(portText.count))
        return (port, target.isEmpty ? "/" : target)
    }

    private static func exchange(_ request: [UInt8], port: UInt16, timeoutSeconds: Int, method: String,
                                 target: String) throws -> HTTPReply {
        let what = "\(method) http://127.0.0.1:\(port)\(target)"
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw LoopbackHTTPError(description: "\(what): socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        // The timeouts bound every read and write, so a process that stops answering fails the test instead of
        // leaving this thread (and the test awaiting it) waiting forever.
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            throw LoopbackHTTPError(description: "\(what): connect: \(String(cString: strerror(errno)))")
        }
        var sent = 0
        while sent < request.count {
            let n = request[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw LoopbackHTTPError(description: "\(what): send: \(String(cString: strerror(errno)))") }
            sent += n
        }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            if let reply = try parse(received, complete: false, what: what) { return reply }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { break }
            guard n > 0 else {
                let reason = errno == EAGAIN ? "no answer within \(timeoutSeconds) s" : String(cString: strerror(errno))
                throw LoopbackHTTPError(description: "\(what): \(reason)")
            }
            received += chunk[0..<n]
        }
        guard let reply = try parse(received, complete: true, what: what) else {
            throw LoopbackHTTPError(description: "\(what): the connection closed before a whole response arrived")
        }
        return reply
    }

    /// The response in `bytes` once it is whole (by `Content-Length`, chunked framing, or the connection's end when
    /// `complete`); nil while more is needed.
    private static func parse(_ bytes: [UInt8], complete: Bool, what: String) throws -> HTTPReply? {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let headEnd = bytes.firstRange(of: separator) else { return nil }
        let lines = String(decoding: bytes[..<headEnd.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else {
            throw LoopbackHTTPError(description: "\(what): malformed status line \(lines[0])")
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let rest = Array(bytes[headEnd.upperBound...])
        if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            guard let body = dechunk(rest) else { return complete ? HTTPReply(status: status, headers: headers, body: rest) : nil }
            return HTTPReply(status: status, headers: headers, body: body)
        }
        if let length = headers["content-length"].flatMap({ Int($0) }) {
            guard rest.count >= length else { return nil }
            return HTTPReply(status: status, headers: headers, body: Array(rest[..<length]))
        }
        if status == 204 || status == 304 { return HTTPReply(status: status, headers: headers, body: []) }
        return complete ? HTTPReply(status: status, headers: headers, body: rest) : nil
    }

    /// The body of a chunked message once its last (empty) chunk has arrived; nil before.
    private static func dechunk(_ bytes: [UInt8]) -> [UInt8]? {
        var body: [UInt8] = []
        var index = 0
        while true {
            guard let lineEnd = bytes[index...].firstRange(of: [13, 10]) else { return nil }
            let sizeText = String(decoding: bytes[index..<lineEnd.lowerBound], as: UTF8.self)
                .split(separator: ";").first.map(String.init) ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { return nil }
            let start = lineEnd.upperBound
            if size == 0 { return body }
            guard bytes.count >= start + size + 2 else { return nil }
            body += bytes[start..<start + size]
            index = start + size + 2
        }
    }
}
