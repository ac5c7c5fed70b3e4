import BridgeApprovals
import FoundationEssentials

extension Timestamp {
    /// Reads an RFC 3339 time as the service writes it (`2026-11-23T03:20:00Z`, optionally with fractional seconds or
    /// an offset); nil for anything else.
    init?(rfc3339 text: String) {
        // FoundationEssentials' ISO 8601 parser takes the fraction when there is one, and `Z` or an offset.
        guard let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) else {
            return nil
        }
        self.init(millisecondsSinceEpoch: Int64((date.timeIntervalSince1970 * 1000).rounded()))
    }
}
