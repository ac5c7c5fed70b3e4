import BridgeCore

/// The command line itself is wrong: an unknown option or command, a missing value or argument.
///
/// Printed like any error (`{"error","code","hint"}`, code -10) but exits with 2, as the contract asks for usage errors.
public struct UsageError: BridgeError, Equatable {
    public let message: String
    public let hint: String

    public init(_ message: String, hint: String) {
        self.message = message
        self.hint = hint
    }

    /// A usage error about `commandLine` (e.g. `walletbridge typed-data-hash`) whose hint points at its help,
    /// after "Did you mean ...?" when there is a likely `suggestion`.
    public init(_ message: String, about commandLine: String, suggestion: String? = nil) {
        let seeHelp = "Run `\(commandLine) --help` to see what it accepts."
        self.init(message, hint: suggestion.map { "Did you mean '\($0)'? \(seeHelp)" } ?? seeHelp)
    }

    public var code: ErrorCode { .badArgument }
}
