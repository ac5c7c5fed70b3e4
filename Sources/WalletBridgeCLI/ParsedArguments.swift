/// What the command line gave a command: option values (defaults filled in), flags and positional arguments.
///
/// The parser has already checked names, required options and argument counts, so a command reads what it
/// declared without further checks; the typed readers below turn a bad value into a ``UsageError``.
public struct ParsedArguments: Sendable {
    /// The command as typed, e.g. `walletbridge typed-data-hash`, for hints.
    public let commandLine: String
    /// Values by option name, in command-line order; a default counts as one value.
    var optionValues: [String: [String]]
    /// The flags that were given.
    var flags: Set<String>
    /// Positional arguments by their declared name.
    var positionalValues: [String: String]

    /// The value of `--name`: the one given, else its default, else nil.
    public func value(_ name: String) -> String? {
        optionValues[name]?.last
    }

    /// Every value of a repeatable `--name`, in order (its default alone when none was given).
    public func values(_ name: String) -> [String] {
        optionValues[name] ?? []
    }

    /// The options and flags given, written back as a command line (`--name value`, `--flag`) in a stable order,
    /// without those in `excluded`: what a command passes on to the commands it runs (`enumerate --watch` to its
    /// listings, `bridge` to the device commands).
    func forwardedOptions(excluding excluded: Set<String>) -> [String] {
        var arguments: [String] = []
        for (name, values) in optionValues.sorted(by: { $0.key < $1.key }) where !excluded.contains(name) {
            for value in values { arguments += ["--" + name, value] }
        }
        for flag in flags.sorted() where !excluded.contains(flag) { arguments.append("--" + flag) }
        return arguments
    }

    /// Whether the flag `--name` was given.
    public func flag(_ name: String) -> Bool {
        flags.contains(name)
    }

    /// The positional argument declared as `name`, if given.
    public func argument(_ name: String) -> String? {
        positionalValues[name]
    }

    /// The value of an option the command declared as required (or with a default).
    ///
    /// Parsing guarantees it, so this only throws when a command reads an option it never declared.
    public func requiredValue(_ name: String) throws(UsageError) -> String {
        guard let value = value(name) else {
            throw UsageError("Missing required option --\(name)", about: commandLine)
        }
        return value
    }

    /// The value of `--name` as an integer within `range`; nil when absent.
    public func integer(_ name: String, in range: ClosedRange<Int>) throws(UsageError) -> Int? {
        guard let text = value(name) else { return nil }
        guard let number = Int(text), range.contains(number) else {
            throw UsageError(
                "--\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound), got '\(text)'",
                about: commandLine
            )
        }
        return number
    }
}
