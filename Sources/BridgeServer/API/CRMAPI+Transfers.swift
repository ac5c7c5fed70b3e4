import BridgeApprovals
import BridgeCore

extension CRMAPI {
    /// `PATCH /wallets/balance` `{"external_user_id","currency","amount","order_id"}`.
    ///
    /// Answers 200 `{"order_id","status":"completed","wallet"}` when applied, 202 `{"order_id","status":
    /// "pending_approval","approvals_required","expires_at"}` when held for approval, 403 `policy_denied` when a
    /// policy refused it. A retry with the same content gets exactly the original answer (rebuilt from the stored
    /// order, whatever happened to the order since; the CRM polls `GET /wallets/order` for that); other content
    /// under a known `order_id` is 409 `duplicate_order`.
    ///
    /// `amount` must be a JSON number (a string is `invalid_request`); its literal text goes to the session manager
    /// as written, never through `Double`, and must be one JavaScript prints back with the same value (the CRM signs
    /// it that way). A business refusal (`insufficient_funds`, ...) is kept under the `order_id` and repeated to a
    /// retry. `user_id`, the field name of the vendor's own wallet API, is accepted
    /// when `external_user_id` is absent.
    func applyTransfer(_ request: HTTPRequest, _ fields: RequestFields) throws(CRMError) -> HTTPResponse {
        let outcome: TransferOutcome
        do {
            var user = try fields.optionalString("external_user_id")
            if user == nil { user = try fields.optionalString("user_id") }
            if user == nil { user = try fields.requiredString("external_user_id") }  // names the CONTRACT's field
            let transfer = TransferRequest(orderID: try fields.requiredString("order_id"), externalUserID: user ?? "",
                                           currency: try fields.requiredString("currency"),
                                           amount: try fields.requiredNumber("amount").text,
                                           amountSignedAsJavaScriptNumber: true)
            outcome = try service.submitTransfer(transfer)
        } catch {
            throw CRMError(status: error.transferStatus, type: error.type, message: error.message)
        }
        return try originalAnswer(outcome)
    }

    /// The answer the order got when it was received, rebuilt from what is stored, so retries match it exactly.
    func originalAnswer(_ outcome: TransferOutcome) throws(CRMError) -> HTTPResponse {
        let order = outcome.order
        if order.approvalsRequired > 0 {
            return .json([
                "order_id": .string(order.orderID),
                "status": .string(OrderStatus.pendingApproval.rawValue),
                "approvals_required": .number(JSONNumber(order.approvalsRequired)),
                "expires_at": .string((order.expiresAt ?? order.createdAt).rfc3339),
            ], status: 202)
        }
        if order.status == .rejected { throw .policyDenied(orderID: order.orderID, policy: order.policyName) }
        return .json([
            "order_id": .string(order.orderID),
            "status": .string(OrderStatus.completed.rawValue),
            "wallet": walletJSON(outcome.wallet, balance: order.balanceAfter ?? outcome.wallet.balance),
        ])
    }

    /// `GET /wallets/order?order_id=` -> `{"order_id","status","amount","currency","external_user_id","approvals",
    /// "approvals_counted","approvals_required","policy_version"}`; 404 `order_not_found` for an unknown id. An approval
    /// by an operator revoked while the order was pending shows `"counts":false`: the order needs another approver.
    func orderStatus(_ request: HTTPRequest, _ fields: RequestFields) throws(CRMError) -> HTTPResponse {
        do {
            let (order, approvals) = try service.order(id: try request.query.requiredParameter("order_id"))
            let tally = try service.approvalTally(for: order, records: approvals)
            let decimals = MoneyJSON.decimals(of: order.currency, in: service.configuration)
            return .json([
                "order_id": .string(order.orderID),
                "status": .string(order.status.rawValue),
                "amount": MoneyJSON.number(order.amount, decimals: decimals),
                "currency": .string(order.currency),
                "external_user_id": .string(order.externalUserID),
                "approvals": tally.approvalsJSON,
                "approvals_counted": .number(JSONNumber(tally.approvalsCounted)),
                "approvals_required": .number(JSONNumber(tally.approvalsRequired)),
                // The version that decided it: a pending order keeps it whatever takes effect later.
                "policy_version": order.policyVersion.map { .number(JSONNumber($0)) } ?? .null,
            ])
        } catch {
            throw CRMError(error)
        }
    }
}
