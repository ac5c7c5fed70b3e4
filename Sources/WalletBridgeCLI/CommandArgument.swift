/// A positional argument, such as the `ORDER_ID` of `operator approve ORDER_ID`.
public struct CommandArgument: Sendable {
    /// What help and `ParsedArguments.argument(_:)` call it, e.g. `ORDER_ID`.
    public let name: String
    /// One sentence for `--help`.
    public let help: String
    /// Whether parsing fails without it. Optional arguments must come after the required ones.
    public let isRequired: Bool

    public init(_ name: String, help: String, required isRequired: Bool = true) {
        self.name = name
        self.help = help
        self.isRequired = isRequired
    }
}
