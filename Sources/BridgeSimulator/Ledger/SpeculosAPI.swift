import BridgeCore
import BridgeDevices

/// The subset of Speculos's REST API (LedgerHQ/speculos speculos/api/) a ``SimulatedLedger`` serves, without I/O: a
/// request's method, path, query and body in, a status and a JSON body out. `simulate ledger --api-port N` puts it
/// behind the project's HTTP server, so the same clients that drive Speculos (speculos.client `Api`, ragger's
/// Speculos backend, ledgerjs' `SpeculosHttpTransport`) drive the simulator.
///
/// - `POST /apdu` `{"data": HEX}` -> `{"data": HEX(response data | SW)}`; waits while the device waits for buttons.
/// - `GET /events[?currentscreenonly=true]` -> `{"events": [{"text", "x", "y", "w", "h", "clear"}]}`;
///   `?stream=true`: Server-Sent Events, one `data: {event}` record per line drawn from then on.
/// - `DELETE /events` -> `{}`.
/// - `POST /button/{left,right,both}` `{"action": "press-and-release" | "press" | "release"}` -> `{}`.
///
/// Refusals are Speculos's: 400 `{"error": ...}` for a body its JSON schema rejects (speculos/api/resources/*.schema).
public struct SpeculosAPI: Sendable {
    /// An answer: HTTP status and JSON body.
    public struct Response: Sendable, Equatable {
        public var status: Int
        public var body: JSONValue

        public init(status: Int, body: JSONValue) {
            self.status = status
            self.body = body
        }

        static let empty = Response(status: 200, body: .object([:]))

        /// Speculos's error shape: `{"error": message}` with `status`.
        public static func error(_ status: Int, _ message: String) -> Response {
            Response(status: status, body: .object(["error": .string(message)]))
        }
    }

    public let device: SimulatedLedger

    public init(device: SimulatedLedger) {
        self.device = device
    }

    /// The routes this API serves, as (method, path) pairs; a server routes exactly these here.
    public static let routes: [(method: String, path: String)] =
        [("POST", "/apdu"), ("GET", "/events"), ("DELETE", "/events")]
        + LedgerButton.allCases.map { ("POST", "/button/" + $0.rawValue) }

    /// Answers one request.
    public func respond(method: String, path: String, query: [String: String] = [:], body: [UInt8] = []) -> Response {
        switch (method, path) {
        case ("POST", "/apdu"):
            guard let apdu = Self.apduBytes(body) else { return Self.apduRefusal }
            return Response(status: 200, body: exchange(apdu))
        case ("GET", "/events"):
            if Self.isTrue(query["stream"]) {
                // An HTTP server streams it (`eventStreamLine`); answered here only where nothing can stream.
                return .error(400, "stream=true needs a server that streams: poll GET /events instead")
            }
            let events = device.display.events(currentScreenOnly: Self.isTrue(query["currentscreenonly"]))
            return Response(status: 200, body: .object(["events": .array(events.map(Self.json))]))
        case ("DELETE", "/events"):
            device.display.clearEvents()
            return .empty
        default:
            if method == "POST", path.hasPrefix("/button/"), let button = LedgerButton(rawValue: String(path.dropFirst(8))) {
                return press(button, body)
            }
            return .error(404, "no such endpoint: \(method) \(path)")
        }
    }

    /// `POST /apdu`'s APDU bytes: `data` must be whole hex bytes (speculos/api/resources/apdu.schema,
    /// `^([a-fA-F0-9]{2})+$`, and no other member than `tick_timeout`); nil for a body the schema refuses.
    public static func apduBytes(_ body: [UInt8]) -> [UInt8]? {
        guard case .object(let object)? = try? JSONValue(parsing: body),
            case .string(let hex)? = object["data"],
            object.keys.allSatisfy({ $0 == "data" || $0 == "tick_timeout" }),
            !hex.isEmpty, !hex.lowercased().hasPrefix("0x")
        else { return nil }
        return Hex.decode(hex)
    }

    /// The answer to a body ``apduBytes(_:)`` refuses.
    public static let apduRefusal = Response.error(400, "expected {\"data\": \"<hex bytes>\"} (apdu.schema)")

    /// `POST /apdu` once its body is read (speculos/api/apdu.py): the device's answer, `{"data": HEX(data | SW)}`. Waits
    /// while the device waits for buttons; a server sends its head first (as Speculos does) so that a client can post
    /// the APDU without waiting and press buttons meanwhile (speculos.client `_apdu_exchange_nowait`).
    public func exchange(_ apdu: [UInt8]) -> JSONValue {
        let response: APDUResponse
        if let command = try? APDUCommand(parsing: apdu) {
            response = device.handle(command)
        } else {
            response = APDUResponse(statusWord: 0x6700)
        }
        return .object(["data": .string(Hex.encode(response.data + Self.bigEndian(response.statusWord)))])
    }

    /// `POST /button/NAME`: speculos/api/button.py and button.schema.
    private func press(_ button: LedgerButton, _ body: [UInt8]) -> Response {
        guard case .object(let object)? = try? JSONValue(parsing: body),
            case .string(let action)? = object["action"],
            object.keys.allSatisfy({ $0 == "action" || $0 == "delay" })
        else { return .error(400, "expected {\"action\": \"press-and-release\" | \"press\" | \"release\"} (button.schema)") }
        switch action {
        case "press-and-release": device.display.press(button)
        case "press": device.display.hold(button, down: true)
        case "release": device.display.hold(button, down: false)
        default: return .error(400, "'\(action)' is not one of ['press', 'release', 'press-and-release'] (button.schema)")
        }
        return .empty
    }

    /// Whether a `GET /events` asks for the Server-Sent Events stream.
    public static func wantsStream(_ query: [String: String]) -> Bool { isTrue(query["stream"]) }

    /// One event as a Server-Sent Events record, as speculos/api/events.py writes it (`data: {json}` and a blank line).
    public static func eventStreamRecord(_ event: LedgerTextEvent) -> String {
        "data: " + json(event).serialized() + "\n\n"
    }

    private static func json(_ event: LedgerTextEvent) -> JSONValue {
        .object(JSONObject([
            ("text", .string(event.text)), ("x", .number(JSONNumber(event.x))), ("y", .number(JSONNumber(event.y))),
            ("w", .number(JSONNumber(event.w))), ("h", .number(JSONNumber(event.h))), ("clear", .bool(false)),
        ]))
    }

    /// flask-restful's `inputs.boolean`: true, 1, yes, on (any case).
    private static func isTrue(_ value: String?) -> Bool {
        guard let value else { return false }
        return ["true", "1", "yes", "on"].contains(value.lowercased())
    }

    private static func bigEndian(_ word: UInt16) -> [UInt8] { [UInt8(word >> 8), UInt8(word & 0xFF)] }
}
