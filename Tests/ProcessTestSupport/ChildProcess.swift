import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A process the tests start (`walletbridge serve`, a bridge, chromedriver), with its standard output and error in
/// files, and a stop that also ends every process it started.
///
/// The outputs go to files rather than pipes: a pipe nobody drains fills up and blocks the child (serve writes its
/// access log on stderr), and a file can be polled without a blocking read. The files stay in the run's temporary
/// directory until the suite ends, and their tails go into failure messages.
public final class ChildProcess: @unchecked Sendable {
    // @unchecked: every stored property is a constant; Process is only asked for its pid and state, and signalled.
    public let name: String
    public let stdoutURL: URL
    public let stderrURL: URL
    private let process: Process

    /// Starts `executable` with `arguments` in `directory`, its outputs in `<logDirectory>/<name>.stdout|stderr`.
    public init(name: String, executable: String, arguments: [String], directory: URL, logDirectory: URL,
         environment: [String: String]? = nil) throws {
        self.name = name
        stdoutURL = logDirectory.appendingPathComponent("\(name).stdout")
        stderrURL = logDirectory.appendingPathComponent("\(name).stderr")
        FileManager.default.createFile(atPath: stdoutURL.path, contents: nil)
        FileManager.default.createFile(atPath: stderrURL.path, contents: nil)
        process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        if let environment { process.environment = environment }
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: stdoutURL)
        process.standardError = try FileHandle(forWritingTo: stderrURL)
        try process.run()
    }

    public var pid: Int32 { process.processIdentifier }
    public var isRunning: Bool { process.isRunning }

    /// The first whole line the process printed on standard output (its JSON ready line), polled for up to `timeout`.
    public func firstLine(timeout: Duration = .seconds(20)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while true {
            let text = (try? String(contentsOf: stdoutURL, encoding: .utf8)) ?? ""
            if let newline = text.firstIndex(of: "\n") { return String(text[..<newline]) }
            guard isRunning else {
                throw HarnessError("\(name) exited (status \(process.terminationStatus)) before its ready line\(diagnostics())")
            }
            guard ContinuousClock.now < deadline else {
                throw HarnessError("\(name) printed no ready line within \(timeout)\(diagnostics())")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// The last lines of both outputs, for failure messages.
    public func diagnostics(lines: Int = 15) -> String {
        func tail(_ url: URL) -> String {
            let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
            return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
        }
        return "\n--- \(name) stdout (\(stdoutURL.path)):\n\(tail(stdoutURL))\n--- \(name) stderr (\(stderrURL.path)):\n\(tail(stderrURL))"
    }

    /// Ends the process and everything it started: SIGTERM first (serve finishes its requests, chromedriver its
    /// browsers), then SIGKILL for whatever is still alive after `grace`. The descendants are listed before the signal
    /// because once their parent is gone they are re-parented and no longer found under it.
    public func stop(grace: Duration = .seconds(3)) async {
        let tree = [pid] + Self.descendants(of: pid)
        guard isRunning else {
            for child in tree.dropFirst() where Self.isAlive(child) { kill(child, SIGKILL) }
            return
        }
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + grace
        while ContinuousClock.now < deadline, tree.contains(where: Self.isAlive) {
            try? await Task.sleep(for: .milliseconds(50))
        }
        for member in tree where Self.isAlive(member) { kill(member, SIGKILL) }
        // Foundation reaps the direct child; wait briefly so the process table shows it gone when the suite ends.
        let reaped = ContinuousClock.now + .seconds(2)
        while isRunning, ContinuousClock.now < reaped { try? await Task.sleep(for: .milliseconds(20)) }
    }

    /// True while `pid` exists and has not exited (a zombie waiting for its parent's wait counts as exited).
    public static func isAlive(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return true }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.first != "Z" && fields.first != "X"
    }

    /// Every process below `pid`, from the parent links in `/proc/<pid>/stat`.
    public static func descendants(of pid: Int32) -> [Int32] {
        var children: [Int32: [Int32]] = [:]
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let child = Int32(entry),
                  let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            // After the command name in parentheses: state, then the parent's pid.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, let parent = Int32(fields[1]) { children[parent, default: []].append(child) }
        }
        var found: [Int32] = []
        var queue = children[pid] ?? []
        while let next = queue.popLast() {
            found.append(next)
            queue += children[next] ?? []
        }
        return found
    }
}

/// A failure of the harness itself (a process that did not start, a port that could not be found), with the
/// processes' output when it helps.
public struct HarnessError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
