import BridgeApprovals
import BridgeCore

/// A small structured logger: JSON lines with time, level, message and metadata. Passed to whoever logs (never a
/// global), so tests capture its lines with a ``LogSink``.
public struct Logger: Sendable {
    /// Severity, lowest first.
    public enum Level: Int, Sendable, Comparable, CaseIterable, CustomStringConvertible {
        case debug, info, warning, error

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }

        public var description: String {
            switch self {
            case .debug: "debug"
            case .info: "info"
            case .warning: "warning"
            case .error: "error"
            }
        }

        /// A level from its name (`debug`, `info`, `warning`, `error`); nil for anything else.
        public init?(name: String) {
            guard let level = Level.allCases.first(where: { $0.description == name.lowercased() }) else { return nil }
            self = level
        }
    }

    public let minimumLevel: Level
    private let sink: LogSink
    private let clock: any BridgeApprovals.Clock

    /// A logger writing lines at `minimumLevel` and above to `sink`.
    public init(minimumLevel: Level = .info, sink: LogSink = .standardError,
                clock: any BridgeApprovals.Clock = SystemClock()) {
        self.minimumLevel = minimumLevel
        self.sink = sink
        self.clock = clock
    }

    /// A logger that writes nothing.
    public static let disabled = Logger(minimumLevel: .error, sink: .discard)

    /// Logs `message` with `metadata` (its keys become fields of the line, after `time`, `level` and `message`).
    public func log(_ level: Level, _ message: String, metadata: [String: String] = [:]) {
        guard level >= minimumLevel else { return }
        var fields: [(String, JSONValue)] = [
            ("time", .string(clock.now().rfc3339)), ("level", .string(level.description)), ("message", .string(message)),
        ]
        for key in metadata.keys.sorted() where !["time", "level", "message"].contains(key) {
            fields.append((key, .string(metadata[key] ?? "")))
        }
        sink.write(JSONValue.object(JSONObject(fields)).serialized())
    }

    public func debug(_ message: String, metadata: [String: String] = [:]) { log(.debug, message, metadata: metadata) }
    public func info(_ message: String, metadata: [String: String] = [:]) { log(.info, message, metadata: metadata) }
    public func warning(_ message: String, metadata: [String: String] = [:]) { log(.warning, message, metadata: metadata) }
    public func error(_ message: String, metadata: [String: String] = [:]) { log(.error, message, metadata: metadata) }
}
