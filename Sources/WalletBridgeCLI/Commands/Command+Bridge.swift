import BridgeCore
import BridgeServer
import FoundationEssentials
import Synchronization

extension Command {
    /// `walletbridge bridge`: the operator's local HTTP bridge for the console (CONTRACT 8).
    static let bridge = Command(
        name: "bridge",
        abstract: "Serve the local bridge between the operator console in a browser and the device, until SIGINT or SIGTERM.",
        discussion: """
            Listens on loopback (default 127.0.0.1:21335) and prints {"listening": "http://HOST:PORT"}. Routes: \
            GET / names the bridge; POST /enumerate; POST /listen with the last device list as the body (answers \
            when the list differs, or after 30 s); POST /address {"path"}; POST /sign-typed-data {"path", \
            "typedData", "mode"?}. Each answers what the CLI command of the same name prints, with the device \
            selection given here (any --transport, simulated included). Only the pages of the --allow-origin \
            origins may call it (others get 403); a request without Origin must name the bridge's loopback address \
            as Host, which refuses DNS rebinding. One operation on the device at a time: a second gets -4.

            Examples:
              walletbridge bridge                                  # for the console of `make run` (http://127.0.0.1:8080/console/)
              walletbridge bridge --transport sim:ledger           # the same with the simulated Ledger
              walletbridge bridge --allow-origin https://wallets.example.com
            """,
        options: [
            .value("listen", "HOST:PORT", help: "Where to listen (loopback only is the point).", default: "127.0.0.1:21335"),
            .value("allow-origin", "ORIGIN", help: "A page origin allowed to call the bridge, exactly as the browser sends it. Default: the console of `serve` on its default address, http://127.0.0.1:8080 and http://localhost:8080; giving any replaces both.",
                   repeatable: true),
        ],
        optionGroups: DeviceCommand.optionGroups,
        run: { arguments, io in
            _ = try DeviceSelection(arguments)  // bad device options fail now, not in every request
            let listenText = arguments.value("listen") ?? "127.0.0.1:21335"
            // Port 0 (any free port) is allowed here, for tests and side-by-side runs; the ready line names the port.
            let anyPort = listenText.hasSuffix(":0") ? ListenAddress(parsing: listenText.dropLast() + "1").map { ListenAddress(host: $0.host, port: 0) } : nil
            guard let listen = anyPort ?? ListenAddress(parsing: listenText) else {
                throw UsageError("--listen takes HOST:PORT (e.g. 127.0.0.1:21335), not \(listenText)", about: arguments.commandLine)
            }
            let deviceArguments = arguments.forwardedOptions(excluding: ["listen", "allow-origin"])
            let signals = TerminationSignals()
            let given = arguments.values("allow-origin")
            let origins = given.isEmpty ? LocalBridgeServer.defaultOrigins : given
            let server = try LocalBridgeServer.start(listen: listen, allowedOrigins: Set(origins), deviceArguments: deviceArguments)
            let host = listen.host.contains(":") ? "[\(listen.host)]" : listen.host
            io.writeOutput(JSONValue.object(["listening": .string("http://\(host):\(server.port ?? Int(listen.port))")]).serialized() + "\n")
            io.progress("Pages allowed to use the device: \(origins.joined(separator: ", ")) (and local programs naming Host 127.0.0.1 or localhost).")
            let received = await signals.next()
            server.stop(drainTimeout: .seconds(2))
            io.progress("Bridge stopped (\(TerminationSignals.name(received))).")
            return nil
        }
    )
}

/// The bridge on the service's HTTP server, its commands run in this process.
enum LocalBridgeServer {
    /// The console of a `serve` on its default address (`make run`), under both names a browser may use for it.
    static let defaultOrigins = ["http://127.0.0.1:8080", "http://localhost:8080"]

    static func start(listen: ListenAddress, allowedOrigins: Set<String>, deviceArguments: [String]) throws -> HTTPServer {
        let configuration = HTTPServerConfiguration(host: listen.host, port: listen.port, workerThreads: 2, blockingThreads: 8,
                                                    maximumBodyBytes: 256 * 1024, connectionTimeoutSeconds: 120,
                                                    maxConnections: 64, maxConnectionsPerIP: 32)
        // The Host check needs the real port, which port 0 only gives once bound: bind first, then answer.
        let port = Mutex<UInt16>(listen.port)
        let bridge = LocalBridge(policy: { BridgeOriginPolicy(allowedOrigins: allowedOrigins, port: port.withLock { $0 }) },
                                 deviceArguments: deviceArguments, run: runInProcess)
        let server = HTTPServer(configuration: configuration, handler: bridge)
        do {
            let bound = try server.start()
            port.withLock { $0 = UInt16(bound) }
        } catch {
            throw GenericBridgeError(.badArgument, "Cannot serve the bridge on \(listen): \(error.message)",
                                     hint: "Stop what listens there (another bridge?), or choose another --listen.")
        }
        return server
    }

    /// One CLI command in process: its exit status and what it printed on standard output (progress is dropped).
    static let runInProcess: LocalBridge.CommandRunner = { arguments in
        let output = Mutex("")
        let io = CommandIO(writeOutput: { text in output.withLock { $0 += text } }, writeError: { _ in }, readInput: { [] })
        let status = await WalletBridgeCLI.run(arguments, io: io)
        return (status, output.withLock { $0 })
    }
}
