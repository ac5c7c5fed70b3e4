import BridgeApprovals
import BridgeCore

extension OperatorAPI {
    /// Most pending transfers one listing returns.
    static let maximumPending = 1000

    /// `GET /operator/transfers?status=pending` -> `{transfers:[order...]}`, oldest first. Only `pending` (the
    /// default) is listed: decided orders are the CRM's and the audit log's business.
    func transfers(_ request: HTTPRequest, operator: Operator) throws(ApprovalError) -> HTTPResponse {
        let status = request.query["status"] ?? "pending"
        guard status == "pending" || status == OrderStatus.pendingApproval.rawValue else {
            throw .invalidRequest("status=\(status) is not listed; only status=pending is")
        }
        var transfers: [JSONValue] = []
        for order in try service.pendingOrders(limit: Self.maximumPending) {
            let (_, approvals) = try service.order(id: order.orderID)
            transfers.append(try orderJSON(order, approvals: approvals))
        }
        return .json(["transfers": .array(transfers)])
    }

    /// `GET /operator/transfers/{order_id}/approval[?decision=reject&reason=...]` -> the EIP-712 `TransferApproval`
    /// (or `TransferRejection`) built from the stored order.
    func approvalDocument(_ request: HTTPRequest, orderID: String, operator: Operator) throws(ApprovalError)
        -> HTTPResponse
    {
        let decision = try Self.decision(request.query["decision"] ?? "approve")
        return .json(try service.approvalDocument(orderID: orderID, decision: decision,
                                                  reason: decision == .reject ? request.query["reason"] ?? "" : nil))
    }

    /// `POST /operator/transfers/{order_id}/approve` `{signature}` or `/reject` `{signature, reason}` -> the
    /// order's new state. The signature must be the signed-in operator's.
    func decide(_ decision: ApprovalRecord.Decision, _ request: HTTPRequest, orderID: String, operator: Operator)
        throws(ApprovalError) -> HTTPResponse
    {
        let fields = try Self.fields(request)
        let signature = try fields.requiredHex("signature")
        let reason = decision == .reject ? try fields.optionalString("reason") ?? "" : nil
        let order = try service.submitDecision(orderID: orderID, decision: decision, signature: signature,
                                               reason: reason, sessionOperatorID: `operator`.id)
        let (_, approvals) = try service.order(id: orderID)
        return .json(try orderJSON(order, approvals: approvals))
    }

    /// `{order_id, external_user_id, currency, amount, amount_text, direction, status, approvals_required, approvals_counted,
    /// approvals, expires_at, policy, policy_version}`; `reason` when rejected or expired.
    func orderJSON(_ order: TransferOrder, approvals: [ApprovalRecord]) throws(ApprovalError) -> JSONValue {
        let tally = try service.approvalTally(for: order, records: approvals)
        let decimals = MoneyJSON.decimals(of: order.currency, in: service.configuration)
        var object: JSONObject = [
            "order_id": .string(order.orderID),
            "external_user_id": .string(order.externalUserID),
            "currency": .string(order.currency),
            "amount": MoneyJSON.number(order.amount, decimals: decimals),
            // The same amount as exact decimal text: a browser's JSON.parse keeps neither the trailing zeros nor
            // the digits past 2^53 of a number.
            "amount_text": .string(MinorUnits.format(order.amount, decimals: decimals)),
            "direction": .string(order.direction.rawValue),
            "status": .string(order.status.rawValue),
            "approvals_required": .number(JSONNumber(order.approvalsRequired)),
            "approvals_counted": .number(JSONNumber(tally.approvalsCounted)),
            "approvals": tally.approvalsJSON,
            "expires_at": order.expiresAt.map { .string($0.rfc3339) } ?? .null,
            "policy": order.policyName.map(JSONValue.string) ?? .null,
            "policy_version": order.policyVersion.map { .number(JSONNumber($0)) } ?? .null,
        ]
        if let reason = order.reason { object["reason"] = .string(reason) }
        return .object(object)
    }

    static func decision(_ text: String) throws(ApprovalError) -> ApprovalRecord.Decision {
        guard let decision = ApprovalRecord.Decision(rawValue: text) else {
            throw .invalidRequest("decision must be approve or reject, not \(text)")
        }
        return decision
    }
}
