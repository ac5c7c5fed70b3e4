import BridgeCore
import BridgeSimulator
import BridgeUSB
import BridgeUSBGadget
import FoundationEssentials

extension Command {
    /// `walletbridge simulate`: simulated devices served over their emulators' protocols.
    static let simulate = Command(
        name: "simulate",
        abstract: "Run a simulated hardware wallet that other programs reach like the vendor's emulator.",
        subcommands: [.simulateLedger, .simulateTrezor]
    )

    /// `walletbridge simulate ledger [...]`: a Speculos-compatible APDU server backed by the simulated Ledger.
    static let simulateLedger = Command(
        name: "ledger",
        abstract: "Serve a simulated Ledger over the Speculos APDU protocol (TCP) until SIGINT or SIGTERM.",
        discussion: """
            Once ready, prints {"listening": "tcp:HOST:PORT"} on standard output and serves until SIGINT (Ctrl-C) \
            or SIGTERM; guidance goes to standard error. Connect with --transport tcp:HOST:PORT, or with any \
            Speculos client (ledgercomm, ledgerblue with LEDGER_PROXY_ADDRESS/LEDGER_PROXY_PORT, ledgerjs \
            SpeculosTransport). --port 0 picks a free port. The default seed is Speculos's public test seed, so \
            answers match emulator-based tests: NEVER send funds to its addresses. The defaults are an operator's \
            device: Ethereum app open, "Raw messages" on, blind signing off, every prompt approved.

            --api-port N also serves Speculos's REST API on HTTP (what speculos.client, ragger and ledgerjs' \
            SpeculosHttpTransport use): POST /apdu {"data": HEX}, GET /events (the text on screen; \
            ?currentscreenonly=true for the current screen, ?stream=true as Server-Sent Events), DELETE /events, POST /button/left|right|both \
            {"action": "press-and-release"}. With --approve buttons nobody presses on the device: every prompt waits \
            until buttons are pressed there (right through the review, both on the approve step; right once more \
            and both to reject). The ready line then also names "api": "http://HOST:PORT".

            --usb puts the device on USB instead of TCP, through the kernel's gadget framework (configfs, usb_f_hid, \
            a UDC such as dummy_hcd; root): hidapi, Ledger Live or --transport hid see a Ledger with VID 2c97, the \
            model's PID and its HID interface 0, and a new enumeration whenever the open app changes. The ready line \
            is {"listening": "usb:2c97:PID"}; SIGINT/SIGTERM unplug it. Without gadget support: code -9 naming what \
            is missing.

            Examples:
              walletbridge simulate ledger
              walletbridge simulate ledger --port 0 --approve deny --app bitcoin-test
              walletbridge simulate ledger --api-port 5000 --approve buttons
              walletbridge simulate ledger --usb --app dashboard
            """,
        options: [
            .value("mnemonic", "M", help: "The BIP-39 seed (default: Speculos's public test seed). For tests and demos only."),
            .value("passphrase", "P", help: "The BIP-39 passphrase (default: none)."),
            .value("host", "H", help: "The address to listen on.", default: "127.0.0.1"),
            .value("port", "N", help: "The TCP port; 0 picks a free one.", default: "9999"),
            .value("api-port", "N", help: "Also serve Speculos's REST API (HTTP) on this port; 0 picks a free one (default: not served)."),
            .flag("usb", help: "Appear as a real USB HID device through the kernel's gadget framework instead of on TCP (root)."),
            .value("serial", "TEXT", help: "With --usb: the USB serial number (tell several simulated Ledgers apart).", default: "0001"),
        ] + LedgerSimulatorSettings.knobOptions(prefix: ""),
        run: { arguments, io in
            let settings = try LedgerSimulatorSettings(arguments, prefix: "", mnemonicOption: "mnemonic", passphraseOption: "passphrase")
            let host = try arguments.requiredValue("host")
            let port = try arguments.integer("port", in: 0...65_535) ?? 9999
            let apiPort = try arguments.integer("api-port", in: 0...65_535)
            if settings.waitsForButtons, apiPort == nil {
                throw UsageError("--approve buttons needs --api-port: the buttons are pressed through Speculos's REST API",
                                 about: arguments.commandLine)
            }
            let device = try SimulatedLedger(configuration: settings.configuration)
            if arguments.flag("usb") {
                return try await serveLedgerOnUSB(device, serial: arguments.value("serial") ?? "0001", settings: settings, io: io)
            }
            let server = SpeculosServer(device: device, host: host, port: UInt16(port))
            let signals = TerminationSignals()
            let boundPort = try server.start()
            if port != 0, boundPort != UInt16(port) {
                // Speculos moves to a random port when its own is taken; a user who named a port means that one.
                server.stop()
                throw GenericBridgeError(.badArgument, "Port \(port) on \(host) is in use",
                                         hint: "Stop what listens there, or choose another port (--port 0 picks a free one).")
            }
            let address = DeviceResolver.address(host: host, port: boundPort)
            var ready: JSONObject = ["listening": .string("tcp:\(address)")]
            var api: SpeculosAPIServer?
            if let apiPort {
                let apiServer = SpeculosAPIServer(device: device, host: host, port: UInt16(apiPort))
                do {
                    let bound = try apiServer.start()
                    ready["api"] = .string("http://\(DeviceResolver.address(host: host, port: bound))")
                    api = apiServer
                } catch {
                    server.stop()
                    throw error
                }
            }

            for line in LedgerSimulatorGuidance.lines(settings, transport: "tcp:\(address)", api: ready["api"]) { io.progress(line) }
            io.writeOutput(JSONValue.object(ready).serialized() + "\n")

            let received = await signals.next()
            // A request waiting for buttons ends rejected, so both servers can stop.
            device.display.close()
            api?.stop()
            server.stop()
            io.progress("Simulated Ledger stopped (\(TerminationSignals.name(received))).")
            // The ready line was this run's one JSON document.
            return nil
        }
    )
}

/// `simulate ledger --usb`: the gadget until SIGINT/SIGTERM, which unplug it.
private func serveLedgerOnUSB(_ device: SimulatedLedger, serial: String, settings: LedgerSimulatorSettings,
                              io: CommandIO) async throws -> JSONValue? {
    let gadget = HIDGadget.ledger(device, serialNumber: serial)
    return try await serveOnUSB(gadget, name: "Ledger",
                                guidance: LedgerSimulatorGuidance.lines(settings, transport: "hid"), io: io) {
        // A request waiting for buttons ends rejected, so the serving thread can stop.
        device.display.close()
    }
}

/// `simulate trezor --usb`: the gadgetfs device (or the legacy HID gadget) until SIGINT/SIGTERM, which unplug it.
private func serveTrezorOnUSB(_ device: SimulatedTrezor, legacyHID: Bool, io: CommandIO) async throws -> JSONValue? {
    if legacyHID, device.configuration.model != .one {
        throw GenericBridgeError(.badArgument, "--legacy-hid is the Trezor One's interface", hint: "Add --model one, or leave --legacy-hid out.")
    }
    let gadget: any USBGadgetDevice = legacyHID ? HIDGadget.trezorOne(device) : TrezorGadgetFS(device: device)
    return try await serveOnUSB(gadget, name: "Trezor", guidance: [
        "WARNING: this simulated Trezor signs with a public test seed unless --mnemonic says otherwise: NEVER send funds to its addresses.",
        "Try: walletbridge address --transport \(legacyHID ? "hid" : "webusb") --path \"m/44'/60'/0'/0/0\"",
    ], io: io)
}

/// Plugs `gadget` in, prints the guidance and the ready line, and serves until SIGINT/SIGTERM, which unplug it.
private func serveOnUSB(_ gadget: any USBGadgetDevice, name: String, guidance: [String], io: CommandIO,
                        beforeStop: () -> Void = {}) async throws -> JSONValue? {
    let signals = TerminationSignals()
    do {
        try gadget.start()
    } catch {
        throw GenericBridgeError(error.code == .busy ? .busy : .notSupported, error.message, hint: USBGadgetHint.text)
    }
    for line in guidance { io.progress(line) }
    io.writeOutput(JSONValue.object(["listening": .string(gadget.address)]).serialized() + "\n")
    let received = await signals.next()
    beforeStop()
    gadget.stop()
    io.progress("Simulated \(name) unplugged and stopped (\(TerminationSignals.name(received))).")
    // The ready line was this run's one JSON document.
    return nil
}

/// What to do when the kernel offers no USB gadget.
enum USBGadgetHint {
    static let text = "Run it as root on a Linux kernel with USB gadget support (configfs, libcomposite, usb_f_hid, gadgetfs and a "
        + "UDC: modprobe dummy_hcd gives one), e.g. inside the VM that Tests/VM/vm-run.sh boots."
}

/// What `simulate ledger` tells the user on standard error.
enum LedgerSimulatorGuidance {
    /// The guidance lines; the "Try:" line names `transport` (`tcp:HOST:PORT`, or `hid` for `--usb`).
    static func lines(_ settings: LedgerSimulatorSettings, transport: String, api: JSONValue? = nil) -> [String] {
        let seed = settings.mnemonic == nil
            ? "Speculos's PUBLIC test seed (\"glory promote mansion ...\"): anyone can derive its keys"
            : "the mnemonic given on the command line, held in memory in clear"
        let app = LedgerSimulatorSettings.appNames.first { $0.app == settings.app }?.name ?? "ethereum"
        return [
            "WARNING: this simulated Ledger signs with \(seed). It is for tests and demos only: NEVER send funds to its addresses.",
            "Simulated Ledger: app \(app), blind signing \(settings.blindSigning ? "on" : "off"), raw messages \(settings.rawMessages ? "on" : "off"), "
                + "\(settings.locked ? "locked, " : "")"
                + (settings.waitsForButtons ? "waits for button presses on every prompt" : "\(settings.approves ? "approves" : "rejects") every prompt")
                + (settings.delayMilliseconds > 0 ? ", answers after \(settings.delayMilliseconds) ms." : "."),
            "Try: walletbridge address --transport \(transport) --path \"m/44'/60'/0'/0/0\"",
        ] + (api.flatMap { if case .string(let url) = $0 { url } else { nil } }.map { url in
            ["Speculos REST API: \(url) (screen text: curl \(url)/events; press: curl -X POST -d '{\"action\":\"press-and-release\"}' \(url)/button/both)"]
        } ?? []) + ["Stop it with Ctrl-C (SIGINT) or SIGTERM."]
    }
}

extension Command {
    /// `walletbridge simulate trezor [...]`: a Trezor-emulator-compatible UDP server backed by the simulated Trezor.
    static let simulateTrezor = Command(
        name: "trezor",
        abstract: "Serve a simulated Trezor over the Trezor emulator's UDP protocol until SIGINT or SIGTERM.",
        discussion: """
            Once ready, prints {"listening": "udp:HOST:PORT"} on standard output and serves until SIGINT (Ctrl-C) \
            or SIGTERM; guidance goes to standard error. Each UDP datagram is one 64-byte protocol-v1 packet and \
            PINGPING is answered PONGPONG, as by the Trezor emulator, so any emulator client reaches it: \
            --transport udp:HOST:PORT, trezorctl with TREZOR_PATH=udp:HOST:PORT, Trezor Bridge with -e PORT. \
            --port 0 picks a free port. The default seed is "all all ... all", the public seed of Trezor's device \
            tests, so answers match emulator-based tests: NEVER send funds to its addresses. A Trezor One (--model \
            one) asks for its PIN through the scrambled PIN matrix and signs EIP-712 as hashes only; the other \
            models ask for PIN and passphrase on the device (the simulated user enters them) and sign EIP-712 field \
            by field.

            The debug link listens on PORT+1, as the emulator's does: trezorlib's TrezorClientDebugLink and \
            `hwi --emulators` read the screen (DebugLinkGetState: its text, the PIN matrix) and press buttons \
            there (DebugLinkDecision). With --approve debuglink nobody presses on the device: every screen waits \
            for a decision on the debug link.

            --usb puts the device on USB instead of UDP, through the kernel's gadgetfs (a UDC such as dummy_hcd; \
            root): libusb, Trezor Suite or --transport webusb see a Trezor 1209:53c1 with its WebUSB interface 0 \
            and interrupt endpoints 0x01/0x81 (no debug link there). The ready line is {"listening": \
            "usb:1209:53c1"}; SIGINT/SIGTERM unplug it. Without gadget support: code -9 naming what is missing.

            Examples:
              walletbridge simulate trezor
              walletbridge simulate trezor --approve debuglink
              walletbridge simulate trezor --port 0 --model one --device-pin 1234 --pin-layout 123456789
              walletbridge simulate trezor --approve deny --passphrase "TREZOR"
            """,
        options: [
            .value("mnemonic", "M", help: "The BIP-39 seed (default: \"all all ... all\", Trezor's public test seed). For tests and demos only."),
            .value("passphrase", "P", help: "Turn passphrase protection on; the simulated user types P when the passphrase is entered on the device (default: protection off)."),
            .value("host", "H", help: "The address to listen on.", default: "127.0.0.1"),
            .value("port", "N", help: "The UDP port; 0 picks a free one.", default: String(UDPLink.defaultPort)),
            .flag("usb", help: "Appear as a real USB (WebUSB) device through the kernel's gadgetfs instead of on UDP (root)."),
            .flag("legacy-hid", help: "With --usb and --model one: the Trezor One's legacy HID interface (534c:0001, firmware before 1.7.0) instead of WebUSB."),
        ] + TrezorSimulatorSettings.knobOptions(prefix: ""),
        run: { arguments, io in
            let settings = try TrezorSimulatorSettings(arguments, prefix: "", mnemonicOption: "mnemonic", passphraseOption: "passphrase")
            let host = try arguments.requiredValue("host")
            let port = try arguments.integer("port", in: 0...65_535) ?? Int(UDPLink.defaultPort)
            let device = try SimulatedTrezor(configuration: settings.configuration)
            if arguments.flag("usb") {
                return try await serveTrezorOnUSB(device, legacyHID: arguments.flag("legacy-hid"), io: io)
            }
            let server = TrezorEmulatorServer(device: device, host: host, port: UInt16(port))
            let signals = TerminationSignals()
            let boundPort: UInt16
            do {
                boundPort = try server.start()
            } catch {
                throw GenericBridgeError(.badArgument, "Cannot listen on udp \(host):\(port): \(error.asBridgeError.message)",
                                         hint: "Stop what listens there, or choose another port (--port 0 picks a free one).")
            }
            if port != 0, boundPort != UInt16(port) {
                server.stop()
                throw GenericBridgeError(.badArgument, "Port \(port) on \(host) is in use",
                                         hint: "Stop what listens there, or choose another port (--port 0 picks a free one).")
            }
            let address = DeviceResolver.address(host: host, port: boundPort)

            let debugAddress = DeviceResolver.address(host: host, port: server.debugPort ?? boundPort + 1)
            for line in TrezorSimulatorGuidance.lines(settings, address: address, debugAddress: debugAddress) {
                io.progress(line)
            }
            io.writeOutput(JSONValue.object(["listening": .string("udp:\(address)")]).serialized() + "\n")

            let received = await signals.next()
            server.stop()
            io.progress("Simulated Trezor stopped (\(TerminationSignals.name(received))).")
            // The ready line was this run's one JSON document.
            return nil
        }
    )
}

/// What `simulate trezor` tells the user on standard error.
enum TrezorSimulatorGuidance {
    static func lines(_ settings: TrezorSimulatorSettings, address: String, debugAddress: String) -> [String] {
        let seed = settings.mnemonic == nil
            ? "Trezor's PUBLIC test seed (\"all all ... all\"): anyone can derive its keys"
            : "the mnemonic given on the command line, held in memory in clear"
        var state: [String] = []
        if let pin = settings.devicePIN {
            let layout = settings.pinLayout.map { " on the fixed grid \($0.map(String.init).joined())" } ?? " on a random grid"
            state.append(settings.model == .one
                ? "PIN \(pin) (asked through the PIN matrix\(layout))"
                : "PIN \(pin) (entered on the device by the simulated user)")
        }
        if settings.passphrase != nil { state.append("passphrase protection on") }
        state.append(settings.waitsForDebugLink
            ? "waits for DebugLinkDecision on every prompt"
            : settings.approves ? "approves every prompt" : "rejects every prompt")
        let delay = settings.delayMilliseconds > 0 ? ", answers after \(settings.delayMilliseconds) ms" : ""
        var lines = [
            "WARNING: this simulated Trezor signs with \(seed). It is for tests and demos only: NEVER send funds to its addresses.",
            "Simulated Trezor \(settings.modelName): \(state.joined(separator: ", "))\(delay).",
            "Try: walletbridge address --transport udp:\(address) --path \"m/44'/60'/0'/0/0\"",
            "Debug link (screen text, PIN matrix, button presses): udp:\(debugAddress).",
        ]
        if settings.model == .one, settings.devicePIN != nil {
            lines.append("     add --pin POSITIONS (the positions of the PIN's digits on the device's grid; with --pin-layout 123456789 they are the digits).")
        }
        lines.append("Stop it with Ctrl-C (SIGINT) or SIGTERM.")
        return lines
    }
}
