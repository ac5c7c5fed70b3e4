import BridgeCore
import BridgeDevices
import FoundationEssentials
import Glibc
import Synchronization

/// A Speculos-compatible APDU server on TCP in front of a ``SimulatedLedger`` (`walletbridge simulate ledger`), so
/// ledgercomm, ledgerblue, ledgerctl, ledgerjs' SpeculosTransport and our own `--transport tcp:HOST:PORT` talk to it
/// as to Speculos (LedgerHQ/speculos speculos/mcu/apdu.py; ../shared/reference/ledger.md section 6).
///
/// Request `len(4, BE) | APDU`, reply `len(4, BE) = len(data) | data | SW` written in one call (ledgerjs'
/// SpeculosTransport expects the whole reply in one `data` event). One client at a time; a new connection replaces
/// the old one, as in Speculos. Each reply waits the device's configured latency.
public final class SpeculosServer: Sendable {
    public let device: SimulatedLedger
    public let host: String
    public let requestedPort: UInt16
    private let server = SimulatorSocketServer(kind: .stream, name: "the simulated Speculos server")
    /// Longer requests are garbage: a short APDU is at most 5 + 255 bytes.
    private static let maximumRequestLength = 65_536

    public init(device: SimulatedLedger, host: String = "127.0.0.1", port: UInt16 = 9999) {
        self.device = device
        self.host = host
        self.requestedPort = port
    }

    /// The port it listens on once started.
    public var port: UInt16? { server.port }

    /// Binds `host:port` (port 0 takes any free port), starts serving on a background thread and returns the bound
    /// port. `.busy` when the port is taken or the server already runs.
    @discardableResult
    public func start() throws(DeviceError) -> UInt16 {
        try server.start(host: host, port: requestedPort) { [self] listener in serve(listener: listener) }
    }

    /// Stops serving, closes the client and the listening socket, and returns once the thread has finished. An APDU
    /// waiting for buttons (``SimulatedLedger/Approval/buttons``) ends rejected, and so do later ones: the device's
    /// display is closed with its server.
    public func stop() {
        device.display.close()
        server.stop()
    }

    /// The serving loop: accept (replacing the client), read requests, answer each in one write.
    private func serve(listener: Int32) {
        var client: Int32 = -1
        var buffer: [UInt8] = []
        defer { if client >= 0 { Glibc.close(client) } }
        while !server.stopRequested {
            var descriptors = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0)]
            if client >= 0 { descriptors.append(pollfd(fd: client, events: Int16(POLLIN), revents: 0)) }
            guard poll(&descriptors, nfds_t(descriptors.count), SimulatorSocketServer.pollMilliseconds) > 0 else { continue }
            if descriptors.count > 1, descriptors[1].revents != 0 {
                var chunk = [UInt8](repeating: 0, count: 4096)
                let count = chunk.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
                if count > 0 {
                    buffer += chunk.prefix(count)
                    if !answerRequests(in: &buffer, client: client) {
                        Glibc.close(client)
                        client = -1
                    }
                } else if count == 0 || (errno != EINTR && errno != EAGAIN) {
                    Glibc.close(client)
                    client = -1
                }
            }
            if descriptors[0].revents & Int16(POLLIN) != 0 {
                let accepted = accept(listener, nil, nil)
                if accepted >= 0 {
                    // Speculos serves one client: the newcomer replaces the old one.
                    if client >= 0 { Glibc.close(client) }
                    client = accepted
                    buffer = []
                    var one: Int32 = 1
                    setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                }
            }
        }
    }

    /// Answers every complete request in `buffer`; false when the client must be dropped (garbage or a dead socket).
    private func answerRequests(in buffer: inout [UInt8], client: Int32) -> Bool {
        while buffer.count >= 4 {
            let length = buffer.prefix(4).reduce(0) { $0 << 8 | Int($1) }
            guard length <= Self.maximumRequestLength else { return false }
            guard buffer.count >= 4 + length else { return true }
            let apdu = Array(buffer[4..<4 + length])
            buffer.removeFirst(4 + length)
            let response: APDUResponse
            if let command = try? APDUCommand(parsing: apdu) {
                response = device.handle(command)
            } else {
                response = APDUResponse(statusWord: 0x6700)
            }
            let latency = device.configuration.latency
            if latency > .zero { NativeThread.sleep(for: latency) }
            guard write(SpeculosAPDUChannel.encodeReply(response), to: client) else { return false }
        }
        return true
    }

    private func write(_ bytes: [UInt8], to client: Int32) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += written
        }
        return true
    }
}
