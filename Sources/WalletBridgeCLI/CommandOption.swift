/// One `--name` option a command accepts, described once for both parsing and help.
public struct CommandOption: Sendable {
    /// The long name without its leading dashes, e.g. `file` for `--file`.
    public let name: String
    /// What help calls the value (`FILE`); nil for a flag, which takes no value.
    public let valueName: String?
    /// One or two sentences for `--help`.
    public let help: String
    /// The value a command sees when the option is absent; help shows it.
    public let defaultValue: String?
    /// Whether parsing fails without it.
    public let isRequired: Bool
    /// Whether it may be given more than once (each value is kept, in order).
    public let isRepeatable: Bool

    /// True for an option that takes no value.
    public var isFlag: Bool { valueName == nil }

    /// How the option is written on the command line: `--file FILE` or `--display`.
    public var synopsis: String {
        valueName.map { "--\(name) \($0)" } ?? "--\(name)"
    }

    /// A flag: present or absent, no value.
    public static func flag(_ name: String, help: String) -> CommandOption {
        CommandOption(name: name, valueName: nil, help: help, defaultValue: nil, isRequired: false, isRepeatable: false)
    }

    /// An option that takes a value, written `--name VALUE` or `--name=VALUE`.
    public static func value(
        _ name: String,
        _ valueName: String,
        help: String,
        default defaultValue: String? = nil,
        required isRequired: Bool = false,
        repeatable isRepeatable: Bool = false
    ) -> CommandOption {
        CommandOption(
            name: name, valueName: valueName, help: help, defaultValue: defaultValue,
            isRequired: isRequired, isRepeatable: isRepeatable
        )
    }
}
