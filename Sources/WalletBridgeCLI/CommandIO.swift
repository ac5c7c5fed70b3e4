import BridgeCore
import FoundationEssentials

/// The streams a command talks through, injected so tests run commands in-process and read what they printed.
///
/// Standard output gets exactly one JSON document per run (the runner writes it); progress and prompts go to
/// standard error.
public struct CommandIO: Sendable {
    /// Writes text to standard output, as given (no newline added).
    public let writeOutput: @Sendable (String) -> Void
    /// Writes text to standard error, as given (no newline added).
    public let writeError: @Sendable (String) -> Void
    /// Reads all of standard input, for `--file -`.
    public let readInput: @Sendable () -> [UInt8]

    public init(
        writeOutput: @escaping @Sendable (String) -> Void,
        writeError: @escaping @Sendable (String) -> Void,
        readInput: @escaping @Sendable () -> [UInt8]
    ) {
        self.writeOutput = writeOutput
        self.writeError = writeError
        self.readInput = readInput
    }

    /// The process's own standard streams.
    public static let standard = CommandIO(
        writeOutput: { FileDescriptorIO.writeAll(Array($0.utf8), to: 1) },
        writeError: { FileDescriptorIO.writeAll(Array($0.utf8), to: 2) },
        readInput: { FileDescriptorIO.readAll(from: 0) }
    )

    /// Tells the user something on standard error ("Confirm on your Ledger..."), one line.
    public func progress(_ line: String) {
        writeError(line + "\n")
    }
}
