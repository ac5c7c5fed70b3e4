import BridgeApprovals

extension ServiceConfiguration {
    /// The `http` object's keys.
    static let httpKeys = [
        "bodyLimitBytes", "workerThreads", "blockingThreads", "requestTimeoutSeconds",
        "maxConnections", "maxConnectionsPerIP", "headerTimeoutSeconds", "maxQueuedRequests", "trustedProxies",
    ]

    /// The limits under `http` that keep one client from exhausting the service (CONTRACT 4; README "Security").
    mutating func readHTTPLimits(_ http: ConfigurationObjectReader) throws(ConfigurationError) {
        if let limit = try http.integer("maxConnections", in: 1...100_000) { maxConnections = Int(limit) }
        if let limit = try http.integer("maxConnectionsPerIP", in: 1...100_000) { maxConnectionsPerIP = Int(limit) }
        if let seconds = try http.integer("headerTimeoutSeconds", in: 1...3600) { headerTimeoutSeconds = Int(seconds) }
        if let limit = try http.integer("maxQueuedRequests", in: 1...1_000_000) { maxQueuedRequests = Int(limit) }
        if let proxies = try http.strings("trustedProxies") {
            for (index, entry) in proxies.enumerated() {
                do {
                    _ = try IPAllowList.Entry(entry)
                } catch {
                    throw ConfigurationError(field: "\(http.field("trustedProxies"))[\(index)]", error.configurationReason)
                }
            }
            do {
                trustedProxies = try IPAllowList(proxies)
            } catch {
                throw http.error("trustedProxies", error.configurationReason)
            }
        }
    }
}
