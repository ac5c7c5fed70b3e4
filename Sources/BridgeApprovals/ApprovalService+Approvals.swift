import BridgeCore
import BridgeCrypto

extension ApprovalService {
    /// The EIP-712 document an operator signs to decide on a pending order: `TransferApproval`, or
    /// `TransferRejection` carrying `reason`. Built from the STORED order, so what the device shows is what counts.
    public func approvalDocument(orderID: String, decision: ApprovalRecord.Decision = .approve, reason: String? = nil)
        throws(ApprovalError) -> JSONValue
    {
        let order = try store.read { transaction throws(ApprovalError) in
            guard let order = try transaction.order(id: orderID) else { throw .orderNotFound(orderID: orderID) }
            return order
        }
        guard order.status == .pendingApproval else { throw .orderNotPending(orderID: orderID, status: order.status) }
        let kind: ApprovalTypedData.Kind = decision == .approve ? .transferApproval : .transferRejection
        return typedData.document(kind, message: try transferMessage(order, decision: decision, reason: reason))
    }

    /// Checks a device-signed decision exactly as ``submitDecision(orderID:decision:signature:reason:sessionOperatorID:)``
    /// does and returns the operator whose decision it would be, changing nothing (dry runs, benchmarks).
    public func verifyDecision(orderID: String, decision: ApprovalRecord.Decision, signature: [UInt8],
                               reason: String? = nil, sessionOperatorID: String? = nil) throws(ApprovalError) -> Operator
    {
        let parsedSignature = try Self.parseDecisionInput(signature: signature, reason: reason)
        return try store.transaction { transaction throws(ApprovalError) in
            try verifiedDecision(in: transaction, orderID: orderID, decision: decision, signature: signature,
                                 parsedSignature: parsedSignature, reason: reason, sessionOperatorID: sessionOperatorID,
                                 now: clock.now()).signer
        }
    }

    /// Records an operator's device-signed decision on a pending order, applying it EXACTLY ONCE when the approvals
    /// reach the quorum, or rejecting it at once on a signed rejection (the hold is released).
    ///
    /// The signature counts only if it recovers, over the document rebuilt from the stored order (content, nonce,
    /// expiry), to an ACTIVE enrolled operator who is the session's operator (when `sessionOperatorID` is given), is
    /// eligible under the order's policy, did not initiate the order, and has not decided this order yet; before the
    /// order expires; and the signature was never used before. Each refusal is its own error and changes nothing.
    @discardableResult
    public func submitDecision(orderID: String, decision: ApprovalRecord.Decision, signature: [UInt8],
                               reason: String? = nil, sessionOperatorID: String? = nil) throws(ApprovalError)
        -> TransferOrder
    {
        let parsedSignature = try Self.parseDecisionInput(signature: signature, reason: reason)
        return try store.transaction { transaction throws(ApprovalError) in
            let now = clock.now()
            let verified = try verifiedDecision(in: transaction, orderID: orderID, decision: decision, signature: signature,
                                                parsedSignature: parsedSignature, reason: reason,
                                                sessionOperatorID: sessionOperatorID, now: now)
            var order = verified.order
            let signingOperator = verified.signer
            let earlier = verified.earlier
            let currency = try configuration.currency(order.currency)
            let record = ApprovalRecord(orderID: orderID, operatorID: signingOperator.id, decision: decision,
                                        signature: signature, createdAt: now, reason: decision == .reject ? reason ?? "" : nil)
            try transaction.insertApproval(record)
            let recorder = ChangeRecorder(transaction: transaction, time: now, actor: "operator:" + signingOperator.id)
            var recorded: JSONObject = [
                "order_id": .string(orderID), "operator_id": .string(signingOperator.id),
                "operator_name": .string(signingOperator.name), "address": .string(signingOperator.address.checksummed),
                "decision": .string(decision.rawValue), "signature": .string(Hex.encodePrefixed(signature)),
            ]
            if decision == .reject { recorded["reason"] = .string(reason ?? "") }

            guard var wallet = try transaction.wallet(id: order.walletID) else {
                throw .storage("order \(orderID) names wallet \(order.walletID), which is missing")
            }
            switch decision {
            case .reject:
                try recorder.audit("approval.rejected", recorded)
                try releaseHold(of: order, wallet: &wallet, in: transaction)
                order.status = .rejected
                order.decidedAt = now
                order.reason = "rejected by \(signingOperator.name)" + ((reason ?? "").isEmpty ? "" : ": \(reason ?? "")")
                try transaction.updateOrder(order)
                try recordStatusChange(order, wallet: wallet, decimals: currency.decimals, recorder: recorder)

            case .approve:
                let approvers = try countingApprovers(earlier + [record], in: transaction)
                recorded["approvals"] = .number(JSONNumber(approvers))
                recorded["approvals_required"] = .number(JSONNumber(order.approvalsRequired))
                try recorder.audit("approval.accepted", recorded)
                guard approvers >= order.approvalsRequired else { break }
                // Quorum: the hold becomes the debit itself, in this same transaction, so it happens exactly once.
                try releaseHold(of: order, wallet: &wallet, in: transaction)
                try moveFunds(of: order, wallet: &wallet, in: transaction, now: now)
                order.status = .completed
                order.decidedAt = now
                order.balanceAfter = wallet.balance
                try transaction.updateOrder(order)
                try recordStatusChange(order, wallet: wallet, decimals: currency.decimals, recorder: recorder)
            }
            return order
        }
    }

    /// A decision that passed every check, with what recording it needs.
    struct VerifiedDecision {
        let order: TransferOrder
        let signer: Operator
        /// The decisions already recorded on the order.
        let earlier: [ApprovalRecord]
    }

    /// Refuses a malformed signature or an overlong reason before any lookup.
    static func parseDecisionInput(signature: [UInt8], reason: String?) throws(ApprovalError) -> EthereumSignature {
        if let reason, reason.utf8.count > maximumTextLength {
            throw .invalidRequest("the reason is longer than \(maximumTextLength) bytes")
        }
        return try parseSignature(signature)
    }

    /// Every check a decision must pass, in the caller's transaction; the first that fails throws its own error.
    func verifiedDecision(in transaction: any StoreTransaction, orderID: String, decision: ApprovalRecord.Decision,
                          signature: [UInt8], parsedSignature: EthereumSignature, reason: String?,
                          sessionOperatorID: String?, now: Timestamp) throws(ApprovalError) -> VerifiedDecision
    {
        guard let order = try transaction.order(id: orderID) else { throw .orderNotFound(orderID: orderID) }
        guard order.status == .pendingApproval else { throw .orderNotPending(orderID: orderID, status: order.status) }
        if try transaction.approval(signature: signature) != nil { throw .replayedSignature }
        if let expiresAt = order.expiresAt, now >= expiresAt {
            throw .expired("The approval window of order \(orderID) (until \(expiresAt.rfc3339))")
        }
        let kind: ApprovalTypedData.Kind = decision == .approve ? .transferApproval : .transferRejection
        let digest = try typedData.digest(kind, message: try transferMessage(order, decision: decision, reason: reason))
        let signer = try Self.recoverSigner(parsedSignature, digest: digest)

        if let sessionOperatorID {
            guard let sessionOperator = try transaction.operatorRecord(id: sessionOperatorID) else {
                throw .sessionInvalid("operator \(sessionOperatorID) does not exist")
            }
            // Over a different document (altered content, another order's nonce) recovery yields a stranger.
            guard sessionOperator.address == signer else {
                throw .invalidSignature("it does not recover to \(sessionOperator.name)'s key over order \(orderID)'s "
                    + "\(kind.rawValue) as stored (signed content differs, or another key signed)")
            }
        }
        // Lowercase hex: what stores key addresses by, and cheaper than the EIP-55 form.
        guard let signingOperator = try transaction.operatorRecord(address: Hex.encodePrefixed(signer.bytes)) else {
            throw .notEnrolled(address: signer.checksummed)
        }
        guard signingOperator.status == .active else { throw .operatorRevoked(name: signingOperator.name) }
        guard Self.isEligible(signingOperator, for: order) else {
            throw .notAllowedByPolicy("\(signingOperator.name) (\(signingOperator.role.rawValue)) is not among the "
                + "approvers policy \(order.policyName ?? "default") names for order \(orderID)")
        }
        if order.initiatorOperatorID == signingOperator.id {
            throw .notAllowedByPolicy("\(signingOperator.name) initiated order \(orderID) and cannot decide on it")
        }
        let earlier = try transaction.approvals(orderID: orderID)
        guard !earlier.contains(where: { $0.operatorID == signingOperator.id }) else {
            throw .alreadyDecided(operatorName: signingOperator.name, orderID: orderID)
        }
        return VerifiedDecision(order: order, signer: signingOperator, earlier: earlier)
    }

    /// The message an operator signs for `decision` on `order`.
    func transferMessage(_ order: TransferOrder, decision: ApprovalRecord.Decision, reason: String?)
        throws(ApprovalError) -> JSONObject
    {
        let currency = try configuration.currency(order.currency)
        return typedData.transferMessage(for: order, decimals: currency.decimals,
                                         rejectionReason: decision == .reject ? reason ?? "" : nil)
    }

    /// A 65-byte r || s || v signature, or `signature_invalid` naming what is wrong with it.
    static func parseSignature(_ bytes: [UInt8]) throws(ApprovalError) -> EthereumSignature {
        do {
            return try EthereumSignature(bytes: bytes)
        } catch {
            throw .invalidSignature(error.message)
        }
    }

    /// The address whose key made `signature` over `digest`.
    static func recoverSigner(_ signature: EthereumSignature, digest: [UInt8]) throws(ApprovalError) -> EthereumAddress {
        do {
            return try signature.recoverSigner(digest: digest)
        } catch {
            throw .invalidSignature(error.message)
        }
    }

    /// Operators that may decide `order`: one of its roles (an admin may do what an approver may) or named by name
    /// or id. An order that names nobody accepts any active operator.
    static func isEligible(_ candidate: Operator, for order: TransferOrder) -> Bool {
        guard let eligibility = order.eligibleApprovers, !(eligibility.roles.isEmpty && eligibility.operators.isEmpty)
        else { return true }
        return eligibility.roles.contains { candidate.role >= $0 }
            || eligibility.operators.contains(candidate.name) || eligibility.operators.contains(candidate.id)
    }

    /// Distinct operators whose approvals still count: revoked operators' signatures no longer do.
    func countingApprovers(_ records: [ApprovalRecord], in transaction: any StoreTransaction) throws(ApprovalError) -> Int {
        var counted: Set<String> = []
        for record in records where record.decision == .approve && !counted.contains(record.operatorID) {
            guard let approver = try transaction.operatorRecord(id: record.operatorID), approver.status == .active else {
                continue
            }
            counted.insert(record.operatorID)
        }
        return counted.count
    }
}
