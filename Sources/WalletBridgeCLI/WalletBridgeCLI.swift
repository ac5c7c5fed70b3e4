import BridgeCore

/// The `walletbridge` command-line tool as a library: parse, run, print one JSON document, return the exit code.
public enum WalletBridgeCLI {
    /// The tool's version, printed by `walletbridge --version`.
    public static let version = "0.1.0"

    /// Exit codes (CONTRACT.md section 1).
    public enum ExitCode {
        public static let success: Int32 = 0
        /// The command ran and failed: a device, file or input problem.
        public static let failure: Int32 = 1
        /// The command line was wrong; nothing ran.
        public static let usage: Int32 = 2
    }

    /// Runs `walletbridge` with `arguments` (without the program name) and returns the process exit code.
    /// Everything it prints goes through `io`, so tests call this in-process.
    public static func run(_ arguments: [String], io: CommandIO) async -> Int32 {
        await run(arguments, io: io, root: .walletbridge)
    }

    /// What a command line asks for once parsed: an answer already given (help, the version, a usage error), or a
    /// command to run.
    public enum Invocation: Sendable {
        /// Printed already; the exit code.
        case answered(Int32)
        /// A command: run it (in Swift concurrency) for the exit code.
        case command(@Sendable () async -> Int32)
    }

    /// Parses `arguments` and answers what needs no command run. The `walletbridge` executable calls this first, so
    /// `--version`, `--help` and usage errors answer without starting Swift concurrency's threads (issue 16: about a
    /// millisecond of a five-millisecond start).
    public static func prepare(_ arguments: [String], io: CommandIO) -> Invocation {
        prepare(arguments, io: io, root: Command.tree(for: arguments))
    }

    /// Runs any command tree; the public entry point uses the real one, tests also use small ones of their own.
    static func run(_ arguments: [String], io: CommandIO, root: Command) async -> Int32 {
        switch prepare(arguments, io: io, root: root) {
        case .answered(let code): code
        case .command(let body): await body()
        }
    }

    static func prepare(_ arguments: [String], io: CommandIO, root: Command) -> Invocation {
        do {
            switch try CommandLineParser.parse(arguments, root: root) {
            case .help(let path):
                io.writeOutput(Command.helpText(for: path))
                return .answered(ExitCode.success)
            case .version(let name, let version):
                print(["name": .string(name), "version": .string(version)], to: io)
                return .answered(ExitCode.success)
            case .missingSubcommand(let path):
                // Bare `walletbridge` (or `walletbridge operator`): show the way on stderr, keep stdout JSON.
                io.writeError(Command.helpText(for: path))
                let commandLine = Command.commandLine(path)
                print(UsageError("No command given to \(commandLine)", about: commandLine).jsonObject, to: io)
                return .answered(ExitCode.usage)
            case .run(let run, let parsedArguments):
                return .command {
                    do {
                        if let document = try await run(parsedArguments, io) { print(document, to: io) }
                        return ExitCode.success
                    } catch {
                        return report(error, to: io)
                    }
                }
            }
        } catch {
            return .answered(report(error, to: io))
        }
    }

    /// Prints a failure as the run's JSON document and gives its exit code.
    private static func report(_ error: any Error, to io: CommandIO) -> Int32 {
        if let usage = error as? UsageError {
            print(usage.jsonObject, to: io)
            return ExitCode.usage
        }
        print(error.asBridgeError.jsonObject, to: io)
        return ExitCode.failure
    }

    /// The one JSON document of a run: compact, on one line.
    private static func print(_ document: JSONValue, to io: CommandIO) {
        io.writeOutput(document.serialized() + "\n")
    }
}
