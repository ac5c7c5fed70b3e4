/// Who may call the local bridge (CONTRACT 8), decided from a request's `Origin` and `Host` alone, as Trezor Bridge
/// does (trezord-go `server/server.go`: an allow-list of exact origins, CORS only for them).
///
/// A page from an allowed origin is answered with CORS headers naming that origin; any other origin gets 403, so a
/// hostile page cannot drive the operator's device. A request without `Origin` (curl, a native app) is answered only
/// when its `Host` is the bridge's own loopback address: a DNS-rebinding page reaches the bridge under its own host
/// name and is refused.
struct BridgeOriginPolicy: Sendable, Equatable {
    /// The exact origins (`scheme://host[:port]`) allowed, e.g. the console's `http://127.0.0.1:8080`.
    var allowedOrigins: Set<String>
    /// The port the bridge listens on (the `Host` a local client names).
    var port: UInt16

    enum Decision: Sendable, Equatable {
        /// Answer; `corsOrigin` goes into `Access-Control-Allow-Origin` (nil: a request without `Origin`).
        case allow(corsOrigin: String?)
        case forbid(String)
    }

    func decide(origin: String?, host: String?) -> Decision {
        if let origin {
            guard allowedOrigins.contains(origin) else {
                return .forbid("origin \(origin) is not allowed: start the bridge with --allow-origin \(origin)")
            }
            return .allow(corsOrigin: origin)
        }
        let local = ["127.0.0.1:\(port)", "localhost:\(port)"]
        guard let host, local.contains(host.lowercased()) else {
            return .forbid("a request without Origin must name the bridge's loopback address as Host (\(local.joined(separator: " or ")))")
        }
        return .allow(corsOrigin: nil)
    }
}
