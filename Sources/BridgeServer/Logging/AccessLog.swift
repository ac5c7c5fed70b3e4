import BridgeApprovals
import BridgeCore

/// The access log: one JSON line per answered request, e.g.
/// `{"time":"2026-11-18T20:53:20.125Z","client":"127.0.0.1","method":"GET","path":"/health","status":200,"duration_ms":0.412,"bytes":15}`.
///
/// The path is logged without its query string: queries may carry user identifiers the log need not keep.
public final class AccessLog: Sendable {
    private let sink: LogSink
    private let clock: any BridgeApprovals.Clock

    /// An access log writing to `sink` (standard error by default), stamping lines with `clock`.
    public init(sink: LogSink = .standardError, clock: any BridgeApprovals.Clock = SystemClock()) {
        self.sink = sink
        self.clock = clock
    }

    /// Writes out lines a batching sink still holds (at shutdown).
    public func flush() { sink.flush() }

    /// Writes the line for one request.
    public func record(request: HTTPRequest, status: Int, bytes: Int, duration: Duration) {
        sink.write(line(request: request, status: status, bytes: bytes, duration: duration))
    }

    /// The JSON line for one request. Written field by field rather than through a `JSONValue` tree: every request
    /// writes one, and building the tree was most of the line's cost (issue 16's read profile).
    public func line(request: HTTPRequest, status: Int, bytes: Int, duration: Duration) -> String {
        var out = [UInt8]()
        out.reserveCapacity(192)
        func field(_ name: String, _ value: String, quoted: Bool) {
            out.appendUTF8(name)
            if quoted { JSONValue.appendQuoted(value, to: &out) } else { out.appendUTF8(value) }
        }
        field(#"{"time":"#, clock.now().rfc3339, quoted: true)
        field(#","client":"#, request.clientAddress, quoted: true)
        field(#","method":"#, request.method, quoted: true)
        field(#","path":"#, request.path, quoted: true)
        field(#","status":"#, String(status), quoted: false)
        field(#","duration_ms":"#, Self.milliseconds(duration).text, quoted: false)
        field(#","bytes":"#, String(bytes), quoted: false)
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    /// Milliseconds with microsecond precision, as an exact decimal literal (`0.412`, `12.000`).
    static func milliseconds(_ duration: Duration) -> JSONNumber {
        let microseconds = max(0, duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000)
        let (whole, fraction) = microseconds.quotientAndRemainder(dividingBy: 1000)
        // Three digits after the point, written directly: this runs for every request.
        let digits: [UInt8] = [UInt8(ascii: "."), UInt8(ascii: "0") + UInt8(fraction / 100),
                               UInt8(ascii: "0") + UInt8(fraction / 10 % 10), UInt8(ascii: "0") + UInt8(fraction % 10)]
        return JSONNumber(text: String(whole) + String(decoding: digits, as: UTF8.self)) ?? JSONNumber(whole)
    }
}
