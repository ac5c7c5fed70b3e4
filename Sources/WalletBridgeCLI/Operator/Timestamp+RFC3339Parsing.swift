import BridgeApprovals
import Foundation

extension Timestamp {
    /// Reads an RFC 3339 time as the service writes it (`2026-11-23T03:20:00Z`, optionally with fractional seconds or
    /// an offset); nil for anything else.
    init?(rfc3339 text: String) {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) {
            self.init(millisecondsSinceEpoch: Int64((date.timeIntervalSince1970 * 1000).rounded()))
            return
        }
        formatter.formatOptions = [.withInternetDateTime]
        guard let date = formatter.date(from: text) else { return nil }
        self.init(millisecondsSinceEpoch: Int64(date.timeIntervalSince1970) * 1000)
    }
}
