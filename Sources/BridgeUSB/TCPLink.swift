import BridgeDevices
import Glibc

/// A TCP connection as a ``DeviceLink`` (for the Speculos APDU protocol, `--transport tcp:HOST:PORT`): packets are
/// whatever chunks the stream delivers.
public final class TCPLink: DeviceLink, @unchecked Sendable {
    // The descriptor is only touched by the one operation ``DeviceSession`` lets run at a time.
    private var socketDescriptor: Int32
    public let endpoint: String

    /// Connects to `host:port` (IPv4 dotted quad or a name resolvable by getaddrinfo).
    public init(host: String, port: UInt16) throws(DeviceError) {
        endpoint = "tcp:\(host):\(port)"
        let fd = try ConnectedSocket.connect(.stream, host: host, port: port)
        var one: Int32 = 1
        // APDUs are small and latency-bound: do not wait to coalesce them.
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        socketDescriptor = fd
    }

    public func send(_ packet: [UInt8]) throws(DeviceError) {
        var offset = 0
        while offset < packet.count {
            let written = packet[offset...].withUnsafeBytes { Glibc.send(socketDescriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written < 0 {
                if errno == EINTR { continue }
                throw .disconnected("\(endpoint): \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }

    public func receive(timeout: Duration) throws(DeviceError) -> [UInt8]? {
        guard socketDescriptor >= 0 else { throw .disconnected("\(endpoint) is closed") }
        var poller = pollfd(fd: socketDescriptor, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(clamping: timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
        let ready = poll(&poller, 1, max(0, milliseconds))
        if ready < 0 {
            if errno == EINTR { return nil }
            throw .disconnected("\(endpoint): \(String(cString: strerror(errno)))")
        }
        guard ready > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = buffer.withUnsafeMutableBytes { recv(socketDescriptor, $0.baseAddress, $0.count, 0) }
        if count < 0 {
            if errno == EINTR || errno == EAGAIN { return nil }
            throw .disconnected("\(endpoint): \(String(cString: strerror(errno)))")
        }
        guard count > 0 else { throw .disconnected("\(endpoint) closed the connection") }
        return Array(buffer.prefix(count))
    }

    public func close() {
        if socketDescriptor >= 0 {
            Glibc.close(socketDescriptor)
            socketDescriptor = -1
        }
    }

    deinit { close() }
}
