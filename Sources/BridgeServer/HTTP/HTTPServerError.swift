import BridgeCore

/// Why an ``HTTPServer`` could not start.
public enum HTTPServerError: BridgeError, Equatable {
    /// `host` is neither an IPv4 nor an IPv6 literal.
    case invalidHost(String)
    /// A configuration value out of range (the field and why).
    case invalidConfiguration(field: String, reason: String)
    /// libmicrohttpd could not listen (port taken, no permission, bad TLS material).
    case cannotListen(host: String, port: UInt16, reason: String)
    /// A TLS certificate or key file could not be read.
    case unreadableTLSFile(path: String)
    /// This libmicrohttpd was built without TLS.
    case tlsNotSupported
    /// libmicrohttpd could not be loaded (it is opened on first use; the dynamic linker's reason).
    case libraryUnavailable(String)
    /// ``HTTPServer/start()`` was called on a running server.
    case alreadyRunning

    public var code: ErrorCode {
        switch self {
        case .invalidHost, .invalidConfiguration, .unreadableTLSFile: .badArgument
        case .cannotListen, .alreadyRunning: .busy
        case .tlsNotSupported, .libraryUnavailable: .notSupported
        }
    }

    public var message: String {
        switch self {
        case .invalidHost(let host): "The listen host \"\(host)\" is not an IPv4 or IPv6 address literal"
        case .invalidConfiguration(let field, let reason): "Invalid server setting \(field): \(reason)"
        case .cannotListen(let host, let port, let reason): "Cannot listen on \(host) port \(port): \(reason)"
        case .unreadableTLSFile(let path): "Cannot read the TLS file \(path)"
        case .tlsNotSupported: "This libmicrohttpd was built without TLS support"
        case .libraryUnavailable(let reason): "The HTTP server library could not be loaded: \(reason)"
        case .alreadyRunning: "The HTTP server is already running"
        }
    }

    public var hint: String {
        switch self {
        case .invalidHost: "Use a literal such as 127.0.0.1, 0.0.0.0, ::1 or ::."
        case .invalidConfiguration: "Fix the setting in the configuration file."
        case .cannotListen: "Choose another port, stop the process using it, or check the TLS certificate and key."
        case .unreadableTLSFile: "Check the path and that the service user may read the file (PEM format)."
        case .tlsNotSupported: "Install Debian's libmicrohttpd12 (built with GnuTLS), or terminate TLS in a proxy."
        case .libraryUnavailable: "Install Debian's libmicrohttpd12 (`sudo apt-get install libmicrohttpd12`)."
        case .alreadyRunning: "Stop the server before starting it again."
        }
    }
}
