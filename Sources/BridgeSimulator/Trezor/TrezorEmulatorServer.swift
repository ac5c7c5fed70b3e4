import BridgeCore
import BridgeDevices
import FoundationEssentials
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
///
/// The debug link listens on the next port (trezorlib `UdpTransport.find_debug`: port + 1), same framing: a
/// DebugLinkDecision that ends a wait makes the main link send the call's answer, to the host that last wrote there.
public final class TrezorEmulatorServer: Sendable {
    public let device: SimulatedTrezor
    public let host: String
    public let requestedPort: UInt16
    private let server = SimulatorSocketServer(kind: .datagram, name: "the simulated Trezor emulator server")
    private let debugServer = SimulatorSocketServer(kind: .datagram, name: "the simulated Trezor debug link")
    /// The main socket and the host that last wrote to it, where a decision's answer goes.
    private let mainPeer = Mutex<(socket: Int32, address: sockaddr_storage, length: socklen_t)?>(nil)
    /// The liveness probe and its answer (trezorlib transport/udp.py `_ping`; legacy/emulator/udp.c).
    static let ping = Array("PINGPING".utf8)
    static let pong = Array("PONGPONG".utf8)

    /// A server for `device` on `host:port`; the default port is the emulator's 21324 (trezorlib udp.py
    /// `DEFAULT_PORT`). Nothing is bound until ``start()``.
    public init(device: SimulatedTrezor, host: String = "127.0.0.1", port: UInt16 = 21324) {
        self.device = device
        self.host = host
        self.requestedPort = port
    }

    /// The port it serves once started; the debug link is on the next one.
    public var port: UInt16? { server.port }

    /// The debug link's port once started (``port`` + 1).
    public var debugPort: UInt16? { debugServer.port }

    /// Binds `host:port` and `host:port+1` (port 0 takes a free pair), starts serving both on background threads and
    /// returns the main port. `.busy` when a port is taken or the server already runs.
    @discardableResult
    public func start() throws(DeviceError) -> UInt16 {
        // With port 0 the kernel picks the main port; its neighbour may be taken, so a few picks are tried.
        let attempts = requestedPort == 0 ? 16 : 1
        var lastError: DeviceError = .busy("no free pair of UDP ports on \(host)")
        for _ in 0..<attempts {
            let port = try server.start(host: host, port: requestedPort) { [self] socket in serve(socket: socket) }
            guard port < UInt16.max else {
                server.stop()
                continue
            }
            do {
                // Bound at port + 1 as asked, so its answer (the bound port) says nothing new.
                _ = try debugServer.start(host: host, port: port + 1) { [self] socket in serveDebug(socket: socket) }
                return port
            } catch {
                server.stop()
                lastError = error
            }
        }
        throw lastError
    }

    /// Stops serving, waits for the serving threads to finish and closes the sockets. Safe to call twice.
    public func stop() {
        debugServer.stop()
        server.stop()
        mainPeer.withLock { $0 = nil }
    }

    /// The serving loop: one datagram in, its answer datagrams out to the sender.
    private func serve(socket fd: Int32) {
        receiveLoop(socket: fd, server: server) { [self] datagram, sender, length in
            mainPeer.withLock { $0 = (fd, sender, length) }
            var sender = sender
            for answer in answers(to: datagram) {
                send(answer, on: fd, to: &sender, length: length)
            }
        }
    }

    /// The debug link's loop: its answers to the sender, and a decision's main-link answer to the main peer.
    private func serveDebug(socket fd: Int32) {
        receiveLoop(socket: fd, server: debugServer) { [self] datagram, sender, length in
            var sender = sender
            if datagram == Self.ping {
                send(Self.pong, on: fd, to: &sender, length: length)
                return
            }
            let answer = device.receiveDebug(packet: datagram)
            for packet in answer.debug {
                send(packet, on: fd, to: &sender, length: length)
            }
            guard !answer.main.isEmpty, let peer = mainPeer.withLock({ $0 }) else { return }
            var address = peer.address
            for packet in answer.main {
                send(packet, on: peer.socket, to: &address, length: peer.length)
            }
        }
    }

    /// Receives datagrams on `fd` until `server` is asked to stop, handing each with its sender to `handle`.
    private func receiveLoop(socket fd: Int32, server: SimulatorSocketServer,
                             handle: ([UInt8], sockaddr_storage, socklen_t) -> Void) {
        // Larger than any valid datagram, so an oversized one is seen whole and dropped rather than truncated to 64.
        var buffer = [UInt8](repeating: 0, count: 2048)
        while !server.stopRequested {
            var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, SimulatorSocketServer.pollMilliseconds) > 0, descriptor.revents & Int16(POLLIN) != 0 else { continue }
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
            handle(Array(buffer.prefix(count)), sender, senderLength)
        }
    }

    /// What the emulator sends back for one datagram (latency waited before a non-empty answer).
    func answers(to datagram: [UInt8]) -> [[UInt8]] {
        if datagram == Self.ping { return [Self.pong] }
        guard datagram.count == TrezorV1Framing.packetSize else { return [] }
        let packets = device.receive(packet: datagram)
        let latency = device.configuration.latency
        if !packets.isEmpty, latency > .zero { NativeThread.sleep(for: latency) }
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
