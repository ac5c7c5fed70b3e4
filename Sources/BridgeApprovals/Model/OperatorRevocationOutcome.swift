/// What revoking an operator changed, as the `operator.revoked` audit event records it.
public struct OperatorRevocationOutcome: Sendable, Hashable {
    /// The operator as stored now: status revoked, with the time.
    public let revokedOperator: Operator
    /// Why, as the admin gave it (nil when none was given).
    public let reason: String?
    /// SHA-256 of the bearer tokens of the sessions that were still live and ended at once.
    public let endedSessions: [[UInt8]]
    /// Orders still pending approval on which the operator's approval stopped counting, oldest first.
    public let withdrawnOrderIDs: [String]

    public init(revokedOperator: Operator, reason: String?, endedSessions: [[UInt8]], withdrawnOrderIDs: [String]) {
        self.revokedOperator = revokedOperator
        self.reason = reason
        self.endedSessions = endedSessions
        self.withdrawnOrderIDs = withdrawnOrderIDs
    }
}
