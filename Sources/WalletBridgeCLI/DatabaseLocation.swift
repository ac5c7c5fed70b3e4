import BridgeApprovals
import BridgeCore
import BridgePostgres
import BridgeStore
import FoundationEssentials

/// Where the session manager's data lives (CONTRACT 9): a SQLite file, or a PostgreSQL database named by a libpq
/// URI (`postgresql://` or `postgres://`) that any number of `serve` processes may share. `serve`, `admin` and
/// `audit verify` open it through here, so each takes either.
enum DatabaseLocation: Equatable, Sendable {
    case sqlite(path: String)
    case postgres(url: String)

    init(_ text: String) {
        let lowered = text.lowercased()
        if lowered.hasPrefix("postgresql://") || lowered.hasPrefix("postgres://") {
            self = .postgres(url: text)
        } else {
            self = .sqlite(path: text)
        }
    }

    /// What logs and the ready line may show: a URL's password replaced by `***` (in the authority or as a
    /// `password=` parameter). Secrets belong in libpq's environment (`PGPASSWORD`) or `PGPASSFILE`; this is for
    /// when one was put in the URL anyway.
    var displayName: String {
        switch self {
        case .sqlite(let path): return path
        case .postgres(let url): return Self.redacted(url)
        }
    }

    static func redacted(_ url: String) -> String {
        var text = url
        if let schemeEnd = text.firstRange(of: "://") {
            let authorityEnd = text[schemeEnd.upperBound...].firstIndex { $0 == "/" || $0 == "?" } ?? text.endIndex
            let authority = text[schemeEnd.upperBound..<authorityEnd]
            if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
                text.replaceSubrange(text.index(after: colon)..<at, with: "***")
            }
        }
        // password=... in the query string, up to the next & (libpq's URI parameters).
        var output = ""
        var rest = Substring(text)
        while let found = Self.caseInsensitiveRange(of: "password=", in: rest) {
            output += rest[..<found.upperBound] + "***"
            rest = rest[found.upperBound...]
            rest = rest[(rest.firstIndex(of: "&") ?? rest.endIndex)...]
        }
        return output + rest
    }

    /// Where ASCII `needle` first occurs in `text`, ignoring ASCII case.
    private static func caseInsensitiveRange(of needle: String, in text: Substring) -> Range<Substring.Index>? {
        let pattern = Array(needle.utf8)
        let bytes = text.utf8
        var start = bytes.startIndex
        while let end = bytes.index(start, offsetBy: pattern.count, limitedBy: bytes.endIndex) {
            if zip(bytes[start..<end], pattern).allSatisfy({ ($0 | 0x20) == ($1 | 0x20) }) { return start..<end }
            start = bytes.index(after: start)
        }
        return nil
    }

    /// An open store and how to close it.
    struct Opened {
        let store: any ApprovalStore
        let close: () -> Void
    }

    /// Opens the database. `createIfMissing` false (admin, audit): a SQLite file must exist already, and a
    /// PostgreSQL database must already hold the service's tables, so a typo never creates an empty database.
    func open(createIfMissing: Bool, clock: any BridgeApprovals.Clock = SystemClock()) throws -> Opened {
        switch self {
        case .sqlite(let path):
            if !createIfMissing, !FileManager.default.fileExists(atPath: path) {
                throw GenericBridgeError(
                    .badArgument, "No database at '\(path)'",
                    hint: "Start the service once (`walletbridge serve`) so it creates its database, or give it with "
                        + "--db FILE|URL or --config FILE (default \(SQLiteApprovalStore.defaultPath)).")
            }
            let store = try SQLiteApprovalStore(path: path, createIfMissing: createIfMissing, clock: clock)
            return Opened(store: store, close: { store.close() })
        case .postgres(let url):
            do {
                let store = try PostgresApprovalStore(url: url, createIfMissing: createIfMissing, clock: clock)
                return Opened(store: store, close: { store.close() })
            } catch .unavailable(let why) {
                // At start there is no request to resend: say what to check instead.
                throw GenericBridgeError(
                    .internalError, "Cannot reach the database: \(why)",
                    hint: "Check that PostgreSQL runs and the URL's host, port and database name; put the password in "
                        + "PGPASSWORD or a PGPASSFILE, not in the URL.")
            }
        }
    }
}
