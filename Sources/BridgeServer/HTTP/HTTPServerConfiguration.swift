import BridgeApprovals

/// How an ``HTTPServer`` listens and what it accepts, and the limits that keep one client from exhausting it
/// (CONTRACT 4; README "Security").
public struct HTTPServerConfiguration: Sendable, Equatable {
    /// TLS material: PEM files read once at ``HTTPServer/start()``.
    public struct TLS: Sendable, Equatable {
        public var certificatePEMPath: String
        public var keyPEMPath: String

        public init(certificatePEMPath: String, keyPEMPath: String) {
            self.certificatePEMPath = certificatePEMPath
            self.keyPEMPath = keyPEMPath
        }
    }

    /// An IPv4 or IPv6 literal, e.g. `127.0.0.1`, `0.0.0.0`, `::1`, `::` (IPv6 `::` also accepts IPv4).
    public var host: String
    /// The TCP port; 0 lets the kernel choose (``HTTPServer/start()`` returns the bound port).
    public var port: UInt16
    /// Threads answering requests (libmicrohttpd's thread pool, each with its own epoll loop).
    public var workerThreads: Int
    /// Threads that run requests with a body (POST, PUT, PATCH, DELETE: transfers, approvals), which may wait for a
    /// durable commit; their connections are suspended meanwhile so the worker threads keep serving reads. 0 runs
    /// every request on the worker threads.
    public var blockingThreads: Int
    /// Larger request bodies get 413 `payload_too_large`.
    public var maximumBodyBytes: Int
    /// An idle connection, or a request whose headers and body do not arrive within this time, is closed.
    public var connectionTimeoutSeconds: Int
    /// HTTPS when set; plain HTTP otherwise.
    public var tls: TLS?
    /// Open connections at most (`http.maxConnections`). libmicrohttpd splits it evenly among the worker threads and a
    /// worker at its share stops polling the listening socket, so beyond it new connections wait in the kernel's
    /// listen backlog until one closes (libmicrohttpd 0.9.75, src/microhttpd/daemon.c, `MHD_epoll`).
    public var maxConnections: Int
    /// Open connections from one peer address at most; more are closed at once (`http.maxConnectionsPerIP`). Trusted
    /// proxies are exempt: every client behind one shares its address.
    public var maxConnectionsPerIP: Int
    /// A request's headers must be complete this many seconds after its connection opened or its previous response
    /// was sent, however slowly they trickle; otherwise the connection is closed (`http.headerTimeoutSeconds`). An
    /// idle keep-alive connection is closed after the same time.
    public var headerTimeoutSeconds: Int
    /// Requests received and not yet answered at most; beyond it 503 with `Retry-After` (`http.maxQueuedRequests`).
    public var maxQueuedRequests: Int
    /// Peers whose `X-Forwarded-For` is believed (`http.trustedProxies`): from one, the client is the rightmost
    /// forwarded address that is not itself trusted. Empty: none (the header is ignored).
    public var trustedProxies: IPAllowList

    /// The longest request target (path and query) accepted: longer is 414.
    public static let maximumTargetBytes = 8 * 1024
    /// The most header bytes (names and values) accepted: more is 431.
    public static let maximumHeaderBytes = 16 * 1024
    /// libmicrohttpd's memory per connection (its default). Its own (HTML) 414/431 answers fire only when a request's
    /// head overflows this pool, which the two limits above stay well inside, so they answer first in the service's
    /// error shape. Not larger: libmicrohttpd 0.9.75 zeroes the whole pool between the requests of a keep-alive
    /// connection (src/microhttpd/memorypool.c, `MHD_pool_reset`), so a 64 KiB pool cost reads 10-20% of their rate.
    static let connectionMemoryBytes = 32 * 1024

    public init(host: String = "127.0.0.1", port: UInt16 = 0, workerThreads: Int = 4, blockingThreads: Int = 0,
                maximumBodyBytes: Int = 1 << 20, connectionTimeoutSeconds: Int = 30, tls: TLS? = nil,
                maxConnections: Int = 1024, maxConnectionsPerIP: Int = 64, headerTimeoutSeconds: Int = 10,
                maxQueuedRequests: Int = 4096, trustedProxies: IPAllowList = IPAllowList.none) {
        self.host = host
        self.port = port
        self.workerThreads = workerThreads
        self.blockingThreads = blockingThreads
        self.maximumBodyBytes = maximumBodyBytes
        self.connectionTimeoutSeconds = connectionTimeoutSeconds
        self.tls = tls
        self.maxConnections = maxConnections
        self.maxConnectionsPerIP = maxConnectionsPerIP
        self.headerTimeoutSeconds = headerTimeoutSeconds
        self.maxQueuedRequests = maxQueuedRequests
        self.trustedProxies = trustedProxies
    }
}
