import BridgeCore
import BridgeSimulator
import Foundation

extension Command {
    /// `walletbridge simulate`: simulated devices served over their emulators' protocols.
    static let simulate = Command(
        name: "simulate",
        abstract: "Run a simulated hardware wallet that other programs reach like the vendor's emulator.",
        subcommands: [.simulateLedger]
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

            Examples:
              walletbridge simulate ledger
              walletbridge simulate ledger --port 0 --approve deny --app bitcoin-test
            """,
        options: [
            .value("mnemonic", "M", help: "The BIP-39 seed (default: Speculos's public test seed). For tests and demos only."),
            .value("passphrase", "P", help: "The BIP-39 passphrase (default: none)."),
            .value("host", "H", help: "The address to listen on.", default: "127.0.0.1"),
            .value("port", "N", help: "The TCP port; 0 picks a free one.", default: "9999"),
        ] + LedgerSimulatorSettings.knobOptions(prefix: ""),
        run: { arguments, io in
            let settings = try LedgerSimulatorSettings(arguments, prefix: "", mnemonicOption: "mnemonic", passphraseOption: "passphrase")
            let host = try arguments.requiredValue("host")
            let port = try arguments.integer("port", in: 0...65_535) ?? 9999
            let device = try SimulatedLedger(configuration: settings.configuration)
            let server = SpeculosServer(device: device, host: host, port: UInt16(port))
            let signals = TerminationSignals()
            let boundPort = try server.start()
            if port != 0, boundPort != UInt16(port) {
                // Speculos moves to a random port when its own is taken; a user who named a port means that one.
                server.stop()
                throw GenericBridgeError(.badArgument, "Port \(port) on \(host) is in use",
                                         hint: "Stop what listens there, or choose another port (--port 0 picks a free one).")
            }
            let address = host.contains(":") ? "[\(host)]:\(boundPort)" : "\(host):\(boundPort)"

            for line in LedgerSimulatorGuidance.lines(settings, address: address) { io.progress(line) }
            io.writeOutput(JSONValue.object(["listening": .string("tcp:\(address)")]).serialized() + "\n")

            let received = await signals.next()
            server.stop()
            io.progress("Simulated Ledger stopped (\(TerminationSignals.name(received))).")
            // The ready line was this run's one JSON document.
            return nil
        }
    )
}

/// What `simulate ledger` tells the user on standard error.
enum LedgerSimulatorGuidance {
    static func lines(_ settings: LedgerSimulatorSettings, address: String) -> [String] {
        let seed = settings.mnemonic == nil
            ? "Speculos's PUBLIC test seed (\"glory promote mansion ...\"): anyone can derive its keys"
            : "the mnemonic given on the command line, held in memory in clear"
        let app = LedgerSimulatorSettings.appNames.first { $0.app == settings.app }?.name ?? "ethereum"
        return [
            "WARNING: this simulated Ledger signs with \(seed). It is for tests and demos only: NEVER send funds to its addresses.",
            "Simulated Ledger: app \(app), blind signing \(settings.blindSigning ? "on" : "off"), raw messages \(settings.rawMessages ? "on" : "off"), "
                + "\(settings.locked ? "locked, " : "")\(settings.approves ? "approves" : "rejects") every prompt"
                + (settings.delayMilliseconds > 0 ? ", answers after \(settings.delayMilliseconds) ms." : "."),
            "Try: walletbridge address --transport tcp:\(address) --path \"m/44'/60'/0'/0/0\"",
            "Stop it with Ctrl-C (SIGINT) or SIGTERM.",
        ]
    }
}
