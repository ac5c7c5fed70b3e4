import BridgeApprovals
import BridgeCore

extension ApprovalTally {
    /// The `approvals` list of an order's status, oldest first: `[{operator, decision, at, reason?, counts,
    /// operator_status}]`, operators by name. `counts` is false (and `operator_status` "revoked") for an approval
    /// whose operator was revoked while the order was pending: it was withdrawn and the order needs another approver.
    var approvalsJSON: JSONValue {
        .array(entries.map { entry in
            var object: JSONObject = [
                "operator": .string(entry.operatorName),
                "decision": .string(entry.record.decision.rawValue),
                "at": .string(entry.record.createdAt.rfc3339),
            ]
            if let reason = entry.record.reason { object["reason"] = .string(reason) }
            object["counts"] = .bool(entry.counts)
            object["operator_status"] = entry.operatorStatus.map { .string($0.rawValue) } ?? .null
            return .object(object)
        })
    }
}
