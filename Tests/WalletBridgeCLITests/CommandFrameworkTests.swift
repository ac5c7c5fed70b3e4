import BridgeCore
import Testing
@testable import WalletBridgeCLI

/// The parser and help on a small tree of their own, so every rule is tested apart from the real commands.
@Suite("Command framework")
struct CommandFrameworkTests {
    /// `tool echo ...` returns what it parsed; `tool fail` throws; `tool group leaf` is nested.
    static let tool = Command(
        name: "tool",
        abstract: "A sample tool.",
        subcommands: [
            Command(
                name: "echo",
                abstract: "Print what was parsed.",
                discussion: "Echoes its options and arguments as JSON.",
                options: [
                    .value("name", "NAME", help: "A name.", required: true),
                    .value("tag", "TAG", help: "A tag.", repeatable: true),
                    .value("count", "N", help: "How many.", default: "3"),
                    .flag("loud", help: "Shout."),
                ],
                optionGroups: [DeviceSelection.options],
                arguments: [
                    CommandArgument("WORD", help: "A word."),
                    CommandArgument("EXTRA", help: "Another word.", required: false),
                ],
                run: { arguments, io in
                    io.progress("echoing")
                    let device = try DeviceSelection(arguments)
                    return [
                        "name": arguments.value("name").map(JSONValue.string) ?? .null,
                        "tags": .array(arguments.values("tag").map(JSONValue.string)),
                        "count": .number(JSONNumber(try arguments.integer("count", in: 0...9) ?? -1)),
                        "loud": .bool(arguments.flag("loud")),
                        "word": arguments.argument("WORD").map(JSONValue.string) ?? .null,
                        "extra": arguments.argument("EXTRA").map(JSONValue.string) ?? .null,
                        "timeout": .number(JSONNumber(device.timeoutSeconds)),
                        "transport": device.transport.map(JSONValue.string) ?? .null,
                    ]
                }
            ),
            Command(
                name: "fail",
                abstract: "Always fails.",
                options: [.flag("foreign", help: "Throw an error that is not a BridgeError.")],
                run: { arguments, _ in
                    if arguments.flag("foreign") { throw CancellationError() }
                    throw GenericBridgeError(.noDevice, "No device found")
                }
            ),
            Command(
                name: "group",
                abstract: "A group of commands.",
                subcommands: [Command(name: "leaf", abstract: "A leaf.", run: { _, _ in ["leaf": true] })]
            ),
        ]
    )

    func runTool(_ arguments: String...) async -> CLIRun {
        await runCLI(arguments, root: Self.tool)
    }

    @Test("--opt value, --opt=value, repeatable options, flags, defaults and positionals")
    func parsesEverything() async throws {
        let run = await runTool("echo", "--name=Ann", "--tag", "a", "word", "--tag=b", "--loud", "--transport", "sim:ledger")
        #expect(run.exitCode == 0)
        #expect(run.stdout == #"{"name":"Ann","tags":["a","b"],"count":3,"loud":true,"word":"word","extra":null,"timeout":120,"transport":"sim:ledger"}"# + "\n")
    }

    @Test("Progress goes to stderr, the result alone to stdout")
    func progressOnStderr() async throws {
        let run = await runTool("echo", "--name", "Ann", "w")
        #expect(run.stderr == "echoing\n")
        #expect(try run.json()["name"] == "Ann")
    }

    @Test("-- ends the options: what follows is positional")
    func doubleDash() async throws {
        let run = await runTool("echo", "--name", "Ann", "--", "--loud", "-h")
        #expect(run.exitCode == 0)
        let json = try run.json()
        #expect(json["word"] == "--loud")
        #expect(json["extra"] == "-h")
        #expect(json["loud"] == false)
    }

    @Test("- and negative numbers are values, not options")
    func dashValues() async throws {
        let run = await runTool("echo", "--name", "-", "--count", "-1", "-")
        #expect(run.exitCode == 2)
        #expect(run.errorMessage == "--count must be a whole number from 0 to 9, got '-1'")
        let accepted = await runTool("echo", "--name", "-5", "-")
        #expect(try accepted.json()["name"] == "-5")
        #expect(try accepted.json()["word"] == "-")
    }

    @Test("A missing value is a usage error, also when another option follows")
    func missingValue() async throws {
        for arguments in [["echo", "w", "--name"], ["echo", "--name", "--loud", "w"]] {
            let run = await runCLI(arguments, root: Self.tool)
            #expect(run.exitCode == 2)
            #expect(run.errorCode == -10)
            #expect(run.errorMessage == "Missing value for --name")
        }
    }

    @Test("A missing required option is a usage error naming it")
    func missingRequired() async throws {
        let run = await runTool("echo", "w")
        #expect(run.exitCode == 2)
        #expect(run.errorMessage == "Missing required option --name NAME for tool echo")
        #expect(run.hint == "Run `tool echo --help` to see what it accepts.")
    }

    @Test("A non-repeatable option given twice is a usage error")
    func repeatedOption() async throws {
        let run = await runTool("echo", "--name", "a", "--name", "b", "w")
        #expect(run.exitCode == 2)
        #expect(run.errorMessage == "--name was given more than once")
    }

    @Test("A flag takes no value")
    func flagWithValue() async throws {
        let run = await runTool("echo", "--name", "a", "--loud=yes", "w")
        #expect(run.exitCode == 2)
        #expect(run.errorMessage == "--loud is a flag and takes no value")
    }

    @Test("Too many or too few positionals are usage errors")
    func positionalCounts() async throws {
        let tooMany = await runTool("echo", "--name", "a", "one", "two", "three")
        #expect(tooMany.exitCode == 2)
        #expect(tooMany.errorMessage == "Unexpected argument 'three' for tool echo")
        let tooFew = await runTool("echo", "--name", "a")
        #expect(tooFew.exitCode == 2)
        #expect(tooFew.errorMessage == "Missing argument WORD for tool echo")
    }

    @Test("An unknown option suggests the nearest, also from a shared group; a single dash is caught too")
    func suggestions() async throws {
        let run = await runTool("echo", "--name", "a", "--timout", "5", "w")
        #expect(run.exitCode == 2)
        #expect(run.hint.hasPrefix("Did you mean '--timeout'?"))
        let singleDash = await runTool("echo", "-name", "a", "w")
        #expect(singleDash.errorMessage == "Unknown option '-name' for tool echo")
        #expect(singleDash.hint.hasPrefix("Did you mean '--name'?"))
    }

    @Test("A bad --timeout from the device group is a usage error")
    func badTimeout() async throws {
        let run = await runTool("echo", "--name", "a", "--timeout", "soon", "w")
        #expect(run.exitCode == 2)
        #expect(run.errorMessage == "--timeout must be a whole number from 1 to 86400, got 'soon'")
        let good = await runTool("echo", "--name", "a", "--timeout=5", "w")
        #expect(try good.json()["timeout"] == 5)
    }

    @Test("--help anywhere wins, even after a mistake, and prints that command's help")
    func helpAnywhere() async throws {
        let run = await runTool("echo", "--bogus", "--name", "-h")
        #expect(run.exitCode == 0)
        #expect(run.stdout.hasPrefix("tool echo: Print what was parsed."))
        #expect(run.stderr.isEmpty)
    }

    @Test("Help shows usage, description, arguments, options with value names, defaults and groups")
    func helpContents() async throws {
        let help = await runTool("echo", "--help").stdout
        #expect(help.contains("USAGE: tool echo --name NAME [options] WORD [EXTRA]"))
        #expect(help.contains("Echoes its options and arguments as JSON."))
        #expect(help.contains("ARGUMENTS:\n  WORD                      A word."))
        #expect(help.contains("  --name NAME               A name. (required)"))
        #expect(help.contains("  --tag TAG                 A tag. (repeatable)"))
        #expect(help.contains("  --count N                 How many. (default: 3)"))
        #expect(help.contains("  --loud                    Shout."))
        #expect(help.contains("DEVICE SELECTION:"))
        #expect(help.contains("(default: 120)"))
        for option in DeviceSelection.options.options {
            #expect(help.contains("  " + option.synopsis), "help should list \(option.synopsis)")
        }
        for line in help.split(separator: "\n") {
            #expect(line.count <= Command.helpWidth, "too long: \(line)")
        }
    }

    @Test("The device-selection group declares the contract's options")
    func deviceGroup() {
        #expect(DeviceSelection.options.options.map(\.name) == [
            "device", "transport", "sim-mnemonic", "sim-passphrase", "timeout", "pin", "passphrase-on-host",
        ])
        #expect(DeviceSelection.options.options.allSatisfy { !$0.isFlag })
    }

    @Test("Nested commands: a group alone shows its help on stderr and exits 2; its leaf runs")
    func nested() async throws {
        let group = await runTool("group")
        #expect(group.exitCode == 2)
        #expect(group.stderr.contains("USAGE: tool group COMMAND"))
        #expect(group.stderr.contains("  leaf "))
        #expect(group.errorMessage == "No command given to tool group")
        let leaf = await runTool("group", "leaf")
        #expect(leaf.exitCode == 0)
        #expect(leaf.stdout == #"{"leaf":true}"# + "\n")
        let help = await runTool("group", "leaf", "--help")
        #expect(help.stdout.contains("USAGE: tool group leaf"))
        let unknown = await runTool("group", "lef")
        #expect(unknown.errorMessage == "Unknown command 'lef' for tool group")
        #expect(unknown.hint.hasPrefix("Did you mean 'leaf'?"))
    }

    @Test("A thrown error prints as the contract's JSON with exit 1")
    func runtimeErrors() async throws {
        let bridge = await runTool("fail")
        #expect(bridge.exitCode == 1)
        #expect(bridge.stdout == #"{"error":"No device found","code":-1,"hint":"\#(ErrorCode.noDevice.defaultHint)"}"# + "\n")
        let foreign = await runTool("fail", "--foreign")
        #expect(foreign.exitCode == 1)
        #expect(foreign.errorCode == -20)
    }

    @Test("--version exists only where a command declares a version")
    func versionOnlyAtRoot() async throws {
        let run = await runCLI(["typed-data-hash", "--version"])
        #expect(run.exitCode == 2)
        #expect(run.errorMessage == "Unknown option '--version' for walletbridge typed-data-hash")
        let tool = await runTool("--version")
        #expect(tool.exitCode == 2)
    }

    @Test("Suggestions: close names only")
    func nearestName() {
        #expect(NearestName.editDistance("kitten", "sitting") == 3)
        #expect(NearestName.editDistance("", "abc") == 3)
        #expect(NearestName.editDistance("pni", "pin") == 1)
        #expect(NearestName.suggestion(for: "--dev", among: ["--device", "--timeout"]) == "--device")
        #expect(NearestName.suggestion(for: "--pni", among: ["--pin", "--file"]) == "--pin")
        #expect(NearestName.suggestion(for: "--zzzzzz", among: ["--pin", "--file"]) == nil)
        #expect(NearestName.suggestion(for: "x", among: []) == nil)
    }
}
