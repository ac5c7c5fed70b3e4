import Foundation

/// A TCP client on loopback that writes exactly the bytes a test gives it, from a chosen source address
/// (`127.0.0.2`: Linux routes all of 127/8 to loopback), for requests no HTTP library would send.
final class RawHTTPClient: Sendable {
    let descriptor: Int32

    /// Connects to 127.0.0.1:`port` from `source`; nil when the connection cannot be made.
    init?(port: Int, source: String = "127.0.0.1", receiveTimeout: Duration = .seconds(5)) {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        local.sin_addr.s_addr = inet_addr(source)
        var remote = sockaddr_in()
        remote.sin_family = sa_family_t(AF_INET)
        remote.sin_port = UInt16(port).bigEndian
        remote.sin_addr.s_addr = inet_addr("127.0.0.1")
        let seconds = receiveTimeout.components.seconds
        var limit = timeval(tv_sec: Int(seconds), tv_usec: Int(receiveTimeout.components.attoseconds / 1_000_000_000_000))
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        let connected = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, connected == 0 else {
            close(descriptor)
            return nil
        }
    }

    deinit { close(descriptor) }

    /// Writes `text`; false when the peer has gone.
    @discardableResult
    func write(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    /// The first bytes the server sends (one read), or "" when it closes or the receive timeout passes.
    func readSome() -> String {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        return count > 0 ? String(decoding: buffer.prefix(count), as: UTF8.self) : ""
    }

    /// Everything the server sends until it closes the connection or the receive timeout passes.
    func readAll() -> String {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            received += buffer.prefix(count)
        }
        return String(decoding: received, as: UTF8.self)
    }

    /// True when the server has closed the connection (a read returns end of file, or the connection was reset).
    func isClosedByServer() -> Bool {
        var byte: UInt8 = 0
        let count = recv(descriptor, &byte, 1, 0)
        return count == 0 || (count < 0 && errno == ECONNRESET)
    }

    /// One request, written whole, and everything answered until the server closes or goes quiet.
    static func exchange(port: Int, _ request: String, source: String = "127.0.0.1",
                         timeout: Duration = .seconds(2)) -> String? {
        guard let client = RawHTTPClient(port: port, source: source, receiveTimeout: timeout) else { return nil }
        client.write(request)
        return client.readAll()
    }
}

extension String {
    /// How many HTTP status lines a raw response holds (lines starting `HTTP/1.1 `; a body may mention it). Counted
    /// on bytes: as Characters, `"\r\n"` is one grapheme, so a search for `"\nHTTP/1.1 "` never matches after a CRLF
    /// (which made a doubled header block count as one).
    var statusLineCount: Int {
        let bytes = Array(utf8), marker = Array("HTTP/1.1 ".utf8)
        guard bytes.count >= marker.count else { return 0 }
        var count = 0
        for start in 0...(bytes.count - marker.count)
        where (start == 0 || bytes[start - 1] == UInt8(ascii: "\n")) && bytes[start..<(start + marker.count)].elementsEqual(marker) {
            count += 1
        }
        return count
    }

    /// The body after the first blank line.
    var httpBody: String {
        guard let range = range(of: "\r\n\r\n") else { return "" }
        return String(self[range.upperBound...])
    }
}
