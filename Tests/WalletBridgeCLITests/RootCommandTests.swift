import BridgeCore
import Testing
@testable import WalletBridgeCLI

@Suite("walletbridge root command")
struct RootCommandTests {
    @Test("--help lists every command and --version, exit 0")
    func rootHelp() async {
        let run = await runCLI(["--help"])
        #expect(run.exitCode == 0)
        #expect(run.stdout.hasPrefix("walletbridge: "))
        #expect(run.stdout.contains("USAGE: walletbridge COMMAND"))
        for command in Command.walletbridge.subcommands {
            #expect(run.stdout.contains("  \(command.name) "), "help should list \(command.name)")
        }
        #expect(run.stdout.contains("--version"))
        #expect(run.stderr.isEmpty)
    }

    @Test("The lazily built top-level commands are the tree's, by name and in help order")
    func topLevelTableMatchesTree() {
        #expect(Command.topLevel.map(\.name) == Command.walletbridge.subcommands.map(\.name))
        for entry in Command.topLevel {
            #expect(entry.make().name == entry.name)
        }
    }

    @Test("Parsing against the pruned tree answers exactly as the whole tree: help, errors, --version, a run")
    func prunedTreeAnswersAsTheWholeTree() async {
        let commandLines: [[String]] = [
            ["--version"], ["--version", "xpub"], ["xpub", "--help"], ["xpub", "--bogus"], ["operator"],
            ["operator", "approve", "--help"], ["operator", "nope"], ["simulate", "--help"], ["serve", "--demo", "--config", "x"],
            ["udev"], ["typed-data-hash"], ["xpbu"], [], ["--help"], ["--", "xpub"],
        ]
        for arguments in commandLines {
            let pruned = await runCLI(arguments, root: Command.tree(for: arguments))
            let whole = await runCLI(arguments)
            #expect(pruned.exitCode == whole.exitCode, "\(arguments)")
            #expect(pruned.stdout == whole.stdout, "\(arguments)")
            #expect(pruned.stderr == whole.stderr, "\(arguments)")
        }
        #expect(Command.tree(for: ["xpub", "--account", "1"]).subcommands.map(\.name) == ["xpub"])
        #expect(Command.tree(for: ["--version"]).subcommands.isEmpty)
    }

    @Test("-h is the same as --help")
    func shortHelp() async {
        let long = await runCLI(["--help"])
        let short = await runCLI(["-h"])
        #expect(short.exitCode == 0)
        #expect(short.stdout == long.stdout)
    }

    @Test("--version prints the name and version as one JSON line")
    func version() async throws {
        let run = await runCLI(["--version"])
        #expect(run.exitCode == 0)
        #expect(run.stdout == #"{"name":"walletbridge","version":"0.1.0"}"# + "\n")
        #expect(WalletBridgeCLI.version == "0.1.0")
    }

    @Test("No command: help on stderr, usage error JSON on stdout, exit 2")
    func noCommand() async throws {
        let run = await runCLI([])
        #expect(run.exitCode == 2)
        #expect(run.stderr.contains("USAGE: walletbridge COMMAND"))
        #expect(run.stderr.contains("typed-data-hash"))
        #expect(run.errorCode == -10)
        #expect(run.errorMessage == "No command given to walletbridge")
    }

    @Test("An unknown command is a usage error that suggests the nearest one")
    func unknownCommand() async throws {
        let run = await runCLI(["typed-data-hsh", "--file", "x.json"])
        #expect(run.exitCode == 2)
        #expect(run.errorCode == -10)
        #expect(run.errorMessage == "Unknown command 'typed-data-hsh' for walletbridge")
        #expect(run.hint.hasPrefix("Did you mean 'typed-data-hash'?"))
    }

    @Test("A command nothing resembles gets no suggestion")
    func unknownCommandWithoutSuggestion() async throws {
        let run = await runCLI(["frobnicate"])
        #expect(run.exitCode == 2)
        #expect(run.errorCode == -10)
        #expect(!run.hint.contains("Did you mean"))
    }

    @Test("An unknown option is a usage error that suggests the nearest one")
    func unknownOption() async throws {
        let run = await runCLI(["typed-data-hash", "--fiel", "x.json"])
        #expect(run.exitCode == 2)
        #expect(run.errorCode == -10)
        #expect(run.errorMessage == "Unknown option '--fiel' for walletbridge typed-data-hash")
        #expect(run.hint.hasPrefix("Did you mean '--file'?"))
    }

    @Test("An option before any command is unknown to the root")
    func optionBeforeCommand() async throws {
        let run = await runCLI(["--file", "x.json", "typed-data-hash"])
        #expect(run.exitCode == 2)
        #expect(run.errorMessage == "Unknown option '--file' for walletbridge")
    }

    @Test("stdout of a failure is exactly one compact JSON line")
    func oneDocument() async throws {
        let run = await runCLI(["typed-data-hash"])
        #expect(run.stdout.hasSuffix("}\n"))
        #expect(run.stdout.filter { $0 == "\n" }.count == 1)
        let json = try run.json()
        #expect(json.objectValue?.keys == ["error", "code", "hint"])
    }
}
