/// An order's recorded decisions and whether each still counts, for showing an order's status: an approval by an
/// operator revoked while the order was pending no longer counts, so the order needs another approver.
public struct ApprovalTally: Sendable, Hashable {
    /// One recorded decision as it stands now.
    public struct Entry: Sendable, Hashable {
        public let record: ApprovalRecord
        /// The operator's name, or their id when the operator's row is missing.
        public let operatorName: String
        /// The operator's status now; nil when the operator's row is missing.
        public let operatorStatus: Operator.Status?
        /// True while the decision counts: its operator was active when the order was decided (or still is, for a
        /// pending order).
        public let counts: Bool

        public init(record: ApprovalRecord, operatorName: String, operatorStatus: Operator.Status?, counts: Bool) {
            self.record = record
            self.operatorName = operatorName
            self.operatorStatus = operatorStatus
            self.counts = counts
        }
    }

    /// Oldest first.
    public let entries: [Entry]
    /// Distinct operators whose approvals count.
    public let approvalsCounted: Int
    /// What the order needs (0 for an order applied at once).
    public let approvalsRequired: Int

    public init(entries: [Entry], approvalsCounted: Int, approvalsRequired: Int) {
        self.entries = entries
        self.approvalsCounted = approvalsCounted
        self.approvalsRequired = approvalsRequired
    }
}
