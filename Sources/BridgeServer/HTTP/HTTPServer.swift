import BridgeCore
import CMicroHTTPD
import FoundationEssentials
import Glibc
import Synchronization

/// The HTTP server: libmicrohttpd with a pool of worker threads (each with its own epoll loop) calling one
/// ``HTTPHandler``.
///
/// libmicrohttpd parses HTTP, enforces the idle timeout and the connection limit and speaks TLS; this class turns its
/// callbacks into ``HTTPRequest`` values, applies the limits of ``HTTPServerConfiguration`` (connections per address,
/// a deadline for each request's headers, a bounded queue, target, header and body sizes), refuses malformed requests
/// in the service's error shape (``HTTPRefusal``), and stops gracefully: ``stop(drainTimeout:)`` stops accepting,
/// lets requests in flight finish, then closes every connection.
public final class HTTPServer: Sendable {
    public let configuration: HTTPServerConfiguration
    let context: HTTPServerContext
    private let running = Mutex<RunningDaemon?>(nil)

    /// A server answering with `handler`, logging each request to `accessLog` when given. Nothing listens until
    /// ``start()``.
    public init(configuration: HTTPServerConfiguration, handler: any HTTPHandler, accessLog: AccessLog? = nil) {
        self.configuration = configuration
        self.context = HTTPServerContext(handler: handler, accessLog: accessLog, configuration: configuration)
    }

    deinit {
        // The daemon's callbacks point at `context`: it must be gone before `context` is.
        stop(drainTimeout: .zero)
    }

    /// Starts listening and returns the bound port (the kernel's choice when the configured port is 0).
    @discardableResult
    public func start() throws(HTTPServerError) -> Int {
        try running.withLock { (current: inout RunningDaemon?) throws(HTTPServerError) -> Int in
            guard current == nil else { throw .alreadyRunning }
            var daemon = try RunningDaemon.start(configuration: configuration, context: context)
            daemon.watchdog = ConnectionWatchdog(guard: context.connections, interval: .milliseconds(250))
            if configuration.blockingThreads > 0 {
                let pool = BlockingWorkerPool(threadCount: configuration.blockingThreads, name: "walletbridge-http-blocking")
                context.blockingPool.withLock { $0 = pool }
            }
            current = daemon
            return daemon.port
        }
    }

    /// The bound port while running; nil when stopped.
    public var port: Int? { running.withLock { $0?.port } }

    /// Requests received and not yet completed (answered or aborted).
    public var inFlightRequests: Int { context.inFlight.load(ordering: .acquiring) }

    /// Stops gracefully: stops accepting connections at once, lets requests in flight finish for up to
    /// `drainTimeout` (their responses carry `Connection: close`), then closes every connection.
    /// Returns true when no request was cut off. Calling it on a stopped server does nothing and returns true.
    @discardableResult
    public func stop(drainTimeout: Duration = .seconds(10)) -> Bool {
        guard let daemon = running.withLock({ current -> RunningDaemon? in
            defer { current = nil }
            return current
        }) else { return true }
        context.stopping.store(true, ordering: .releasing)
        daemon.stopAccepting()
        // Streamed bodies end, so their requests complete (a suspended connection would hold the stop).
        context.streams.finishAll()
        let deadline = ContinuousClock.now + drainTimeout
        while context.inFlight.load(ordering: .acquiring) > 0, ContinuousClock.now < deadline {
            usleep(2_000)
        }
        let drained = context.inFlight.load(ordering: .acquiring) == 0
        // Every request handed to the pool must have resumed its connection before the daemon frees it.
        context.blockingPool.withLock { $0.take() }?.shutDown()
        daemon.watchdog?.stop()
        daemon.shutDown()
        context.stopping.store(false, ordering: .releasing)
        return drained
    }
}

/// A started libmicrohttpd daemon and the C memory it borrows.
struct RunningDaemon: @unchecked Sendable {
    // @unchecked: the pointers are only touched under HTTPServer's mutex or after being taken out of it.
    let daemon: OpaquePointer
    let port: Int
    /// PEM text handed to libmicrohttpd, which does not copy it: freed after the daemon stops.
    let tlsKey: UnsafeMutablePointer<CChar>?
    let tlsCertificate: UnsafeMutablePointer<CChar>?
    /// Closes connections whose request headers are late (``ConnectionGuard``).
    var watchdog: ConnectionWatchdog?

    static func start(configuration: HTTPServerConfiguration,
                      context: HTTPServerContext) throws(HTTPServerError) -> RunningDaemon {
        guard configuration.blockingThreads >= 0 else {
            throw .invalidConfiguration(field: "blockingThreads", reason: "must be 0 or more")
        }
        guard configuration.workerThreads >= 1 else {
            throw .invalidConfiguration(field: "workerThreads", reason: "must be at least 1")
        }
        guard configuration.maximumBodyBytes >= 0 else {
            throw .invalidConfiguration(field: "maximumBodyBytes", reason: "must not be negative")
        }
        guard configuration.connectionTimeoutSeconds >= 1 else {
            throw .invalidConfiguration(field: "connectionTimeoutSeconds", reason: "must be at least 1")
        }
        for (field, value) in [("maxConnections", configuration.maxConnections),
                               ("maxConnectionsPerIP", configuration.maxConnectionsPerIP),
                               ("headerTimeoutSeconds", configuration.headerTimeoutSeconds),
                               ("maxQueuedRequests", configuration.maxQueuedRequests)] where value < 1 {
            throw .invalidConfiguration(field: field, reason: "must be at least 1")
        }
        guard configuration.maxConnections >= configuration.workerThreads else {
            // libmicrohttpd splits the limit between its worker threads.
            throw .invalidConfiguration(field: "maxConnections", reason: "must be at least workerThreads")
        }
        // Suspend/resume: requests on the blocking pool, and streamed bodies waiting for data (HTTPBodyStream).
        var flags = UInt32(MHD_USE_INTERNAL_POLLING_THREAD.rawValue | MHD_USE_EPOLL.rawValue | MHD_USE_ITC.rawValue
                           | MHD_ALLOW_SUSPEND_RESUME.rawValue)
        if let reason = walletbridge_mhd_open() { throw .libraryUnavailable(String(cString: reason)) }
        var tlsKey: UnsafeMutablePointer<CChar>?
        var tlsCertificate: UnsafeMutablePointer<CChar>?
        if let tls = configuration.tls {
            guard walletbridge_mhd_supports_tls() != 0 else { throw .tlsNotSupported }
            let keyText = try readPEM(tls.keyPEMPath)
            let certificateText = try readPEM(tls.certificatePEMPath)
            tlsKey = strdup(keyText)
            tlsCertificate = strdup(certificateText)
            flags |= UInt32(MHD_USE_TLS.rawValue)
        }
        let address = try SocketAddress(host: configuration.host, port: configuration.port)
        if address.isIPv6 {
            flags |= UInt32(MHD_USE_IPv6.rawValue)
            if address.isUnspecified { flags |= UInt32(MHD_USE_DUAL_STACK.rawValue) }
        }
        let contextPointer = Unmanaged.passUnretained(context).toOpaque()
        let daemon = address.withSockaddr { sockaddrPointer in
            walletbridge_mhd_start(flags, sockaddrPointer, configuration.port,
                                   httpAccessHandler, contextPointer, httpRequestCompleted, contextPointer,
                                   httpConnectionNotify, contextPointer, httpURILog, contextPointer,
                                   UInt32(configuration.connectionTimeoutSeconds), UInt32(configuration.workerThreads),
                                   UInt32(configuration.maxConnections), HTTPServerConfiguration.connectionMemoryBytes,
                                   tlsKey, tlsCertificate)
        }
        guard let daemon else {
            let reason = String(cString: strerror(errno))
            free(tlsKey)
            free(tlsCertificate)
            throw .cannotListen(host: configuration.host, port: configuration.port,
                                reason: configuration.tls == nil ? reason : "\(reason) (or the TLS key/certificate is invalid)")
        }
        return RunningDaemon(daemon: daemon, port: Int(walletbridge_mhd_bound_port(daemon)),
                             tlsKey: tlsKey, tlsCertificate: tlsCertificate)
    }

    /// Closes the listening socket; connections already accepted keep being served.
    func stopAccepting() {
        let listenSocket = MHD_quiesce_daemon(daemon)
        if listenSocket >= 0 { close(listenSocket) }
    }

    /// Closes every connection and joins the worker threads.
    func shutDown() {
        MHD_stop_daemon(daemon)
        free(tlsKey)
        free(tlsCertificate)
    }

    private static func readPEM(_ path: String) throws(HTTPServerError) -> String {
        guard let data = FileManager.default.contents(atPath: path), !data.isEmpty else {
            throw .unreadableTLSFile(path: path)
        }
        return String(decoding: data, as: UTF8.self)
    }
}
