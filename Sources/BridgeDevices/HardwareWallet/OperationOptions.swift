/// Per-call settings: how long to wait (the user's confirmation included) and where progress goes.
public struct OperationOptions: Sendable {
    public var timeout: Duration
    /// Receives lines such as "Confirm on your Ledger..." (the CLI sends them to stderr).
    public var progress: @Sendable (String) -> Void

    public init(timeout: Duration = .seconds(120), progress: @escaping @Sendable (String) -> Void = { _ in }) {
        self.timeout = timeout
        self.progress = progress
    }
}
