/// How an ``HTTPServer`` listens and what it accepts.
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

    public init(host: String = "127.0.0.1", port: UInt16 = 0, workerThreads: Int = 4, blockingThreads: Int = 0,
                maximumBodyBytes: Int = 1 << 20, connectionTimeoutSeconds: Int = 30, tls: TLS? = nil) {
        self.host = host
        self.port = port
        self.workerThreads = workerThreads
        self.blockingThreads = blockingThreads
        self.maximumBodyBytes = maximumBodyBytes
        self.connectionTimeoutSeconds = connectionTimeoutSeconds
        self.tls = tls
    }
}
