import BridgeApprovals

/// The client behind a trusted proxy (CONTRACT 4, `http.trustedProxies`): each proxy appends the address it received
/// the request from to `X-Forwarded-For`, so reading from the right, the first address that is not a trusted proxy is
/// the client; everything left of it was written by the client itself and proves nothing.
public enum ForwardedClient {
    /// The client address for a request from `peer` carrying `forwardedFor` (the header's value, or nil).
    public static func address(peer: String, forwardedFor: String?, trustedProxies: IPAllowList) -> String {
        guard let forwardedFor, !trustedProxies.entries.isEmpty, trustedProxies.containsEntry(for: peer) else {
            return peer
        }
        var client = peer
        for entry in forwardedFor.split(separator: ",").reversed() {
            let candidate = entry.trimmingSpaces
            // A hop that is not an address at all: stop at the last one known, rather than believe text.
            guard let canonical = IPAllowList.canonical(candidate) else { return client }
            client = canonical
            if !trustedProxies.containsEntry(for: canonical) { return client }
        }
        return client
    }
}

private extension Substring {
    var trimmingSpaces: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
