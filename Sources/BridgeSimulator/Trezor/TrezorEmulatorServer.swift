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
    private let server = SimulatorSocketServer(kind: .datagram, name: "the simulated Trezor emulator server")
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

    /// The port it serves once started.
    public var port: UInt16? { server.port }

    /// Binds `host:port` (port 0 takes any free port), starts serving on a background thread and returns the bound
    /// port. `.busy` when the port is taken or the server already runs.
    @discardableResult
    public func start() throws(DeviceError) -> UInt16 {
        try server.start(host: host, port: requestedPort) { [self] socket in serve(socket: socket) }
    }

    /// Stops serving, waits for the serving thread to finish and closes the socket. Safe to call twice.
    public func stop() { server.stop() }

    /// The serving loop: one datagram in, its answer datagrams out to the sender.
    private func serve(socket fd: Int32) {
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
