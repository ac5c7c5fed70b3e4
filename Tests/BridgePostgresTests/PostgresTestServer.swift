import BridgePostgres
import Foundation
import Synchronization
import Testing

/// A throwaway PostgreSQL 15 server for the tests: `initdb` into a fresh temporary folder, `postgres` on a free
/// loopback port with `fsync=on` (commits are as durable as in production), one database per test, and at the end a
/// fast shutdown and the folder removed.
///
/// The server refuses to run as root, and the tests run as root here: then `initdb` and `postgres` run as the
/// `postgres` user through `setpriv` (which execs, so the process started is the postmaster itself), in a folder
/// owned by that user. A watchdog shell stops the server and removes the folder if this process dies before
/// ``stop()`` (a crash, a SIGKILL), so no run leaves a server or a folder behind.
final class PostgresTestServer: Sendable {
    static let binaries = "/usr/lib/postgresql/15/bin"
    static let setpriv = "/usr/bin/setpriv"

    /// Why no server can be started here, or nil when one can.
    static let unavailableReason: String? = {
        let files = FileManager.default
        for tool in ["initdb", "postgres"] where !files.isExecutableFile(atPath: "\(binaries)/\(tool)") {
            return "\(binaries)/\(tool) is missing (Debian's postgresql-15 package)"
        }
        if getuid() == 0 {
            if !files.isExecutableFile(atPath: setpriv) { return "running as root needs \(setpriv) (util-linux) to drop to the postgres user" }
            if getpwnam("postgres") == nil { return "running as root needs a postgres user (Debian's postgresql-common creates it)" }
        }
        return nil
    }()

    /// True when the binaries (and, as root, a way to run them as `postgres`) are there.
    static var available: Bool { unavailableReason == nil }

    /// The temporary folder: `data` (the cluster), `socket`, `postgres.log`.
    let directory: String
    let port: Int
    private let postmaster: Process
    /// The write end of the watchdog's standard input (see ``startWatchdog(directory:)``).
    private let watchdog: Pipe?
    private let databaseCounter = Atomic<Int>(0)

    /// `postgresql://postgres@127.0.0.1:<port>/<database>`: trust authentication, so no password anywhere.
    func url(database: String) -> String { "postgresql://postgres@127.0.0.1:\(port)/\(database)" }

    private init(directory: String, port: Int, postmaster: Process, watchdog: Pipe?) {
        self.directory = directory
        self.port = port
        self.postmaster = postmaster
        self.watchdog = watchdog
    }

    // MARK: Starting and stopping (blocking: call them on a thread of their own, see PostgresTestServers)

    /// Creates the cluster and starts the server; waits until it accepts connections. Removes everything it made
    /// when any step fails. The watchdog watches from the moment the folder exists.
    static func start() throws -> PostgresTestServer {
        if let unavailableReason { throw PostgresHarnessError(unavailableReason) }
        let directory = "/tmp/walletbridge-pg-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        let watchdog = try? startWatchdog(directory: directory)
        var started: Process?
        do {
            try handOverToPostgresUser(directory)
            try FileManager.default.createDirectory(atPath: directory + "/socket", withIntermediateDirectories: false,
                                                    attributes: [.posixPermissions: 0o700])
            try handOverToPostgresUser(directory + "/socket")
            try initializeCluster(directory)
            var lastFailure = ""
            for _ in 0..<3 {
                let port = try freeLoopbackPort()
                let postmaster = try launch(tool: "postgres", [
                    "-D", directory + "/data", "-k", directory + "/socket", "-p", String(port),
                    "-c", "listen_addresses=127.0.0.1", "-c", "fsync=on", "-c", "max_connections=200",
                ], directory: directory, log: directory + "/postgres.log")
                started = postmaster
                if try waitUntilReady(port: port, postmaster: postmaster) {
                    return PostgresTestServer(directory: directory, port: port, postmaster: postmaster, watchdog: watchdog)
                }
                // Exited: most likely another process took the port between probing and binding; try another.
                lastFailure = logTail(directory + "/postgres.log")
                started = nil
            }
            throw PostgresHarnessError("postgres did not start: \(lastFailure)")
        } catch {
            if let started { stopProcess(started) }
            try? FileManager.default.removeItem(atPath: directory)
            try? watchdog?.fileHandleForWriting.close()
            throw error
        }
    }

    /// Fast shutdown (SIGINT: sessions are ended, a checkpoint is written), then the folder goes.
    func stop() {
        Self.stopProcess(postmaster)
        try? FileManager.default.removeItem(atPath: directory)
        // The folder is gone, so the watchdog, woken by end-of-file, just exits.
        try? watchdog?.fileHandleForWriting.close()
    }

    /// Creates an empty database named after `label` and returns its URL (blocking: a CREATE DATABASE copies the
    /// template and fsyncs it).
    func createDatabase(_ label: String) throws -> String {
        let number = databaseCounter.add(1, ordering: .relaxed).newValue
        let safe = label.lowercased().map { $0.isLetter || $0.isNumber ? $0 : "_" }
        let name = "wb_\(number)_\(String(safe.prefix(40)))"
        let admin = try PostgresConnection(conninfo: url(database: "postgres"))
        defer { admin.close() }
        try admin.execute("CREATE DATABASE \"\(name)\"")
        return url(database: name)
    }

    // MARK: Processes

    /// Whether `pid` still runs, from /proc (a zombie does not): Foundation's `Process` may miss the exit of a child
    /// that ends right after it starts, and would then wait for ever.
    private static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
        return state != "Z" && state != "X"
    }

    /// Waits up to `seconds` for `pid` to end; true when it did.
    private static func waitForExit(_ pid: Int32, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while isAlive(pid) {
            if Date() >= deadline { return false }
            usleep(20_000)
        }
        return true
    }

    private static func stopProcess(_ process: Process) {
        let pid = process.processIdentifier
        guard isAlive(pid) else { return }
        kill(pid, SIGINT)
        if waitForExit(pid, seconds: 20) { return }
        // SIGQUIT: immediate shutdown; then nothing is left to ask.
        kill(pid, SIGQUIT)
        if waitForExit(pid, seconds: 2) { return }
        kill(pid, SIGKILL)
        _ = waitForExit(pid, seconds: 2)
    }

    /// `tool` from the PostgreSQL binaries, as the `postgres` user when this process is root.
    private static func command(_ tool: String, _ arguments: [String]) -> (executable: String, arguments: [String]) {
        let path = "\(binaries)/\(tool)"
        guard getuid() == 0 else { return (path, arguments) }
        // setpriv execs the tool, so the process started is the tool itself (its pid is the postmaster's).
        return (setpriv, ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", path] + arguments)
    }

    private static func launch(tool: String, _ arguments: [String], directory: String, log: String) throws -> Process {
        let (executable, fullArguments) = command(tool, arguments)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = fullArguments
        // The postgres user cannot read the repository: it must not start in it.
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") }
        environment["LC_ALL"] = "C"
        process.environment = environment
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        try handOverToPostgresUser(log)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? output.close()
        return process
    }

    /// `initdb`: trust authentication for the tests' loopback connections, UTF-8, the C locale.
    private static func initializeCluster(_ directory: String) throws {
        let log = directory + "/initdb.log"
        let initdb = try launch(tool: "initdb", [
            "-D", directory + "/data", "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C",
            // The cluster is thrown away: initdb's own fsync of every file only costs time. The server still fsyncs
            // every commit (fsync=on).
            "--no-sync", "--no-instructions",
        ], directory: directory, log: log)
        guard waitForExit(initdb.processIdentifier, seconds: 120) else {
            stopProcess(initdb)
            throw PostgresHarnessError("initdb did not finish within 120 s: \(logTail(log))")
        }
        // Its exit status may not be known (see isAlive): a complete cluster has PG_VERSION and no initdb error.
        let status = initdb.isRunning ? nil : Optional(initdb.terminationStatus)
        guard status ?? 0 == 0, FileManager.default.fileExists(atPath: directory + "/data/PG_VERSION") else {
            throw PostgresHarnessError("initdb failed (exit \(status.map(String.init) ?? "unknown")): \(logTail(log))")
        }
    }

    /// True once the server accepts connections; false when it exited first. Throws after 60 s.
    private static func waitUntilReady(port: Int, postmaster: Process) throws -> Bool {
        let deadline = Date().addingTimeInterval(60)
        let probe = "postgresql://postgres@127.0.0.1:\(port)/postgres?connect_timeout=2"
        while Date() < deadline {
            if !isAlive(postmaster.processIdentifier) { return false }
            if PostgresConnection.ping(conninfo: probe) { return true }
            usleep(50_000)
        }
        throw PostgresHarnessError("postgres did not accept connections within 60 s")
    }

    /// A shell that outlives this process if it dies: it waits for end-of-file on its standard input, a pipe whose
    /// only writer is this process, which the kernel closes however this process ends. Then, if the folder is still
    /// there (``stop()`` did not run), it stops the server it finds in `data/postmaster.pid`, waits for the server to
    /// remove that file (the end of its shutdown) and removes the folder. Foundation starts it in a process group of
    /// its own, as it does the server, so a signal to this process's group reaches neither.
    private static func startWatchdog(directory: String) throws -> Pipe {
        let script = """
            read _ignored
            [ -d "$1" ] || exit 0
            pidfile="$1/data/postmaster.pid"
            if [ -f "$pidfile" ]; then
                pid=$(head -n 1 "$pidfile")
                kill -INT "$pid" 2>/dev/null
                i=0; while [ -f "$pidfile" ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done
                kill -KILL "$pid" 2>/dev/null
            fi
            rm -rf "$1"
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script, "walletbridge-pg-watchdog", directory]
        let pipe = Pipe()
        process.standardInput = pipe
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return pipe
    }

    private static func handOverToPostgresUser(_ path: String) throws {
        guard getuid() == 0, let user = getpwnam("postgres") else { return }
        guard chown(path, user.pointee.pw_uid, user.pointee.pw_gid) == 0 else {
            throw PostgresHarnessError("cannot hand \(path) to the postgres user: errno \(errno)")
        }
    }

    /// A port nothing listens on right now (bound to port 0, read back, released).
    private static func freeLoopbackPort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw PostgresHarnessError("socket() failed: errno \(errno)") }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bind(socket, generic, length) == 0 && getsockname(socket, generic, &length) == 0
            }
        }
        guard bound else { throw PostgresHarnessError("cannot find a free loopback port: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func logTail(_ path: String) -> String {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? "(no log)"
        return String(text.suffix(2000))
    }
}

/// Why the harness could not provide a server.
struct PostgresHarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The one server of this test process: started by the first suite scope that needs it (on a thread of its own, so
/// the cooperative pool never waits for initdb), stopped when the `PostgresTests` suite ends.
actor PostgresTestServers {
    static let shared = PostgresTestServers()
    private var starting: Task<Result<PostgresTestServer, PostgresHarnessError>, Never>?

    /// The running server, started on first use.
    func server() async throws -> PostgresTestServer {
        let task: Task<Result<PostgresTestServer, PostgresHarnessError>, Never>
        if let starting {
            task = starting
        } else {
            task = Task {
                await onThread { () -> Result<PostgresTestServer, PostgresHarnessError> in
                    do {
                        return .success(try PostgresTestServer.start())
                    } catch {
                        return .failure(error as? PostgresHarnessError ?? PostgresHarnessError("\(error)"))
                    }
                }
            }
            starting = task
        }
        return try await task.value.get()
    }

    /// Stops the server if one was started; the next ``server()`` starts a new one.
    func stop() async {
        guard let starting else { return }
        self.starting = nil
        if case .success(let server) = await starting.value {
            await onThread { server.stop() }
        }
    }
}

/// Runs blocking work on a thread of its own and resumes the caller when it is done (the cooperative pool has one
/// thread per core, two here: a test parked in a blocking wait there would stall the others).
func onThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
        Thread { continuation.resume(returning: work()) }.start()
    }
}

/// Like ``onThread(_:)`` for work that throws.
func onThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}

/// Starts the server before the suite it is attached to and stops it (removing its folder) after the last test of
/// that suite and of every suite nested in it.
struct PostgresServerScope: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }

    func provideScope(for test: Test, testCase: Test.Case?,
                      performing function: @Sendable () async throws -> Void) async throws {
        _ = try await PostgresTestServers.shared.server()
        do {
            try await function()
        } catch {
            await PostgresTestServers.shared.stop()
            throw error
        }
        await PostgresTestServers.shared.stop()
    }
}

extension Trait where Self == PostgresServerScope {
    /// One PostgreSQL server for the suite and everything nested in it.
    static var postgresServer: Self { PostgresServerScope() }
}

/// Every PostgreSQL test is nested in this suite (in extensions, one file per concern), so the server starts once
/// for all of them and stops after the last. Skipped, with the reason, where the server binaries are missing.
@Suite("PostgreSQL store",
       .enabled(if: PostgresTestServer.available, "no PostgreSQL server can be started: \(PostgresTestServer.unavailableReason ?? "")"),
       .postgresServer)
struct PostgresTests {
    /// A fresh, empty database on the shared server, for one test.
    static func database(_ label: String = #function) async throws -> String {
        let server = try await PostgresTestServers.shared.server()
        return try await onThread { try server.createDatabase(label) }
    }
}
