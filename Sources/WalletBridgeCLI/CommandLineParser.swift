/// What a command line asks for, once parsed against the command tree.
enum ParseOutcome {
    /// Run a command with its parsed arguments.
    case run(Command.Run, ParsedArguments)
    /// `-h`/`--help` was given: print the help of the last command named (the path from the root).
    case help([Command])
    /// `--version` was given to the root command, the only one with a version.
    case version(name: String, version: String)
    /// A group command was named without one of its subcommands.
    case missingSubcommand([Command])
}

/// Parses a command line against a command tree: `--opt value`, `--opt=value`, flags, `--`, `-h`/`--help`
/// anywhere, subcommand words and positional arguments.
///
/// The first mistake is remembered rather than thrown at once, so `--help` later on the line still wins:
/// someone asking for help should get it even after a typo.
struct CommandLineParser {
    private var path: [Command]
    private var optionValues: [String: [String]] = [:]
    private var flags: Set<String> = []
    private var positionals: [String] = []
    private var helpRequested = false
    private var versionRequested = false
    private var firstError: UsageError?

    private var current: Command { path[path.count - 1] }
    private var commandLine: String { Command.commandLine(path) }

    /// Parses `arguments` (without the program name) for the tree under `root`.
    static func parse(_ arguments: [String], root: Command) throws(UsageError) -> ParseOutcome {
        var parser = CommandLineParser(path: [root])
        var remaining = arguments[...]
        var optionsEnded = false
        while let token = remaining.popFirst() {
            if optionsEnded {
                parser.positionals.append(token)
                continue
            }
            switch token {
            case "--": optionsEnded = true
            case "-h", "--help": parser.helpRequested = true
            // A lone "-" is a value (standard input), not an option.
            case _ where token.hasPrefix("-") && token != "-": parser.readOption(token, rest: &remaining)
            default: parser.readWord(token)
            }
        }
        return try parser.outcome()
    }

    private init(path: [Command]) {
        self.path = path
    }

    private mutating func readOption(_ token: String, rest: inout ArraySlice<String>) {
        let (spelled, inlineValue) = Self.split(token)
        let name = String(spelled.dropFirst(2))
        if spelled == "--version", inlineValue == nil, current.version != nil {
            versionRequested = true
            return
        }
        guard spelled.hasPrefix("--"), let option = current.allOptions.first(where: { $0.name == name }) else {
            let known = current.allOptions.map { "--" + $0.name } + ["--help"]
            let guess = NearestName.suggestion(for: spelled, among: known)
            return fail("Unknown option '\(spelled)' for \(commandLine)", suggesting: guess)
        }
        if option.isFlag {
            guard inlineValue == nil else { return fail("--\(name) is a flag and takes no value") }
            flags.insert(name)
            return
        }
        guard let value = inlineValue ?? Self.takeValue(from: &rest) else {
            let hint = "Write it as \(option.synopsis), or --\(name)=VALUE for a value that starts with a dash."
            return fail(UsageError("Missing value for --\(name)", hint: hint))
        }
        guard option.isRepeatable || optionValues[name] == nil else {
            return fail("--\(name) was given more than once")
        }
        optionValues[name, default: []].append(value)
    }

    /// A word is a subcommand for a group command, otherwise a positional argument.
    private mutating func readWord(_ word: String) {
        guard !current.subcommands.isEmpty else {
            positionals.append(word)
            return
        }
        guard let subcommand = current.subcommand(named: word) else {
            let guess = NearestName.suggestion(for: word, among: current.subcommands.map(\.name))
            return fail("Unknown command '\(word)' for \(commandLine)", suggesting: guess)
        }
        path.append(subcommand)
    }

    private func outcome() throws(UsageError) -> ParseOutcome {
        if helpRequested { return .help(path) }
        if let firstError { throw firstError }
        if versionRequested, let version = path[0].version { return .version(name: path[0].name, version: version) }
        guard let run = current.run else { return .missingSubcommand(path) }

        let declared = current.arguments
        if positionals.count > declared.count {
            throw error("Unexpected argument '\(positionals[declared.count])' for \(commandLine)")
        }
        if let missing = declared.dropFirst(positionals.count).first(where: \.isRequired) {
            throw error("Missing argument \(missing.name) for \(commandLine)")
        }
        var values = optionValues
        for option in current.allOptions where values[option.name] == nil {
            if option.isRequired { throw error("Missing required option \(option.synopsis) for \(commandLine)") }
            if let defaultValue = option.defaultValue { values[option.name] = [defaultValue] }
        }
        let named = Dictionary(uniqueKeysWithValues: zip(declared.map(\.name), positionals))
        return .run(run, ParsedArguments(commandLine: commandLine, optionValues: values, flags: flags, positionalValues: named))
    }

    // MARK: - Helpers

    /// `--name=value` -> ("--name", "value"); `--name` -> ("--name", nil).
    private static func split(_ token: String) -> (spelled: String, inlineValue: String?) {
        guard let equals = token.firstIndex(of: "=") else { return (token, nil) }
        return (String(token[..<equals]), String(token[token.index(after: equals)...]))
    }

    /// The next token as an option's value, unless it is clearly another option (so `--file --help` is caught).
    private static func takeValue(from rest: inout ArraySlice<String>) -> String? {
        guard let next = rest.first, next == "-" || !next.hasPrefix("-") || Self.looksNumeric(next) else { return nil }
        return rest.popFirst()
    }

    /// Negative numbers such as `-100` are values, not options.
    private static func looksNumeric(_ token: String) -> Bool {
        Double(token.dropFirst()) != nil
    }

    private func error(_ message: String) -> UsageError {
        UsageError(message, about: commandLine)
    }

    /// Remembers the first mistake; later ones are usually its consequences.
    private mutating func fail(_ error: UsageError) {
        if firstError == nil { firstError = error }
    }

    private mutating func fail(_ message: String, suggesting guess: String? = nil) {
        fail(UsageError(message, about: commandLine, suggestion: guess))
    }
}
