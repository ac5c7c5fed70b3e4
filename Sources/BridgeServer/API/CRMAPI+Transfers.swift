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
            outcome = try service.submitTransfer(try Self.transferRequest(fields))
        } catch {
            throw Self.transferError(error)
        }
        return try originalAnswer(outcome)
    }

    /// The same route without a thread waiting for the commit, when the store commits on its own thread
    /// (``ApprovalStore/completesTransactionsWithoutBlocking``): the request is checked here, on the worker thread,
    /// its transaction queued for the next group commit, and the answer made on the worker thread once that commit
    /// is durable. The same answers as ``applyTransfer(_:_:)``.
    func applyTransfer(_ request: HTTPRequest, reply: HTTPReply) -> HTTPAnswer {
        guard service.store.completesTransactionsWithoutBlocking else { return .needsBlockingThread }
        let fields: RequestFields
        let transfer: TransferRequest
        do throws(CRMError) {
            fields = try authenticate(request, hasBody: true)
        } catch {
            return .now(error.response)
        }
        do throws(ApprovalError) {
            transfer = try Self.transferRequest(fields)
        } catch {
            return .now(Self.transferError(error).response)
        }
        service.submitTransfer(transfer) { outcome in
            reply.send {
                do throws(CRMError) {
                    return try originalAnswer(outcome.mapError(Self.transferError).get())
                } catch {
                    return error.response
                }
            }
        }
        return .later
    }

    /// The transfer a request's fields ask for. `user_id` (the vendor's own field name) stands in for a missing
    /// `external_user_id`.
    private static func transferRequest(_ fields: RequestFields) throws(ApprovalError) -> TransferRequest {
        var user = try fields.optionalString("external_user_id")
        if user == nil { user = try fields.optionalString("user_id") }
        if user == nil { user = try fields.requiredString("external_user_id") }  // names the CONTRACT's field
        return TransferRequest(orderID: try fields.requiredString("order_id"), externalUserID: user ?? "",
                               currency: try fields.requiredString("currency"),
                               amount: try fields.requiredNumber("amount").text, amountSignedAsJavaScriptNumber: true)
    }

    /// A transfer's refusal in the CRM's shape, with the status CONTRACT 4 gives it.
    private static func transferError(_ error: ApprovalError) -> CRMError {
        CRMError(status: error.transferStatus, type: error.type, message: error.message)
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
