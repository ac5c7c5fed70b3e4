import BridgeApprovals
import BridgeCore
import BridgeServer
import BridgeStore
import FoundationEssentials

extension Command {
    /// `walletbridge serve`: the HTTP service of CONTRACT section 2.
    static let serve = Command(
        name: "serve",
        abstract: "Run the HTTP service: the CRM's External Wallet API, the operator API, webhooks and metrics.",
        discussion: """
            Once listening, prints one JSON line {"listening": "http://HOST:PORT", ...} on standard output (with \
            --demo also "apiKey") and serves until SIGINT or SIGTERM, finishing the requests in flight. Guidance and \
            the access log go to standard error. The configuration file's fields are documented in \
            deploy/CONFIGURATION.md; --demo runs on embedded defaults: SQLite under ./var/, USD and BTC demo wallets, \
            the policy "above 1,000 USD or 1 BTC needs 2 approvals", and two operators whose simulated Ledgers are \
            enrolled (alice at m/44'/60'/0'/0/0, bob at m/44'/60'/1'/0/0 of the simulator's public seed).

            Examples:
              walletbridge serve --demo
              walletbridge serve --config /etc/walletbridge/config.json
            """,
        options: [
            .value("config", "FILE", help: "The JSON configuration file (see deploy/CONFIGURATION.md)."),
            .flag("demo", help: "Run on the embedded demo defaults (no configuration file)."),
            .value("listen", "HOST:PORT", help: "Listen here instead of the configuration's address."),
            .value("db", "FILE|URL", help: "The database instead of the configuration's: a SQLite file, or a PostgreSQL URL (postgresql://...) that several serve processes may share."),
        ],
        run: { arguments, io in
            let demo = arguments.flag("demo")
            guard demo != (arguments.value("config") != nil) else {
                throw UsageError("Give exactly one of --config FILE and --demo", about: "walletbridge serve")
            }
            var configuration: ServiceConfiguration
            if demo {
                configuration = try ServiceConfiguration.demo()
            } else {
                configuration = try ServiceConfiguration.load(path: arguments.value("config") ?? "")
            }
            if let listen = arguments.value("listen") {
                guard let address = ListenAddress(parsing: listen) else {
                    throw UsageError("--listen takes HOST:PORT (e.g. 127.0.0.1:8080 or [::1]:8080), not \(listen)",
                                     about: "walletbridge serve")
                }
                configuration.listen = address
            }
            if let database = arguments.value("db") { configuration.databasePath = database }

            let database = DatabaseLocation(configuration.databasePath)
            let opened = try database.open(createIfMissing: true)
            defer { opened.close() }
            let store = opened.store
            let apiKey: String
            if demo {
                apiKey = try DemoService.apiKey(in: store)
            } else {
                apiKey = configuration.apiKey ?? ""
            }
            let runtime = try ServiceRuntime(configuration: configuration, apiKey: apiKey, store: store)
            if demo { try await DemoService.seed(runtime.service, io: io) }

            let signals = TerminationSignals()
            let port = try runtime.start()
            let host = configuration.listen.host.contains(":") ? "[\(configuration.listen.host)]" : configuration.listen.host
            let url = "\(configuration.tls == nil ? "http" : "https")://\(host):\(port)"
            var ready: JSONObject = ["listening": .string(url), "database": .string(database.displayName)]
            if demo {
                ready["apiKey"] = .string(apiKey)
                for line in DemoService.guidance(url: url, apiKey: apiKey) { io.progress(line) }
            }
            io.writeOutput(JSONValue.object(ready).serialized() + "\n")

            let received = await signals.next()
            io.progress("Stopping (\(TerminationSignals.name(received))): finishing the requests in flight...")
            runtime.stop()
            io.progress("WalletBridge stopped.")
            return nil
        }
    )
}
