import BridgeCore

/// One Server-Sent Event as the HTML standard frames it (`id:`, `event:`, one `data:` line per line of data, a blank
/// line), or a comment line that keeps the connection warm.
public struct ServerSentEvent: Sendable, Equatable {
    public var id: String?
    public var event: String?
    public var data: String
    /// Milliseconds a client waits before it reconnects (`retry:`), when set.
    public var retry: Int?

    public init(id: String? = nil, event: String? = nil, data: String, retry: Int? = nil) {
        self.id = id
        self.event = event
        self.data = data
        self.retry = retry
    }

    /// The event's bytes on the wire. Carriage returns and newlines inside the fields would end them early, so
    /// `id` and `event` lose them and `data` is split into one `data:` line per line.
    public var serialized: String {
        var text = ""
        if let retry { text += "retry: \(retry)\n" }
        if let id { text += "id: \(Self.singleLine(id))\n" }
        if let event { text += "event: \(Self.singleLine(event))\n" }
        for line in data.split(separator: "\n", omittingEmptySubsequences: false) {
            text += "data: \(line.filter { $0 != "\r" })\n"
        }
        return text + "\n"
    }

    /// A comment (ignored by clients): what a quiet stream sends now and then, so proxies keep it and a gone client
    /// is noticed.
    public static func comment(_ text: String) -> String { ": \(singleLine(text))\n\n" }

    static func singleLine(_ text: String) -> String { text.filter { $0 != "\n" && $0 != "\r" } }
}

/// Where a stream's events go: an ``HTTPBodyStream`` in the server, a recorder in tests.
public protocol ServerSentEventSink: AnyObject, Sendable {
    /// Whether the client is still there.
    var isOpen: Bool { get }
    func write(_ bytes: [UInt8])
    func finish()
}

extension HTTPBodyStream: ServerSentEventSink {}

extension ServerSentEventSink {
    func send(_ event: ServerSentEvent) { write(Array(event.serialized.utf8)) }
}
