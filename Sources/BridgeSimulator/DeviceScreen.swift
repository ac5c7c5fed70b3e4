import BridgeCore

/// What a simulated device shows, as text: the layout's name, its title and its lines. Both simulators keep the
/// screen on display and the screens shown so far, so a test (or the vendors' own debug tools: the Trezor's debug
/// link, Speculos's `/events`) can check what the user saw before confirming.
public struct DeviceScreen: Sendable, Equatable, CustomStringConvertible {
    /// The layout's name: trezor-firmware's `br_name` ("confirm_typed_data_final") or a Ledger flow step.
    public var name: String
    public var title: String
    public var lines: [String]

    public init(name: String, title: String, lines: [String] = []) {
        self.name = name
        self.title = title
        self.lines = lines
    }

    /// Title and lines, one per line.
    public var text: String { ([title] + lines).joined(separator: "\n") }

    public var description: String { text }

    /// Whether the title or any line contains `fragment`.
    public func shows(_ fragment: String) -> Bool {
        title.contains(fragment) || lines.contains { $0.contains(fragment) }
    }

    /// A typed-data value as the lines a device shows: `name: value` per leaf, nested members as `outer.inner`, array
    /// elements as `name[i]`; strings as they are, numbers, booleans and addresses as their JSON text.
    public static func fieldLines(_ value: JSONValue, prefix: String = "") -> [String] {
        switch value {
        case .object(let object):
            return object.flatMap { entry in fieldLines(entry.value, prefix: prefix.isEmpty ? entry.key : prefix + "." + entry.key) }
        case .array(let elements):
            return elements.enumerated().flatMap { index, element in fieldLines(element, prefix: "\(prefix)[\(index)]") }
        case .string(let text):
            return [prefix + ": " + text]
        default:
            return [prefix + ": " + value.serialized()]
        }
    }

    /// A signed message as devices show it: printable ASCII (0x20...0x7E) as text, anything else as hex.
    public static func messageText(_ message: [UInt8]) -> String {
        isPrintableASCII(message) ? String(decoding: message, as: UTF8.self) : Hex.encode(message)
    }

    static func isPrintableASCII(_ bytes: some Sequence<UInt8>) -> Bool {
        bytes.allSatisfy { (0x20...0x7E).contains($0) }
    }

    /// How many screens the history keeps (oldest dropped first).
    public static let historyLimit = 256

    /// The screen as trezorlib's `LayoutContent` reads DebugLinkState.tokens: JSON with a title and a
    /// FormattedText component whose text is the lines (python/src/trezorlib/debuglink.py `screen_content`).
    public var layoutJSON: String {
        let text = lines.enumerated().map { index, line in JSONValue.string(index + 1 < lines.count ? line + "\n" : line) }
        let content: JSONValue = .object(JSONObject([("component", .string("FormattedText")), ("text", .array(text))]))
        let layout: JSONValue = .object(JSONObject([
            ("component", .string("SimulatedScreen")), ("name", .string(name)), ("title", .string(title)), ("content", content),
        ]))
        return layout.serialized()
    }
}

extension [DeviceScreen] {
    /// Appends `screen`, dropping the oldest beyond ``DeviceScreen/historyLimit``.
    mutating func record(_ screen: DeviceScreen) {
        append(screen)
        if count > DeviceScreen.historyLimit { removeFirst(count - DeviceScreen.historyLimit) }
    }
}
