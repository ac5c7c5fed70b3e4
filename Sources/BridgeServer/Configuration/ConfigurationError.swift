import BridgeCore

/// A configuration the service refuses to start with: which field, and what is wrong with it.
public struct ConfigurationError: BridgeError, Equatable {
    /// The field's path in the file, e.g. `currencies.USD.decimals` or `crm.allowList[2]`; empty for the whole file.
    public let field: String
    public let problem: String

    public init(field: String, _ problem: String) {
        self.field = field
        self.problem = problem
    }

    public var code: ErrorCode { .badArgument }

    public var message: String {
        field.isEmpty ? "Invalid configuration: \(problem)" : "Invalid configuration: \(field): \(problem)"
    }

    public var hint: String { "Fix the field in the configuration file (every field is described in deploy/CONFIGURATION.md)." }
}
