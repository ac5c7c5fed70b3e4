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
        sink.writeBytes(lineBytes(request: request, status: status, bytes: bytes, duration: duration))
    }

    /// The JSON line for one request.
    public func line(request: HTTPRequest, status: Int, bytes: Int, duration: Duration) -> String {
        String(decoding: lineBytes(request: request, status: status, bytes: bytes, duration: duration), as: UTF8.self)
    }

    /// The line's UTF-8 bytes. Written field by field straight into bytes, numbers and time included, rather than
    /// through a `JSONValue` tree or intermediate strings: every request writes one (issue 16's read profile).
    func lineBytes(request: HTTPRequest, status: Int, bytes: Int, duration: Duration) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(192)
        out.appendLiteral(#"{"time":""#)
        clock.now().appendRFC3339(to: &out)
        out.appendLiteral(#"","client":"#)
        JSONValue.appendQuoted(request.clientAddress, to: &out)
        out.appendLiteral(#","method":"#)
        JSONValue.appendQuoted(request.method, to: &out)
        out.appendLiteral(#","path":"#)
        JSONValue.appendQuoted(request.path, to: &out)
        out.appendLiteral(#","status":"#)
        out.appendDecimal(status)
        out.appendLiteral(#","duration_ms":"#)
        Self.appendMilliseconds(duration, to: &out)
        out.appendLiteral(#","bytes":"#)
        out.appendDecimal(bytes)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// Milliseconds with microsecond precision, as an exact decimal literal (`0.412`, `12.000`).
    static func milliseconds(_ duration: Duration) -> JSONNumber {
        var text = [UInt8]()
        appendMilliseconds(duration, to: &text)
        return JSONNumber(text: String(decoding: text, as: UTF8.self)) ?? JSONNumber(0)
    }

    /// Appends ``milliseconds(_:)``'s text; a negative duration counts as zero.
    static func appendMilliseconds(_ duration: Duration, to out: inout [UInt8]) {
        let components = duration.components  // once: each is a 128-bit division
        let microseconds = max(0, components.seconds * 1_000_000 + components.attoseconds / 1_000_000_000_000)
        let (whole, fraction) = microseconds.quotientAndRemainder(dividingBy: 1000)
        out.appendDecimal(Int(whole))
        out.append(UInt8(ascii: "."))
        out.append(UInt8(ascii: "0") + UInt8(fraction / 100))
        out.append(UInt8(ascii: "0") + UInt8(fraction / 10 % 10))
        out.append(UInt8(ascii: "0") + UInt8(fraction % 10))
    }
}
