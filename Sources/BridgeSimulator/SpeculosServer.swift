import BridgeCore
import BridgeDevices
import Foundation
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
    private let state = Mutex(ServerState())
    /// How long the serving thread blocks in poll before it looks for a stop request.
    private static let pollMilliseconds: Int32 = 50
    /// Longer requests are garbage: a short APDU is at most 5 + 255 bytes.
    private static let maximumRequestLength = 65_536

    private struct ServerState {
        var listener: Int32 = -1
        var boundPort: UInt16?
        var stopRequested = false
        var stopped: DispatchSemaphore?
    }

    public init(device: SimulatedLedger, host: String = "127.0.0.1", port: UInt16 = 9999) {
        self.device = device
        self.host = host
        self.requestedPort = port
    }

    /// The port it listens on once started.
    public var port: UInt16? { state.withLock { $0.boundPort } }

    /// Binds `host:port` (port 0 takes any free port), starts serving on a background thread and returns the bound
    /// port. `.busy` when the port is taken or the server already runs.
    @discardableResult
    public func start() throws(DeviceError) -> UInt16 {
        let alreadyRunning = state.withLock { $0.listener >= 0 }
        guard !alreadyRunning else { throw .busy("the simulated Speculos server is already running") }
        let listener = try Self.listen(host: host, port: requestedPort)
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        guard named == 0 else {
            Glibc.close(listener)
            throw .deviceFailure("getsockname: \(String(cString: strerror(errno)))")
        }
        let port = UInt16(bigEndian: address.sin_port)
        let stopped = DispatchSemaphore(value: 0)
        state.withLock { state in
            state.listener = listener
            state.boundPort = port
            state.stopRequested = false
            state.stopped = stopped
        }
        let thread = Thread { [self] in
            serve(listener: listener)
            stopped.signal()
        }
        thread.name = "SpeculosServer \(host):\(port)"
        thread.start()
        return port
    }

    /// Stops serving, closes the client and the listening socket, and returns once the thread has finished.
    public func stop() {
        let stopped: DispatchSemaphore? = state.withLock { state in
            state.stopRequested = true
            return state.stopped
        }
        stopped?.wait()
        state.withLock { state in
            if state.listener >= 0 { Glibc.close(state.listener) }
            state.listener = -1
            state.boundPort = nil
            state.stopped = nil
        }
    }

    /// A listening IPv4 socket on `host:port`.
    private static func listen(host: String, port: UInt16) throws(DeviceError) -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE
        var results: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &results) == 0, let info = results else {
            throw .badArgument("cannot resolve \(host) to an IPv4 address to listen on")
        }
        defer { freeaddrinfo(results) }
        let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
        guard fd >= 0 else { throw .deviceFailure("socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0, Glibc.listen(fd, 4) == 0 else {
            let code = errno
            Glibc.close(fd)
            if code == EADDRINUSE { throw .busy("\(host):\(port) is already in use") }
            throw .deviceFailure("cannot listen on \(host):\(port): \(String(cString: strerror(code)))")
        }
        return fd
    }

    /// The serving loop: accept (replacing the client), read requests, answer each in one write.
    private func serve(listener: Int32) {
        var client: Int32 = -1
        var buffer: [UInt8] = []
        defer { if client >= 0 { Glibc.close(client) } }
        while !state.withLock({ $0.stopRequested }) {
            var descriptors = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0)]
            if client >= 0 { descriptors.append(pollfd(fd: client, events: Int16(POLLIN), revents: 0)) }
            guard poll(&descriptors, nfds_t(descriptors.count), Self.pollMilliseconds) > 0 else { continue }
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
            if latency > .zero { Thread.sleep(forTimeInterval: SimulatedLedgerLink.seconds(latency)) }
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
