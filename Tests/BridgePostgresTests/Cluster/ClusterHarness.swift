import BridgeCore
import BridgePostgres
import Foundation
import ProcessTestSupport
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One `walletbridge serve` process of a cluster, past its ready line.
struct ServeInstance: Sendable {
    let name: String
    let process: ChildProcess
    /// `http://127.0.0.1:PORT`.
    let url: String
    let crm: CRMClient

    /// `GET /wallets/getOne`: the wallet's `amount` (its balance) in minor units (cents for USD).
    func balance(_ user: String, _ currency: String = "USD") async throws -> Int {
        let reply = try await LoopbackHTTP.send(
            "GET", url + "/wallets/getOne?external_user_id=\(user)&currency=\(currency)", headers: [("key", crm.apiKey)])
        guard reply.status == 200, let text = try reply.json()["amount"]?.numberValue?.text, let cents = Money.cents(text) else {
            throw HarnessError("\(name): GET /wallets/getOne \(user) \(currency) -> \(reply.status) \(reply.text)")
        }
        return cents
    }

    /// The sum of a Prometheus counter's samples on `/metrics` (0 when it has none yet).
    func counter(_ metric: String) async throws -> Double {
        let reply = try await LoopbackHTTP.send("GET", url + "/metrics")
        guard reply.status == 200 else { throw HarnessError("\(name): GET /metrics -> \(reply.status)") }
        return reply.text.split(separator: "\n").reduce(0) { sum, line in
            guard line.hasPrefix(metric + " ") || line.hasPrefix(metric + "{"),
                  let value = line.split(separator: " ").last.flatMap({ Double($0) }) else { return sum }
            return sum + value
        }
    }
}

/// The demo's operators (CONTRACT 3): the simulated Ledger's default seed at two paths.
struct DemoOperator: Sendable {
    let name: String
    let path: String
    static let alice = DemoOperator(name: "alice", path: "m/44'/60'/0'/0/0")
    static let bob = DemoOperator(name: "bob", path: "m/44'/60'/1'/0/0")
}

/// What a `walletbridge` command printed and how it ended.
struct CommandResult: Sendable {
    let arguments: [String]
    /// The exit status; nil in the rare case Foundation missed the exit (the outputs are still complete).
    let status: Int32?
    let stdout: String
    let stderr: String

    /// Standard output as JSON (CONTRACT 1: exactly one JSON document).
    var json: JSONValue? { try? JSONValue(parsing: stdout.trimmingCharacters(in: .whitespacesAndNewlines)) }
    var succeeded: Bool { status ?? 0 == 0 && json != nil && json?["error"] == nil }
    /// The contract error code of a failed command.
    var errorCode: Int64? { json?["code"]?.numberValue?.int64Value }
    var summary: String {
        "walletbridge \(arguments.joined(separator: " ")) -> exit \(status.map(String.init) ?? "?")\nstdout: \(stdout)\nstderr: \(stderr.suffix(1500))"
    }
}

/// Several `walletbridge serve` processes on one PostgreSQL database, and the CLI commands run against them, in a
/// temporary folder of their own (logs, configuration, the operators' `XDG_STATE_HOME`s).
///
/// ``run(_:database:_:)`` stops every process it started on every path (SIGTERM, then SIGKILL), and a reaper shell
/// SIGKILLs them should this test process die first (a crash, a SIGKILL), so no run leaves a `serve` behind.
final class Cluster: Sendable {
    /// `postgresql://postgres@127.0.0.1:PORT/DB`.
    let database: String
    let directory: URL
    private let children = Mutex<[ChildProcess]>([])
    private let reaper: ProcessReaper?
    private let commands = Atomic<Int>(0)

    private init(database: String, directory: URL) {
        self.database = database
        self.directory = directory
        reaper = try? ProcessReaper()
    }

    /// Runs `body` with a cluster on a fresh database of the shared server (or on `database`), then stops every
    /// process. The folder is removed unless `body` threw (its logs are then named in the error).
    static func run(_ label: String = #function, database: String? = nil,
                    _ body: (Cluster) async throws -> Void) async throws {
        guard FileManager.default.isExecutableFile(atPath: TestPrograms.walletbridge) else {
            throw HarnessError("\(TestPrograms.walletbridge) is missing: run `swift build` first")
        }
        let url: String
        if let database { url = database } else { url = try await PostgresTests.database("cluster_" + label) }
        let directory = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("walletbridge-cluster-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let cluster = Cluster(database: url, directory: directory)
        do {
            try await body(cluster)
        } catch {
            await cluster.stopAll()
            throw HarnessError("\(error)\n(logs kept in \(directory.path))")
        }
        await cluster.stopAll()
        try? FileManager.default.removeItem(at: directory)
    }

    // MARK: serve

    /// Starts `serve --demo` processes on the database all at once and waits for every ready line.
    func startDemo(_ names: [String]) async throws -> [ServeInstance] {
        try await start(names) { port in
            ["serve", "--demo", "--db", self.database, "--listen", "127.0.0.1:\(port)"]
        }
    }

    /// Starts `serve --config FILE` processes (the file names the database and the API key) all at once.
    func startConfigured(_ names: [String], configuration: URL, apiKey: String) async throws -> [ServeInstance] {
        try await start(names, apiKey: apiKey) { port in
            ["serve", "--config", configuration.path, "--listen", "127.0.0.1:\(port)"]
        }
    }

    /// Launches one process per name at once (serve takes no port 0: each gets a free port found just before), then
    /// waits for their ready lines together. One that exits before its ready line (most likely another process took
    /// its port in between) is started again on another port, twice at most.
    private func start(_ names: [String], apiKey: String? = nil,
                       arguments: @escaping @Sendable (UInt16) -> [String]) async throws -> [ServeInstance] {
        var launched: [(String, ChildProcess)] = []
        for name in names { launched.append((name, try launch(name, arguments(try TestPrograms.freePort())))) }
        return try await withThrowingTaskGroup(of: (Int, ServeInstance).self) { group in
            for (index, (name, child)) in launched.enumerated() {
                group.addTask {
                    var child = child
                    var attempt = 1
                    while true {
                        do {
                            return (index, try await self.ready(name, child, apiKey: apiKey))
                        } catch where child.isRunning == false && attempt < 3 {
                            attempt += 1
                            child = try self.launch("\(name)-\(attempt)", arguments(try TestPrograms.freePort()))
                        }
                    }
                }
            }
            var ready: [Int: ServeInstance] = [:]
            for try await (index, instance) in group { ready[index] = instance }
            return names.indices.map { ready[$0]! }
        }
    }

    private func launch(_ name: String, _ arguments: [String]) throws -> ChildProcess {
        let child = try ChildProcess(name: name, executable: TestPrograms.walletbridge, arguments: arguments,
                                     directory: directory, logDirectory: directory)
        children.withLock { $0.append(child) }
        reaper?.watch(child.pid)
        return child
    }

    private func ready(_ name: String, _ child: ChildProcess, apiKey: String?) async throws -> ServeInstance {
        let line = try await child.firstLine(timeout: .seconds(45))
        let json = try JSONValue(parsing: line)
        guard let url = json["listening"]?.stringValue, let key = apiKey ?? json["apiKey"]?.stringValue else {
            throw HarnessError("\(name)'s ready line lacks listening or apiKey: \(line)\(child.diagnostics())")
        }
        return ServeInstance(name: name, process: child, url: url, crm: CRMClient(baseURL: url, apiKey: key))
    }

    /// The ready line's fields of an instance (to compare what several printed).
    func readyLine(_ instance: ServeInstance) throws -> JSONValue {
        let text = try String(contentsOf: instance.process.stdoutURL, encoding: .utf8)
        return try JSONValue(parsing: String(text.prefix { $0 != "\n" }))
    }

    /// SIGKILL: the instance ends at once, mid-request, mid-transaction, mid-POST.
    func kill(_ instance: ServeInstance) async {
        Glibc.kill(instance.process.pid, SIGKILL)
        let deadline = ContinuousClock.now + .seconds(5)
        while ChildProcess.isAlive(instance.process.pid), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Stops every process started (SIGTERM, then SIGKILL after the grace), all at once.
    func stopAll() async {
        let all = children.withLock { $0 }
        await withTaskGroup(of: Void.self) { group in
            for child in all { group.addTask { await child.stop(grace: .seconds(5)) } }
        }
        reaper?.finish()
    }

    // MARK: Commands

    /// Runs `walletbridge ARGUMENTS` to its end (its outputs in files of the folder), without blocking the pool.
    func walletbridge(_ arguments: [String], environment extra: [String: String] = [:],
                      timeout: Duration = .seconds(60)) async throws -> CommandResult {
        let number = commands.add(1, ordering: .relaxed).newValue
        let base = directory.appendingPathComponent("command-\(number)-\(arguments.prefix(2).joined(separator: "-"))")
        let stdoutURL = base.appendingPathExtension("stdout")
        let stderrURL = base.appendingPathExtension("stderr")
        _ = FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestPrograms.walletbridge)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        var environment = ProcessInfo.processInfo.environment
        for (key, value) in extra { environment[key] = value }
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        let output = try FileHandle(forWritingTo: stdoutURL)
        let errors = try FileHandle(forWritingTo: stderrURL)
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        try? output.close()
        try? errors.close()
        let pid = process.processIdentifier
        // Polled rather than waitUntilExit(): Foundation may miss the exit of a child that ends right after it
        // starts, and would then wait for ever (see PostgresTestServer.isAlive).
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ChildProcess.isAlive(pid) {
            guard ContinuousClock.now < deadline else {
                Glibc.kill(pid, SIGKILL)
                throw HarnessError("walletbridge \(arguments.joined(separator: " ")) did not finish within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        let settled = ContinuousClock.now + .seconds(1)
        while process.isRunning, ContinuousClock.now < settled { try await Task.sleep(for: .milliseconds(10)) }
        return CommandResult(
            arguments: arguments, status: process.isRunning ? nil : process.terminationStatus,
            stdout: (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: stderrURL, encoding: .utf8)) ?? "")
    }

    /// `walletbridge operator ARGUMENTS --server URL --transport sim:ledger --path P` as `who`, with a state folder
    /// (`XDG_STATE_HOME`, where the session token is cached) of that operator's own.
    func asOperator(_ who: DemoOperator, _ arguments: [String], server: ServeInstance) async throws -> CommandResult {
        try await walletbridge(["operator"] + arguments + ["--server", server.url, "--transport", "sim:ledger", "--path", who.path],
                               environment: ["XDG_STATE_HOME": stateHome(who).path])
    }

    /// The operator's `XDG_STATE_HOME`.
    func stateHome(_ who: DemoOperator) -> URL {
        let folder = directory.appendingPathComponent("state-\(who.name)")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// The session token the CLI cached for `who` at `server` (CONTRACT 3: `$XDG_STATE_HOME/walletbridge/`).
    func cachedToken(_ who: DemoOperator, server: ServeInstance) throws -> String {
        let folder = stateHome(who).appendingPathComponent("walletbridge")
        for file in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] {
            let json = try JSONValue(parsing: try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8))
            if json["server"]?.stringValue == server.url, let token = json["token"]?.stringValue { return token }
        }
        throw HarnessError("no session of \(who.name) for \(server.url) cached in \(folder.path)")
    }

    /// `walletbridge audit verify --db URL`.
    func auditVerify() async throws -> CommandResult {
        try await walletbridge(["audit", "verify", "--db", database])
    }

    // MARK: The database

    /// Runs one SQL statement on a connection of its own (on a thread of its own: libpq blocks) and returns the rows.
    func sql(_ query: String, _ parameters: [String?] = []) async throws -> [[String?]] {
        let url = database
        return try await onThread { () throws -> [[String?]] in
            let connection = try PostgresConnection(conninfo: url)
            defer { connection.close() }
            return try connection.query(query, parameters).rows
        }
    }

    /// A single integer the query answers (`count(*)`, say).
    func sqlInteger(_ query: String, _ parameters: [String?] = []) async throws -> Int {
        let rows = try await sql(query, parameters)
        guard let text = rows.first?.first ?? nil, let value = Int(text) else {
            throw HarnessError("\(query) answered \(rows)")
        }
        return value
    }

    /// Writes a file into the cluster's folder.
    func write(_ name: String, _ text: String) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }
}

/// Decimal money text <-> minor units with 2 decimals (USD), exact.
enum Money {
    /// `-1500.00` -> -150000, `5000` -> 500000, `0.5` -> 50; nil for anything else.
    static func cents(_ text: String) -> Int? {
        var digits = Substring(text)
        let negative = digits.hasPrefix("-")
        if negative { digits = digits.dropFirst() }
        let parts = digits.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let whole = Int(parts[0]) else { return nil }
        var fraction = parts.count == 2 ? String(parts[1]) : ""
        guard fraction.count <= 2, fraction.allSatisfy(\.isNumber) else { return nil }
        fraction += String(repeating: "0", count: 2 - fraction.count)
        let value = whole * 100 + Int(fraction)!
        return negative ? -value : value
    }

    /// -150000 -> `-1500.00`.
    static func text(_ cents: Int) -> String {
        let magnitude = abs(cents)
        let fraction = magnitude % 100
        return "\(cents < 0 ? "-" : "")\(magnitude / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}

/// Kills the processes it was told about should this test process die before ``finish()``: a shell reading pids
/// from a socket whose only other end is this process (close-on-exec, so no child inherits it). End-of-file, which
/// the kernel delivers however this process ends, makes it SIGKILL every pid it read since the last `clear`.
final class ProcessReaper: @unchecked Sendable {
    // @unchecked: `socket` is written under `lock`; the Process is only kept alive.
    private let shell: Process
    private let socket: Int32
    private let lock = NSLock()
    private var open = true

    init() throws {
        var pair: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            throw HarnessError("socketpair: \(String(cString: strerror(errno)))")
        }
        let script = """
            pids=""
            while read -r line; do
                case "$line" in clear) pids="" ;; *) pids="$pids $line" ;; esac
            done
            [ -n "$pids" ] && kill -KILL $pids 2>/dev/null
            exit 0
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script, "walletbridge-cluster-reaper"]
        process.standardInput = FileHandle(fileDescriptor: pair[1], closeOnDealloc: false)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            close(pair[0])
            close(pair[1])
            throw error
        }
        close(pair[1])
        shell = process
        socket = pair[0]
    }

    /// Adds a pid to kill if this process dies.
    func watch(_ pid: Int32) { send("\(pid)\n") }

    /// Everything was stopped normally: the shell forgets the pids and exits.
    func finish() {
        send("clear\n")
        lock.lock()
        defer { lock.unlock() }
        if open {
            open = false
            close(socket)
        }
    }

    deinit { finish() }

    private func send(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        guard open else { return }
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }
}
