import BridgeCore
import BridgeCrypto
import FoundationEssentials

/// Signs webhook bodies (CONTRACT 2.4): `X-WalletBridge-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
///
/// The timestamp is inside the MAC so a receiver can refuse old deliveries (replays) with ``verify(header:body:now:tolerance:)``.
public struct WebhookSigner: Sendable {
    /// The header the signature travels in.
    public static let headerName = "X-WalletBridge-Signature"

    private let secret: [UInt8]

    /// `secret` is the shared webhook secret as configured (its UTF-8 bytes are the HMAC key).
    public init(secret: String) {
        self.secret = Array(secret.utf8)
    }

    /// The header value for `body` sent at `unixTime` seconds.
    public func signatureHeader(body: [UInt8], unixTime: Int64) -> String {
        "t=\(unixTime),v1=\(Hex.encode(mac(body: body, unixTime: unixTime)))"
    }

    /// True when `header` carries a `v1` MAC of `body` under this secret and its `t` is within `tolerance` of `now`
    /// (either side, so a receiver whose clock runs a little behind still accepts). Compared in constant time; a
    /// header may list several `v1` values (secret rotation) and any one matching is enough.
    public func verify(header: String, body: [UInt8], now: Int64, tolerance: Int64 = 300) -> Bool {
        var timestamp: Int64?
        var candidates: [[UInt8]] = []
        for part in header.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingWhitespace() }
            guard pair.count == 2 else { continue }
            switch pair[0] {
            case "t": timestamp = Int64(pair[1])
            case "v1": if let bytes = Hex.decode(pair[1]) { candidates.append(bytes) }
            default: continue
            }
        }
        guard let timestamp, abs(now - timestamp) <= tolerance, !candidates.isEmpty else { return false }
        let expected = mac(body: body, unixTime: timestamp)
        var matched = false
        for candidate in candidates {
            // No early exit: every candidate is compared, so timing does not tell which one matched.
            matched = SecureBytes.constantTimeEqual(candidate, expected) || matched
        }
        return matched
    }

    private func mac(body: [UInt8], unixTime: Int64) -> [UInt8] {
        Hash.hmacSHA256(key: secret, data: Array("\(unixTime).".utf8) + body)
    }
}
