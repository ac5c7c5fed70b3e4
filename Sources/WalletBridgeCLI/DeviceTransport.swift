import BridgeCore

/// What `--transport` asks for (CONTRACT.md section 1, "Device selection").
enum DeviceTransport: Equatable, Sendable {
    /// No `--transport`: every wallet on USB, hidraw (Ledger, legacy Trezor One) and WebUSB (Trezor) alike.
    case usb
    /// hidraw devices found by hidapi: Ledger, Trezor One on legacy HID firmware.
    case hid
    /// Trezors over WebUSB through libusb.
    case webUSB
    /// A Speculos-compatible APDU server (a real Speculos, or `walletbridge simulate ledger`).
    case speculos(host: String, port: UInt16)
    /// A Trezor emulator (or `walletbridge simulate trezor`) over its UDP protocol.
    case trezorEmulator(host: String, port: UInt16)
    /// The in-process simulated Ledger.
    case simulatedLedger
    /// The in-process simulated Trezor.
    case simulatedTrezor

    /// The transports, as help and errors list them.
    static let forms = "hid, webusb, tcp:HOST:PORT, udp:HOST:PORT, sim:ledger or sim:trezor"

    /// The transport `text` names; nil means every USB wallet. Anything else is a usage error.
    init(parsing text: String?, commandLine: String) throws {
        switch text {
        case nil:
            self = .usb
        case "hid":
            self = .hid
        case "webusb":
            self = .webUSB
        case "sim:ledger":
            self = .simulatedLedger
        case "sim:trezor":
            self = .simulatedTrezor
        case let text? where text.hasPrefix("tcp:"):
            let (host, port) = try Self.address(text, scheme: "tcp", example: "tcp:127.0.0.1:9999", commandLine: commandLine)
            self = .speculos(host: host, port: port)
        case let text? where text.hasPrefix("udp:"):
            let (host, port) = try Self.address(text, scheme: "udp", example: "udp:127.0.0.1:21324", commandLine: commandLine)
            self = .trezorEmulator(host: host, port: port)
        case let text?:
            throw UsageError("Unknown transport '\(text)'", hint: "Use \(Self.forms).")
        }
    }

    /// HOST and PORT of `scheme:HOST:PORT`, split at the last colon so a bracketed IPv6 host (`tcp:[::1]:9999`)
    /// keeps its own colons; port 0, a missing host or a bad port are usage errors.
    private static func address(_ text: String, scheme: String, example: String, commandLine: String) throws -> (String, UInt16) {
        let address = text.dropFirst(scheme.count + 1)
        guard let colon = address.lastIndex(of: ":"), let port = UInt16(address[address.index(after: colon)...]),
              port > 0, colon > address.startIndex
        else {
            throw UsageError("--transport \(text) is not \(scheme):HOST:PORT (e.g. \(example))", about: commandLine)
        }
        var host = String(address[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }
}
