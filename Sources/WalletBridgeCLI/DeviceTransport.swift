import BridgeCore

/// What `--transport` asks for (CONTRACT.md section 1, "Device selection").
enum DeviceTransport: Equatable, Sendable {
    /// hidraw devices found by hidapi: Ledger, Trezor One on legacy HID. Also what no `--transport` means.
    case hid
    /// A Speculos-compatible APDU server (a real Speculos, or `walletbridge simulate ledger`).
    case speculos(host: String, port: UInt16)
    /// The in-process simulated Ledger.
    case simulatedLedger

    /// The transport `text` names; nil means `hid`. Trezor transports are refused with code -9 until Trezor support
    /// lands; anything else is a usage error.
    init(parsing text: String?, commandLine: String) throws {
        switch text {
        case nil, "hid":
            self = .hid
        case "sim:ledger":
            self = .simulatedLedger
        case let text? where text.hasPrefix("tcp:"):
            // Split at the last colon so a bracketed IPv6 host ("tcp:[::1]:9999") keeps its own colons.
            let address = text.dropFirst(4)
            guard let colon = address.lastIndex(of: ":"), let port = UInt16(address[address.index(after: colon)...]),
                  port > 0, colon > address.startIndex
            else {
                throw UsageError("--transport \(text) is not tcp:HOST:PORT (e.g. tcp:127.0.0.1:9999)", about: commandLine)
            }
            var host = String(address[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            self = .speculos(host: host, port: port)
        case let text? where text == "webusb" || text == "sim:trezor" || text.hasPrefix("udp:"):
            throw Self.trezorNotYetSupported("--transport \(text)")
        case let text?:
            throw UsageError(
                "Unknown transport '\(text)'",
                hint: "Use hid, tcp:HOST:PORT or sim:ledger (webusb, udp:HOST:PORT and sim:trezor arrive with Trezor support).")
        }
    }

    /// The error for anything Trezor: listed by `enumerate`, not usable yet.
    static func trezorNotYetSupported(_ what: String) -> GenericBridgeError {
        GenericBridgeError(
            .notSupported, "\(what): Trezor devices are listed by `walletbridge enumerate`, but Trezor support arrives with its own issue",
            hint: "Use a Ledger (or --transport sim:ledger) for now.")
    }
}
