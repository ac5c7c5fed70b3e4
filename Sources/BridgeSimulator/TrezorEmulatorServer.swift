import BridgeCore
import BridgeDevices
import Foundation
import Glibc
import Synchronization

/// The Trezor emulator's UDP transport in front of a ``SimulatedTrezor`` (`walletbridge simulate trezor`), so
/// trezorlib's `UdpTransport`, trezord-go's `-e PORT` and our own `--transport udp:HOST:PORT` talk to it as to the
/// firmware emulator (../shared/reference/trezor.md section 2, "UDP emulator transport").
///
/// Each datagram carries exactly one 64-byte protocol-v1 packet; the 8-byte `PINGPING` liveness probe is answered
/// `PONGPONG` in the socket layer, as both emulators do (trezor/trezor-firmware legacy/emulator/udp.c,
/// core/embed/io/usb/unix/usb.c); datagrams of any other size are dropped (trezorlib's udp.py rejects them too).
/// Answers go to the address the request came from, so any number of hosts can take turns. The device's configured
/// latency is waited before the first packet of each answer.
public final class TrezorEmulatorServer: Sendable {
    public let device: SimulatedTrezor
    public let host: String
    public let requestedPort: UInt16
    private let state = Mutex(ServerState())
    /// How long the serving thread blocks in poll before it looks for a stop request.
    private static let pollMilliseconds: Int32 = 50
    /// The liveness probe and its answer (trezorlib transport/udp.py `_ping`; legacy/emulator/udp.c).
    static let ping = Array("PINGPING".utf8)
    static let pong = Array("PONGPONG".utf8)

    private struct ServerState {
        var socket: Int32 = -1
        var boundPort: UInt16?
        var stopRequested = false
        var stopped: DispatchSemaphore?
    }

    /// A server for `device` on `host:port`; the default port is the emulator's 21324 (trezorlib udp.py
    /// `DEFAULT_PORT`). Nothing is bound until ``start()``.
    public init(device: SimulatedTrezor, host: String = "127.0.0.1", port: UInt16 = 21324) {
        self.device = device
        self.host = host
        self.requestedPort = port
    }

    /// The port it serves once started.
    public var port: UInt16? { state.withLock { $0.boundPort } }

    /// Binds `host:port` (port 0 takes any free port), starts serving on a background thread and returns the bound
    /// port. `.busy` when the port is taken or the server already runs.
    @discardableResult
    public func start() throws(DeviceError) -> UInt16 {
        let alreadyRunning = state.withLock { $0.socket >= 0 }
        guard !alreadyRunning else { throw .busy("the simulated Trezor emulator server is already running") }
        let fd = try Self.bind(host: host, port: requestedPort)
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else {
            Glibc.close(fd)
            throw .deviceFailure("getsockname: \(String(cString: strerror(errno)))")
        }
        let port = UInt16(bigEndian: address.sin_port)
        let stopped = DispatchSemaphore(value: 0)
        state.withLock { state in
            state.socket = fd
            state.boundPort = port
            state.stopRequested = false
            state.stopped = stopped
        }
        let thread = Thread { [self] in
            serve(socket: fd)
            stopped.signal()
        }
        thread.name = "TrezorEmulatorServer \(host):\(port)"
        thread.start()
        return port
    }

    /// Stops serving, waits for the serving thread to finish and closes the socket. Safe to call twice.
    public func stop() {
        let stopped: DispatchSemaphore? = state.withLock { state in
            state.stopRequested = true
            return state.stopped
        }
        stopped?.wait()
        state.withLock { state in
            if state.socket >= 0 { Glibc.close(state.socket) }
            state.socket = -1
            state.boundPort = nil
            state.stopped = nil
        }
    }

    /// A bound IPv4 UDP socket on `host:port`.
    private static func bind(host: String, port: UInt16) throws(DeviceError) -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        hints.ai_flags = AI_PASSIVE
        var results: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &results) == 0, let info = results else {
            throw .badArgument("cannot resolve \(host) to an IPv4 address to serve UDP on")
        }
        defer { freeaddrinfo(results) }
        let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
        guard fd >= 0 else { throw .deviceFailure("socket: \(String(cString: strerror(errno)))") }
        guard Glibc.bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            let code = errno
            Glibc.close(fd)
            if code == EADDRINUSE { throw .busy("udp:\(host):\(port) is already in use") }
            throw .deviceFailure("cannot bind udp:\(host):\(port): \(String(cString: strerror(code)))")
        }
        return fd
    }

    /// The serving loop: one datagram in, its answer datagrams out to the sender.
    private func serve(socket fd: Int32) {
        // Larger than any valid datagram, so an oversized one is seen whole and dropped rather than truncated to 64.
        var buffer = [UInt8](repeating: 0, count: 2048)
        while !state.withLock({ $0.stopRequested }) {
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, Self.pollMilliseconds) > 0, descriptor.revents & Int16(POLLIN) != 0 else { continue }
            var sender = sockaddr_storage()
            var senderLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let count = buffer.withUnsafeMutableBytes { bytes in
                withUnsafeMutablePointer(to: &sender) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        recvfrom(fd, bytes.baseAddress, bytes.count, 0, $0, &senderLength)
                    }
                }
            }
            guard count > 0 else { continue }
            let datagram = Array(buffer.prefix(count))
            for answer in answers(to: datagram) {
                send(answer, on: fd, to: &sender, length: senderLength)
            }
        }
    }

    /// What the emulator sends back for one datagram (latency waited before a non-empty answer).
    func answers(to datagram: [UInt8]) -> [[UInt8]] {
        if datagram == Self.ping { return [Self.pong] }
        guard datagram.count == TrezorV1Framing.packetSize else { return [] }
        let packets = device.receive(packet: datagram)
        let latency = device.configuration.latency
        if !packets.isEmpty, latency > .zero { Thread.sleep(forTimeInterval: SimulatedLedgerLink.seconds(latency)) }
        return packets
    }

    private func send(_ datagram: [UInt8], on fd: Int32, to address: inout sockaddr_storage, length: socklen_t) {
        _ = datagram.withUnsafeBytes { bytes in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, bytes.baseAddress, bytes.count, 0, $0, length)
                }
            }
        }
    }
}
