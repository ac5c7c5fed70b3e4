import BridgeCore

extension ApprovalService {
    /// `records` (the decisions stored for `order`) as they count now. An approval counts when its operator was
    /// active when the order was decided, or, for an order still pending, is active now: revoking an operator
    /// withdraws their approvals from pending orders but does not rewrite history on decided ones.
    public func approvalTally(for order: TransferOrder, records: [ApprovalRecord]) throws(ApprovalError) -> ApprovalTally {
        guard !records.isEmpty else {
            return ApprovalTally(entries: [], approvalsCounted: 0, approvalsRequired: order.approvalsRequired)
        }
        let operatorsByID = Dictionary(try operators().map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var counted: Set<String> = []
        let entries = records.sorted { $0.createdAt < $1.createdAt }.map { record in
            let signer = operatorsByID[record.operatorID]
            let counts = signer.map { Self.counted($0, on: order) } ?? false
            if counts, record.decision == .approve { counted.insert(record.operatorID) }
            return ApprovalTally.Entry(record: record, operatorName: signer?.name ?? record.operatorID,
                                       operatorStatus: signer?.status, counts: counts)
        }
        return ApprovalTally(entries: entries, approvalsCounted: counted.count, approvalsRequired: order.approvalsRequired)
    }

    /// Whether `signer`'s decision counts on `order`: active, or revoked only after the order was decided. Revoked at
    /// the very millisecond of the decision counts as before it: when in doubt, a revoked key does not count.
    static func counted(_ signer: Operator, on order: TransferOrder) -> Bool {
        if signer.status == .active { return true }
        guard let decidedAt = order.decidedAt, let revokedAt = signer.revokedAt else { return false }
        return revokedAt > decidedAt
    }
}
