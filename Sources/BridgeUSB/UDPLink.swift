import BridgeDevices
import Glibc

/// The Trezor emulator's UDP protocol as a ``DeviceLink`` (`--transport udp:HOST:PORT`): every datagram is exactly
/// one 64-byte packet each way, and the 8 bytes `PINGPING` are answered `PONGPONG` by the emulator's socket layer
/// (trezor.md section 2, "UDP emulator transport"; trezor/trezor-firmware `python/src/trezorlib/transport/udp.py`,
/// `legacy/emulator/udp.c`, `core/embed/io/usb/unix/usb.c`).
///
/// The socket is connected, so datagrams from anyone but the emulator are dropped by the kernel, and an emulator
/// that went away shows as ECONNREFUSED (the ICMP port-unreachable its port now answers with).
public final class UDPLink: DeviceLink, @unchecked Sendable {
    /// The size of every packet (`CHUNK_SIZE = 64` in trezorlib `udp.py`).
    public static let packetSize = 64
    /// The emulator's default port (trezorlib `udp.py` `DEFAULT_PORT`).
    public static let defaultPort: UInt16 = 21324
    /// The liveness probe and its answer (trezorlib `udp.py` `_ping`).
    public static let pingRequest = Array("PINGPING".utf8)
    public static let pingReply = Array("PONGPONG".utf8)
    /// How long `ping` waits for `PONGPONG`: trezord-go's emulator ping timeout (trezord-go `usb/udp.go`, 1000 ms).
    public static let pingTimeout: Duration = .seconds(1)

    // Only the one operation ``DeviceSession`` lets run at a time touches the socket, as with `TCPLink`.
    private var socketDescriptor: Int32 = -1
    public let endpoint: String

    /// Connects to the emulator at `host:port` and checks that it answers the ping within `pingTimeout`; nothing
    /// answering is ``DeviceError/disconnected(_:)`` naming the address (code -3).
    public init(host: String, port: UInt16, pingTimeout: Duration = UDPLink.pingTimeout) throws(DeviceError) {
        let address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        endpoint = "udp:\(address)"
        socketDescriptor = try ConnectedSocket.connect(.datagram, host: host, port: port)
        guard try ping(timeout: pingTimeout) else {
            close()
            throw .disconnected("no Trezor emulator answers at udp:\(address) (is `walletbridge simulate trezor` or the emulator running?)")
        }
    }

    /// Sends `PINGPING` and waits up to `timeout` for `PONGPONG`; packets that arrive meanwhile are dropped (they
    /// belong to an exchange nobody waits for any more). False when nothing (or nothing else) answered in time.
    public func ping(timeout: Duration = UDPLink.pingTimeout) throws(DeviceError) -> Bool {
        try sendDatagram(Self.pingRequest)
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while true {
            let remaining = deadline - clock.now
            guard remaining > .zero else { return false }
            do {
                guard let datagram = try receiveDatagram(timeout: remaining) else { return false }
                if datagram == Self.pingReply { return true }
            } catch .disconnected {
                // ECONNREFUSED: nothing listens on that port.
                return false
            }
        }
    }

    public func send(_ packet: [UInt8]) throws(DeviceError) {
        guard packet.count == Self.packetSize else {
            throw .protocolError("a Trezor emulator datagram holds \(Self.packetSize) bytes, not \(packet.count)")
        }
        try sendDatagram(packet)
    }

    /// The next 64-byte packet within `timeout`. Datagrams of any other size (a late `PONGPONG`, junk) are skipped
    /// as trezorlib rejects them, and the wait goes on for the rest of the time.
    public func receive(timeout: Duration) throws(DeviceError) -> [UInt8]? {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while true {
            guard let datagram = try receiveDatagram(timeout: deadline - clock.now) else { return nil }
            if datagram.count == Self.packetSize { return datagram }
        }
    }

    public func close() {
        if socketDescriptor >= 0 {
            Glibc.close(socketDescriptor)
            socketDescriptor = -1
        }
    }

    deinit { close() }

    // MARK: - Socket

    private func sendDatagram(_ bytes: [UInt8]) throws(DeviceError) {
        guard socketDescriptor >= 0 else { throw .disconnected("\(endpoint) is closed") }
        while true {
            let sent = bytes.withUnsafeBytes { Glibc.send(socketDescriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent == bytes.count { return }
            if sent < 0, errno == EINTR { continue }
            if sent < 0, errno == ECONNREFUSED {
                throw .disconnected("\(endpoint): the emulator is gone (connection refused)")
            }
            throw .disconnected("\(endpoint): send failed: \(String(cString: strerror(errno)))")
        }
    }

    /// One datagram of any size (up to 512 bytes: enough to tell an oversize one from a packet), or nil when none
    /// arrived within `timeout`.
    private func receiveDatagram(timeout: Duration) throws(DeviceError) -> [UInt8]? {
        guard socketDescriptor >= 0 else { throw .disconnected("\(endpoint) is closed") }
        var poller = pollfd(fd: socketDescriptor, events: Int16(POLLIN), revents: 0)
        let ready = poll(&poller, 1, HIDLink.milliseconds(timeout))
        if ready < 0 {
            if errno == EINTR { return nil }
            throw .disconnected("\(endpoint): \(String(cString: strerror(errno)))")
        }
        guard ready > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = buffer.withUnsafeMutableBytes { recv(socketDescriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        if count < 0 {
            if errno == EINTR || errno == EAGAIN { return nil }
            if errno == ECONNREFUSED { throw .disconnected("\(endpoint): the emulator is gone (connection refused)") }
            throw .disconnected("\(endpoint): \(String(cString: strerror(errno)))")
        }
        return Array(buffer.prefix(count))
    }
}
