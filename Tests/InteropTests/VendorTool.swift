import Foundation

/// A vendor's command-line tool from PyPI, in the virtual environment `make interop-tools` creates under
/// `.build/interop/<environment>`; tests that need one are skipped, saying why, when it is not installed.
struct VendorTool: Sendable, CustomStringConvertible {
    /// The environment's folder name (`trezor-0.20`) and the program in its `bin/` (`trezorctl`, `hwi`, `python`).
    let environment: String
    let program: String

    static let trezorctl020 = VendorTool(environment: "trezor-0.20", program: "trezorctl")
    static let trezorctl013 = VendorTool(environment: "trezor-0.13", program: "trezorctl")
    static let hwi = VendorTool(environment: "hwi", program: "hwi")
    /// The Python of the HWI environment: HWI's own trezorlib (hwilib.devices.trezorlib) and ledgercomm.
    static let hwiPython = VendorTool(environment: "hwi", program: "python")
    /// The Python of the Speculos environment: Speculos's own REST client (speculos.client `Api`).
    static let speculosPython = VendorTool(environment: "speculos", program: "python")

    /// `<repo>/.build/interop`: this file is `<repo>/Tests/InteropTests/VendorTool.swift`.
    static let interopDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".build/interop", isDirectory: true)

    var executable: URL { Self.interopDirectory.appendingPathComponent("\(environment)/bin/\(program)") }

    /// Installed: the environment finished installing (its `.installed` stamp) and the program is there.
    var isInstalled: Bool {
        let stamp = Self.interopDirectory.appendingPathComponent("\(environment)/.installed").path
        return FileManager.default.fileExists(atPath: stamp) && FileManager.default.isExecutableFile(atPath: executable.path)
    }

    var description: String { "\(environment)/\(program)" }

    /// What one run printed.
    struct Run: Sendable, CustomStringConvertible {
        var status: Int32
        var output: String
        var errors: String
        var description: String { "exit \(status)\nstdout: \(output)\nstderr: \(errors)" }
        /// The last non-empty line of standard output (trezorctl prints prompts before the answer).
        var lastLine: String { output.split(separator: "\n").last.map(String.init) ?? "" }
    }

    /// Runs the tool with `arguments`, `input` on standard input, and a deadline after which it is killed.
    func run(_ arguments: [String], input: String = "", timeout: TimeInterval = 30) throws -> Run {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        // No terminal: click and getpass read the PIN from standard input; no colours, no update checks.
        environment["PYTHONUNBUFFERED"] = "1"
        environment["NO_COLOR"] = "1"
        environment.removeValue(forKey: "TREZOR_PATH")
        process.environment = environment
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try? stdin.fileHandleForWriting.close()
        // Read both pipes while the process runs, so a chatty tool never blocks on a full pipe.
        let outputs = OutputCollector()
        let group = DispatchGroup()
        for (handle, isError) in [(stdout.fileHandleForReading, false), (stderr.fileHandleForReading, true)] {
            group.enter()
            DispatchQueue.global().async {
                outputs.set(handle.readDataToEndOfFile(), isError: isError)
                group.leave()
            }
        }
        if group.wait(timeout: .now() + timeout) == .timedOut {
            // SIGKILL: a tool blocked in a read (HWI waiting for a device answer) may not act on SIGTERM.
            kill(process.processIdentifier, SIGKILL)
            group.wait()
        }
        process.waitUntilExit()
        let (output, errors) = outputs.texts
        return Run(status: process.terminationStatus, output: output, errors: errors)
    }
}

/// Standard output and error of a run, filled from two reader threads.
private final class OutputCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var output = Data()
    private var errors = Data()

    func set(_ data: Data, isError: Bool) {
        lock.lock()
        defer { lock.unlock() }
        if isError { errors = data } else { output = data }
    }

    var texts: (String, String) {
        lock.lock()
        defer { lock.unlock() }
        return (String(decoding: output, as: UTF8.self), String(decoding: errors, as: UTF8.self))
    }
}
