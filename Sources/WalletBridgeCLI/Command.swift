import BridgeCore

/// A command of the `walletbridge` tool: what it is called, what it accepts, how it documents itself and what it does.
///
/// Commands are plain values. A command either runs (``run`` is set) or groups subcommands (`operator approve`);
/// the root command `walletbridge` is itself a group.
public struct Command: Sendable {
    /// What a command does once its arguments parsed: returns the one JSON document to print, or throws.
    /// A long-running command that printed its document itself as soon as it was ready (`simulate`, `serve`: the
    /// "listening" line) returns nil.
    ///
    /// A thrown error is printed as the contract's error JSON (exit 1; a ``UsageError`` exits 2).
    /// Progress and prompts go to `io`'s standard error, never to standard output.
    public typealias Run = @Sendable (_ arguments: ParsedArguments, _ io: CommandIO) async throws -> JSONValue?

    /// The word that selects it, e.g. `typed-data-hash`.
    public var name: String
    /// One line for the parent's command list and the top of `--help`.
    public var abstract: String
    /// Longer help text: formats, defaults, examples. May be empty.
    public var discussion: String
    /// The command's own options.
    public var options: [CommandOption]
    /// Shared option groups it includes, such as ``DeviceSelection/options``.
    public var optionGroups: [OptionGroup]
    /// Positional arguments, in order.
    public var arguments: [CommandArgument]
    /// Subcommands, for a group command such as `operator`.
    public var subcommands: [Command]
    /// The version `--version` prints; only the root command sets it.
    public var version: String?
    /// What the command does; nil for a group command, which only dispatches to its subcommands.
    public var run: Run?

    public init(
        name: String,
        abstract: String,
        discussion: String = "",
        options: [CommandOption] = [],
        optionGroups: [OptionGroup] = [],
        arguments: [CommandArgument] = [],
        subcommands: [Command] = [],
        version: String? = nil,
        run: Run? = nil
    ) {
        self.name = name
        self.abstract = abstract
        self.discussion = discussion
        self.options = options
        self.optionGroups = optionGroups
        self.arguments = arguments
        self.subcommands = subcommands
        self.version = version
        self.run = run
    }

    /// Every option it accepts: its own, then those of its groups.
    public var allOptions: [CommandOption] {
        options + optionGroups.flatMap(\.options)
    }

    /// How the command at the end of `path` (root first) is typed, e.g. `walletbridge typed-data-hash`.
    static func commandLine(_ path: [Command]) -> String {
        path.map(\.name).joined(separator: " ")
    }

    /// The subcommand called `name`, if any.
    public func subcommand(named name: String) -> Command? {
        subcommands.first { $0.name == name }
    }
}
