import BridgeCore
import Foundation
import Synchronization
@testable import WalletBridgeCLI

/// What one in-process run of the tool printed and returned.
struct CLIRun {
    let exitCode: Int32
    let stdout: String
    let stderr: String

    /// Standard output parsed as the run's one JSON document.
    func json() throws -> JSONValue {
        try JSONValue(parsing: stdout)
    }

    /// The `error` message of a failed run's JSON, or "" when there is none.
    var errorMessage: String {
        ((try? json())?["error"]?.stringValue) ?? ""
    }

    /// The `hint` of a failed run's JSON, or "" when there is none.
    var hint: String {
        ((try? json())?["hint"]?.stringValue) ?? ""
    }

    /// The `code` of a failed run's JSON, or nil when there is none.
    var errorCode: Int64? {
        (try? json())?["code"]?.numberValue?.int64Value
    }
}

/// Collects what a run writes to one stream; runs may write from any task.
final class StreamCapture: Sendable {
    private let text = Mutex("")

    func append(_ chunk: String) {
        text.withLock { $0 += chunk }
    }

    var captured: String {
        text.withLock { $0 }
    }
}

/// Runs the tool in-process with `arguments`, feeding `stdin`, and captures both streams.
/// `root` replaces the real command tree, for testing the framework on a small tree of its own.
func runCLI(_ arguments: [String], stdin: [UInt8] = [], root: Command = .walletbridge) async -> CLIRun {
    let output = StreamCapture()
    let error = StreamCapture()
    let io = CommandIO(writeOutput: output.append, writeError: error.append, readInput: { stdin })
    let exitCode = await WalletBridgeCLI.run(arguments, io: io, root: root)
    return CLIRun(exitCode: exitCode, stdout: output.captured, stderr: error.captured)
}

/// A file in the temporary directory holding `text`, for commands that read `--file`. Remove it with `remove()`.
struct TemporaryFile {
    let path: String

    init(_ text: String) throws {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("walletbridge-cli-test-\(UUID().uuidString).json").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
