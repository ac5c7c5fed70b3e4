import BridgePostgres
import Foundation
import ProcessTestSupport
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A PostgreSQL server of one test's own that the test can stop and start again on the same port and data, as an
/// operator restarting the database would (the shared ``PostgresTestServer`` cannot be restarted under the other
/// suites). Made the same way: `initdb` into a fresh temporary folder, `postgres` on a loopback port with
/// `fsync=on`, as the `postgres` user through `setpriv` when this process is root. A watchdog shell stops the server
/// and removes the folder if this process dies before ``remove()``.
///
/// Blocking throughout: call it through `onThread`.
final class RestartablePostgresServer: @unchecked Sendable {
    // @unchecked: `postmaster` changes only in start/stop, which the test calls one at a time.
    let directory: String
    let port: Int
    private var postmaster: Process?
    private let watchdog: Int32

    /// `postgresql://postgres@127.0.0.1:<port>/<database>`.
    func url(database: String) -> String { "postgresql://postgres@127.0.0.1:\(port)/\(database)" }

    private init(directory: String, port: Int, watchdog: Int32) {
        self.directory = directory
        self.port = port
        self.watchdog = watchdog
    }

    /// initdb, then the server started on a free port (a few tries: a port can be taken between probe and bind).
    static func create() throws -> RestartablePostgresServer {
        if let reason = PostgresTestServer.unavailableReason { throw HarnessError(reason) }
        let directory = "/tmp/walletbridge-pg-restart-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        let watchdog: Int32
        do {
            watchdog = try startWatchdog(directory: directory)
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            throw error
        }
        do {
            try handOverToPostgresUser(directory)
            try FileManager.default.createDirectory(atPath: directory + "/socket", withIntermediateDirectories: false,
                                                    attributes: [.posixPermissions: 0o700])
            try handOverToPostgresUser(directory + "/socket")
            let initdb = try launch("initdb", [
                "-D", directory + "/data", "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C",
                "--no-sync", "--no-instructions",
            ], directory: directory, log: directory + "/initdb.log")
            guard waitForExit(initdb.processIdentifier, seconds: 120),
                  FileManager.default.fileExists(atPath: directory + "/data/PG_VERSION") else {
                stopProcess(initdb)
                throw HarnessError("initdb failed: \(logTail(directory + "/initdb.log"))")
            }
            var lastFailure = ""
            for _ in 0..<3 {
                let server = RestartablePostgresServer(directory: directory, port: Int(try TestPrograms.freePort()),
                                                       watchdog: watchdog)
                if try server.startIfPortFree() { return server }
                lastFailure = logTail(directory + "/postgres.log")
            }
            throw HarnessError("postgres did not start: \(lastFailure)")
        } catch {
            try? FileManager.default.removeItem(atPath: directory)
            close(watchdog)
            throw error
        }
    }

    /// Starts the server on its port again (after ``stop()``) and waits until it accepts connections.
    func start() throws {
        guard try startIfPortFree() else {
            throw HarnessError("postgres did not start again on port \(port): \(Self.logTail(directory + "/postgres.log"))")
        }
    }

    /// Fast shutdown (SIGINT: every session is ended, a checkpoint written); returns once the postmaster is gone.
    func stop() {
        guard let postmaster else { return }
        Self.stopProcess(postmaster)
        self.postmaster = nil
    }

    /// Stops the server if it runs and removes the folder; the watchdog then has nothing left to do.
    func remove() {
        stop()
        try? FileManager.default.removeItem(atPath: directory)
        close(watchdog)
    }

    /// Creates an empty database and returns its URL.
    func createDatabase(_ name: String) throws -> String {
        let admin = try PostgresConnection(conninfo: url(database: "postgres"))
        defer { admin.close() }
        _ = try admin.execute("CREATE DATABASE \"\(name)\"")
        return url(database: name)
    }

    private func startIfPortFree() throws -> Bool {
        let process = try Self.launch("postgres", [
            "-D", directory + "/data", "-k", directory + "/socket", "-p", String(port),
            "-c", "listen_addresses=127.0.0.1", "-c", "fsync=on", "-c", "max_connections=100",
        ], directory: directory, log: directory + "/postgres.log", append: true)
        let deadline = Date().addingTimeInterval(60)
        let probe = url(database: "postgres") + "?connect_timeout=2"
        while Date() < deadline {
            if !Self.isAlive(process.processIdentifier) { return false }
            if PostgresConnection.ping(conninfo: probe) {
                postmaster = process
                return true
            }
            usleep(20_000)
        }
        Self.stopProcess(process)
        throw HarnessError("postgres did not accept connections within 60 s")
    }

    // MARK: Processes (as PostgresTestServer does it)

    private static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
        return state != "Z" && state != "X"
    }

    private static func waitForExit(_ pid: Int32, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while isAlive(pid) {
            if Date() >= deadline { return false }
            usleep(10_000)
        }
        return true
    }

    private static func stopProcess(_ process: Process) {
        let pid = process.processIdentifier
        guard isAlive(pid) else { return }
        kill(pid, SIGINT)
        if waitForExit(pid, seconds: 20) { return }
        kill(pid, SIGQUIT)
        if waitForExit(pid, seconds: 2) { return }
        kill(pid, SIGKILL)
        _ = waitForExit(pid, seconds: 2)
    }

    private static func launch(_ tool: String, _ arguments: [String], directory: String, log: String,
                               append: Bool = false) throws -> Process {
        let path = "\(PostgresTestServer.binaries)/\(tool)"
        let process = Process()
        if getuid() == 0 {
            process.executableURL = URL(fileURLWithPath: PostgresTestServer.setpriv)
            process.arguments = ["--reuid=postgres", "--regid=postgres", "--init-groups", "--", path] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = arguments
        }
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("PG") }
        environment["LC_ALL"] = "C"
        process.environment = environment
        if !append || !FileManager.default.fileExists(atPath: log) {
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            try handOverToPostgresUser(log)
        }
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        output.seekToEndOfFile()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? output.close()
        return process
    }

    /// A shell that waits for end-of-file on a socket whose other end only this process holds (close-on-exec), and
    /// then, if the folder is still there, stops the server named in `data/postmaster.pid` and removes the folder.
    private static func startWatchdog(directory: String) throws -> Int32 {
        var pair: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pair) == 0 else {
            throw HarnessError("socketpair: \(String(cString: strerror(errno)))")
        }
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
        process.arguments = ["-c", script, "walletbridge-pg-restart-watchdog", directory]
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
        return pair[0]
    }

    private static func handOverToPostgresUser(_ path: String) throws {
        guard getuid() == 0, let user = getpwnam("postgres") else { return }
        guard chown(path, user.pointee.pw_uid, user.pointee.pw_gid) == 0 else {
            throw HarnessError("cannot hand \(path) to the postgres user: errno \(errno)")
        }
    }

    private static func logTail(_ path: String) -> String {
        String(((try? String(contentsOfFile: path, encoding: .utf8)) ?? "(no log)").suffix(2000))
    }
}
