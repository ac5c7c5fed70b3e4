import BridgeCore
import BridgeDevices
import Dispatch
import FoundationEssentials
import Glibc
import Synchronization

/// The socket and thread every simulator server runs the same way (``SpeculosServer`` on TCP,
/// ``TrezorEmulatorServer`` on UDP): bind an IPv4 `host:port` (0 = any free port), serve on a background thread that
/// polls in short slices so it notices a stop request, and on stop join the thread and close the socket.
final class SimulatorSocketServer: Sendable {
    enum Kind: Sendable {
        /// A listening TCP socket (`SO_REUSEADDR`, backlog 4).
        case stream
        /// A bound UDP socket.
        case datagram
    }

    /// How long a serving loop blocks in poll before it looks for a stop request.
    static let pollMilliseconds: Int32 = 50

    private struct State {
        var socket: Int32 = -1
        var boundPort: UInt16?
        var stopRequested = false
        var stopped: DispatchSemaphore?
    }

    private let state = Mutex(State())
    let kind: Kind
    /// Names the server in errors and its thread, e.g. "the simulated Speculos server".
    let name: String

    init(kind: Kind, name: String) {
        self.kind = kind
        self.name = name
    }

    /// The bound port while serving.
    var port: UInt16? { state.withLock { $0.boundPort } }

    /// Whether the serving loop should end (checked between polls).
    var stopRequested: Bool { state.withLock { $0.stopRequested } }

    /// Binds `host:port`, then runs `serve(socket)` on a new thread until it returns; returns the bound port.
    /// `.busy` when the port is taken or this server already runs.
    func start(host: String, port: UInt16, serve: @escaping @Sendable (Int32) -> Void) throws(DeviceError) -> UInt16 {
        let alreadyRunning = state.withLock { $0.socket >= 0 }
        guard !alreadyRunning else { throw .busy("\(name) is already running") }
        let fd = try Self.bind(kind: kind, host: host, port: port)
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else {
            Glibc.close(fd)
            throw .deviceFailure("getsockname: \(String(cString: strerror(errno)))")
        }
        let boundPort = UInt16(bigEndian: address.sin_port)
        let stopped = DispatchSemaphore(value: 0)
        state.withLock { state in
            state.socket = fd
            state.boundPort = boundPort
            state.stopRequested = false
            state.stopped = stopped
        }
        guard NativeThread.start("\(name) \(host):\(boundPort)", {
            serve(fd)
            stopped.signal()
        }) else {
            Glibc.close(fd)
            state.withLock { $0 = State() }
            throw .deviceFailure("the system refused a thread to serve \(host):\(boundPort)")
        }
        return boundPort
    }

    /// Asks the loop to end, waits for its thread and closes the socket. Safe to call twice.
    func stop() {
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

    /// A bound (and, for TCP, listening) IPv4 socket on `host:port`.
    private static func bind(kind: Kind, host: String, port: UInt16) throws(DeviceError) -> Int32 {
        let scheme = kind == .stream ? "tcp" : "udp"
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(kind == .stream ? SOCK_STREAM.rawValue : SOCK_DGRAM.rawValue)
        hints.ai_flags = AI_PASSIVE
        var results: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &results) == 0, let info = results else {
            throw .badArgument("cannot resolve \(host) to an IPv4 address to serve \(scheme) on")
        }
        defer { freeaddrinfo(results) }
        let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
        guard fd >= 0 else { throw .deviceFailure("socket: \(String(cString: strerror(errno)))") }
        if kind == .stream {
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        guard Glibc.bind(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0,
              kind == .datagram || Glibc.listen(fd, 4) == 0
        else {
            let code = errno
            Glibc.close(fd)
            if code == EADDRINUSE { throw .busy("\(scheme):\(host):\(port) is already in use") }
            throw .deviceFailure("cannot serve \(scheme):\(host):\(port): \(String(cString: strerror(code)))")
        }
        return fd
    }
}
