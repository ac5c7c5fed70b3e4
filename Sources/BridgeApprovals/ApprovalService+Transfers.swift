import BridgeCore

/// A transfer the CRM (or an operator) asks for: CONTRACT 2.1 `PATCH /wallets/balance`.
public struct TransferRequest: Sendable, Equatable {
    /// The CRM's `order_id`: the idempotency key.
    public let orderID: String
    public let externalUserID: String
    public let currency: String
    /// The JSON number's exact text (`-100.5`); positive credits the external wallet, negative debits it.
    public let amount: String
    /// The operator who initiated it, if one did; they never count towards its approvals.
    public let initiatorOperatorID: String?
    /// The amount came as a JSON number that its sender signed as JavaScript prints it (the CRM, CONTRACT 4): a
    /// literal whose `String(Number(literal))` has another value is `invalid_amount`, since the signature could not
    /// cover it (`90071992547409.91` prints as `90071992547409.9`, and either would pass with that signature).
    public let amountSignedAsJavaScriptNumber: Bool

    public init(orderID: String, externalUserID: String, currency: String, amount: String,
                initiatorOperatorID: String? = nil, amountSignedAsJavaScriptNumber: Bool = false) {
        self.orderID = orderID
        self.externalUserID = externalUserID
        self.currency = currency
        self.amount = amount
        self.initiatorOperatorID = initiatorOperatorID
        self.amountSignedAsJavaScriptNumber = amountSignedAsJavaScriptNumber
    }
}

/// The answer to a transfer request: the stored order and the wallet as it is now.
public struct TransferOutcome: Sendable, Equatable {
    public let order: TransferOrder
    public let wallet: Wallet
    /// True when the order id was already known with the same content: the stored outcome, nothing changed.
    public let replayed: Bool

    public init(order: TransferOrder, wallet: Wallet, replayed: Bool) {
        self.order = order
        self.wallet = wallet
        self.replayed = replayed
    }
}

/// Velocity limits read the store inside the transaction that decides, so concurrent orders cannot both slip under.
struct StoreVelocityLookup: VelocityLookup {
    let transaction: any StoreTransaction

    func totals(externalUserID: String, currency: String?, since: Timestamp)
        throws(ApprovalError) -> (count: Int, absoluteSum: Int128)
    {
        try transaction.orderTotals(externalUserID: externalUserID, currency: currency,
                                    statuses: [.completed, .pendingApproval], since: since)
    }
}

extension ApprovalService {
    /// Receives a transfer: validates it, answers a retry with the stored outcome, lets the policy decide and applies,
    /// stores as rejected, or holds it for approval, all in one transaction with its audit events and webhook rows.
    ///
    /// Throws `invalid_request` (order or user id), `currency_not_supported`, `invalid_amount` (unparsable, zero,
    /// more precision than the currency has, beyond what a balance can hold), `duplicate_order` (known id, different
    /// content), `account_not_found`, and `insufficient_funds` for a debit the wallet cannot cover now.
    ///
    /// A business refusal is kept under the order id (CONTRACT 4, ``TransferRefusal``): the CRM records the order as
    /// failed, so the same request later gets the same answer (``ApprovalError/refusedBefore(_:)``, same status and
    /// type) and never moves money, and other content under that id is `duplicate_order`. `invalid_request` is not
    /// kept: such a request was never understood.
    public func submitTransfer(_ request: TransferRequest) throws(ApprovalError) -> TransferOutcome {
        try Self.validateIdentifier(request.orderID, what: "order_id")
        try Self.validateIdentifier(request.externalUserID, what: "external_user_id")
        do {
            return try attemptTransfer(request)
        } catch let error where error.isRememberedTransferRefusal {
            return try rememberRefusal(of: request, error)
        }
    }

    /// ``submitTransfer(_:)`` for a caller that must not wait (an HTTP worker thread): the same checks, transaction
    /// and answers, handed to `completion` once durable. With a store that commits on its own thread
    /// (``ApprovalStore/completesTransactionsWithoutBlocking``) this returns at once and `completion` runs on that
    /// thread, right after the commit, so it must not block; with another store it completes before it returns.
    public func submitTransfer(_ request: TransferRequest,
                               completion: @escaping @Sendable (Result<TransferOutcome, ApprovalError>) -> Void) {
        let currency: Currency
        let amount: Int128
        do throws(ApprovalError) {
            try Self.validateIdentifier(request.orderID, what: "order_id")
            try Self.validateIdentifier(request.externalUserID, what: "external_user_id")
        } catch {
            return completion(.failure(error))
        }
        do throws(ApprovalError) {
            (currency, amount) = try validatedAmount(request)
        } catch {
            guard error.isRememberedTransferRefusal else { return completion(.failure(error)) }
            return rememberRefusal(of: request, error, completion: completion)
        }
        store.submitTransaction({ transaction throws(ApprovalError) in
            try self.decide(request, currency: currency, amount: amount, in: transaction)
        }) { outcome in
            if case .failure(let error) = outcome, error.isRememberedTransferRefusal {
                return self.rememberRefusal(of: request, error, completion: completion)
            }
            completion(outcome)
        }
    }

    /// The amount in minor units, or the refusal: the checks that need no stored state.
    private func validatedAmount(_ request: TransferRequest) throws(ApprovalError) -> (Currency, Int128) {
        let currency = try configuration.currency(request.currency)
        if request.amountSignedAsJavaScriptNumber, !JSONNumber.hasFewSignificantDigits(request.amount) {
            guard let number = JSONNumber(text: request.amount) else {
                throw .invalidAmount("\"\(request.amount)\" is not a JSON number")
            }
            guard number.survivesJavaScriptNumber else {
                throw .invalidAmount("\(request.amount) prints as \(number.javaScriptString) in JavaScript, so the "
                    + "request's signature cannot cover it")
            }
        }
        let amount = try MinorUnits.parse(request.amount, decimals: currency.decimals)
        guard amount != 0 else { throw .invalidAmount("\"\(request.amount)\" is zero; a transfer must move money") }
        return (currency, amount)
    }

    /// Keeps `error` under the request's order id and throws it, in its own transaction (the attempt rolled back).
    /// When the id meanwhile holds an order (a concurrent copy of the request succeeded), or a refusal, the request
    /// gets that stored answer instead, so every copy of one request gets one answer.
    private func rememberRefusal(of request: TransferRequest, _ error: ApprovalError) throws(ApprovalError) -> TransferOutcome {
        let stored = try store.transaction { transaction throws(ApprovalError) in
            try recordRefusal(of: request, error, in: transaction)
        }
        if let stored { return stored }
        throw error
    }

    /// ``rememberRefusal(of:_:)`` for ``submitTransfer(_:completion:)``: the same transaction, submitted without waiting.
    private func rememberRefusal(of request: TransferRequest, _ error: ApprovalError,
                                 completion: @escaping @Sendable (Result<TransferOutcome, ApprovalError>) -> Void) {
        store.submitTransaction({ transaction throws(ApprovalError) in
            try self.recordRefusal(of: request, error, in: transaction)
        }) { outcome in
            switch outcome {
            case .success(let stored?): completion(.success(stored))
            case .success(nil): completion(.failure(error))
            case .failure(let failure): completion(.failure(failure))
            }
        }
    }

    /// Keeps `error` under the request's order id, unless the id meanwhile answers otherwise: then that stored answer
    /// (returned, or thrown).
    private func recordRefusal(of request: TransferRequest, _ error: ApprovalError,
                               in transaction: any StoreTransaction) throws(ApprovalError) -> TransferOutcome? {
        if let replay = try storedAnswer(for: request, in: transaction) { return replay }
        let now = clock.now()
        let refusal = TransferRefusal(orderID: request.orderID, externalUserID: request.externalUserID,
                                      currency: request.currency, amount: TransferRefusal.canonicalAmount(request.amount),
                                      status: error.transferStatus, type: error.type, message: error.message,
                                      createdAt: now)
        try transaction.insertTransferRefusal(refusal)
        let actor = request.initiatorOperatorID.map { "operator:" + $0 } ?? "crm"
        try ChangeRecorder(transaction: transaction, time: now, actor: actor).audit("order.refused", [
            "order_id": .string(request.orderID), "external_user_id": .string(request.externalUserID),
            "currency": .string(request.currency), "amount": .string(request.amount),
            "type": .string(refusal.type), "reason": .string(refusal.message),
        ])
        return nil
    }

    /// What the request's order id already answered: the stored order for the same content (a retry), or throws
    /// `duplicate_order` for other content, or the kept refusal. Nil for a new id.
    private func storedAnswer(for request: TransferRequest, in transaction: any StoreTransaction)
        throws(ApprovalError) -> TransferOutcome?
    {
        if let existing = try transaction.order(id: request.orderID) {
            let currency = try? configuration.currency(request.currency)
            let amount = currency.flatMap { try? MinorUnits.parse(request.amount, decimals: $0.decimals) }
            guard let currency, let amount,
                  existing.hasSameContent(externalUserID: request.externalUserID, currency: currency.code, amount: amount)
            else { throw .duplicateOrder(orderID: request.orderID) }
            guard let wallet = try transaction.wallet(id: existing.walletID) else {
                throw .storage("order \(existing.orderID) names wallet \(existing.walletID), which is missing")
            }
            return TransferOutcome(order: existing, wallet: wallet, replayed: true)
        }
        if let refusal = try transaction.transferRefusal(orderID: request.orderID) {
            guard refusal.hasSameContent(as: request) else { throw .duplicateOrder(orderID: request.orderID) }
            throw .refusedBefore(refusal)
        }
        return nil
    }

    private func attemptTransfer(_ request: TransferRequest) throws(ApprovalError) -> TransferOutcome {
        let (currency, amount) = try validatedAmount(request)
        return try store.transaction { transaction throws(ApprovalError) in
            try decide(request, currency: currency, amount: amount, in: transaction)
        }
    }

    /// The transfer's transaction: answers a retry from what is stored, or lets the policy decide, and applies,
    /// rejects or holds the new order with its audit events and webhook rows.
    private func decide(_ request: TransferRequest, currency: Currency, amount: Int128,
                        in transaction: any StoreTransaction) throws(ApprovalError) -> TransferOutcome {
        let now = clock.now()
        if let replay = try storedAnswer(for: request, in: transaction) { return replay }
        let recorder = ChangeRecorder(transaction: transaction, time: now,
                                      actor: request.initiatorOperatorID.map { "operator:" + $0 } ?? "crm")
        var wallet: Wallet
        if let existing = try transaction.wallet(externalUserID: request.externalUserID, currency: currency.code) {
            wallet = existing
        } else if configuration.autoCreateWallets, amount > 0 {
            // wallets.autoCreate: a credit opens the wallet (at zero; the credit itself moves the money).
            wallet = try insertWallet(externalUserID: request.externalUserID, currency: currency, initialBalance: 0,
                                      in: transaction, recorder: recorder,
                                      extraAudit: ["auto_created_by_order": .string(request.orderID)])
        } else {
            throw .accountNotFound(externalUserID: request.externalUserID, currency: currency.code)
        }
        let facts = TransferFacts(orderID: request.orderID, externalUserID: request.externalUserID,
                                  walletID: wallet.id, currency: currency, amount: amount,
                                  initiatorOperatorID: request.initiatorOperatorID, time: now)
        let inForce = try policyInForce(in: transaction)
        let decision = try inForce.policy.decide(facts, velocity: StoreVelocityLookup(transaction: transaction))

        func newOrder(status: OrderStatus, policy: String?, approvals: Int = 0, eligibility: ApproverEligibility? = nil,
                      nonce: [UInt8] = [], expiresAt: Timestamp? = nil) -> TransferOrder {
            TransferOrder(orderID: request.orderID, externalUserID: request.externalUserID, currency: currency.code,
                          walletID: wallet.id, amount: amount, status: status, policyName: policy,
                          approvalsRequired: approvals, eligibleApprovers: eligibility, nonce: nonce, createdAt: now,
                          expiresAt: expiresAt, decidedAt: status.isFinal ? now : nil,
                          initiatorOperatorID: request.initiatorOperatorID)
        }

        var order: TransferOrder
        var decisionPayload: JSONObject
        switch decision {
        case .allow(let policyName):
            order = newOrder(status: .completed, policy: policyName)
            try requireAvailable(amount, in: wallet, currency: currency)
            try moveFunds(of: order, wallet: &wallet, in: transaction, now: now)
            order.balanceAfter = wallet.balance
            decisionPayload = ["decision": "allow", "policy": policyName.map(JSONValue.string) ?? .null]

        case .deny(let policyName):
            order = newOrder(status: .rejected, policy: policyName)
            order.reason = "denied by policy \(policyName)"
            decisionPayload = ["decision": "deny", "policy": .string(policyName)]

        case .requireApprovals(let policyName, let count, let eligibility, let expiresAfter):
            let window = expiresAfter > .zero ? expiresAfter : configuration.defaultApprovalExpiry
            // A rule asking for zero approvals still needs one: nothing pending applies without a signature.
            let required = max(1, count)
            order = newOrder(status: .pendingApproval, policy: policyName, approvals: required,
                             eligibility: eligibility, nonce: try randomBytes(32), expiresAt: now + window)
            // What quorum will apply must fit then too: a credit that would overflow the wallet or the settlement
            // account is refused now, not after operators have signed it.
            try requireRoom(for: amount, in: wallet, transaction: transaction, now: now)
            if amount < 0 {
                try requireAvailable(amount, in: wallet, currency: currency)
                wallet.held = try MinorUnits.adding(wallet.held, -amount, "wallet \(wallet.id)'s held amount")
                try Self.checkInvariants(wallet)
                try transaction.updateWallet(wallet)
            }
            decisionPayload = [
                "decision": "require_approvals", "policy": .string(policyName),
                "approvals_required": .number(JSONNumber(required)),
                "eligible_roles": .array(eligibility.roles.map(\.rawValue).sorted().map(JSONValue.string)),
                "eligible_operators": .array(eligibility.operators.sorted().map(JSONValue.string)),
                "expires_at": .string((now + window).rfc3339),
            ]
        }
        order.policyVersion = inForce.version
        try transaction.insertOrder(order)

        var received = Self.auditPayload(of: order, decimals: currency.decimals)
        for (key, value) in decisionPayload { received[key] = value }
        if let version = inForce.version { received["policy_version"] = .number(JSONNumber(version)) }
        if let initiator = request.initiatorOperatorID { received["initiator_operator_id"] = .string(initiator) }
        try recorder.audit("order.received", received)
        try recordStatusChange(order, wallet: wallet, decimals: currency.decimals, recorder: recorder)
        return TransferOutcome(order: order, wallet: wallet, replayed: false)
    }

    /// The order and the decisions recorded on it; `order_not_found` when the id is unknown.
    public func order(id: String) throws(ApprovalError) -> (TransferOrder, [ApprovalRecord]) {
        try store.read { transaction throws(ApprovalError) in
            guard let order = try transaction.order(id: id) else { throw .orderNotFound(orderID: id) }
            return (order, try transaction.approvals(orderID: id))
        }
    }

    /// Orders waiting for approval, oldest first.
    public func pendingOrders(limit: Int = 1000) throws(ApprovalError) -> [TransferOrder] {
        try store.read { transaction throws(ApprovalError) in
            try transaction.orders(status: .pendingApproval, limit: limit)
        }
    }

    /// Expires every pending order whose approval window has ended on the clock: holds released, audited, webhooks
    /// queued, in one transaction. Returns the orders it expired.
    @discardableResult
    public func expireDueOrders() throws(ApprovalError) -> [TransferOrder] {
        try store.transaction { transaction throws(ApprovalError) in
            let now = clock.now()
            let recorder = ChangeRecorder(transaction: transaction, time: now, actor: "system")
            var expired: [TransferOrder] = []
            for var order in try transaction.pendingOrders(expiringAtOrBefore: now) {
                let currency = try configuration.currency(order.currency)
                guard var wallet = try transaction.wallet(id: order.walletID) else {
                    throw .storage("order \(order.orderID) names wallet \(order.walletID), which is missing")
                }
                try releaseHold(of: order, wallet: &wallet, in: transaction)
                order.status = .expired
                order.decidedAt = now
                order.reason = "not enough approvals before \((order.expiresAt ?? now).rfc3339)"
                try transaction.updateOrder(order)
                try recordStatusChange(order, wallet: wallet, decimals: currency.decimals, recorder: recorder)
                expired.append(order)
            }
            return expired
        }
    }

    // MARK: Moving money

    /// `insufficient_funds` unless a debit of `amount` fits in the wallet's available balance (credits always fit).
    func requireAvailable(_ amount: Int128, in wallet: Wallet, currency: Currency) throws(ApprovalError) {
        let (available, overflow) = wallet.balance.subtractingReportingOverflow(wallet.held)
        guard !overflow else { throw .storage("wallet \(wallet.id)'s balance and holds are out of range") }
        guard amount < 0, available < -amount else { return }
        throw .insufficientFunds(available: MinorUnits.format(available, decimals: currency.decimals),
                                 requested: MinorUnits.format(-amount, decimals: currency.decimals),
                                 currency: currency.code)
    }

    /// `invalid_amount` unless applying `amount` later would still fit in the wallet and the settlement account.
    func requireRoom(for amount: Int128, in wallet: Wallet, transaction: any StoreTransaction, now: Timestamp)
        throws(ApprovalError)
    {
        _ = try MinorUnits.adding(wallet.balance, amount, "wallet \(wallet.id)'s balance")
        let settlement = try settlementAccount(currency: wallet.currency, in: transaction, now: now)
        _ = try MinorUnits.subtracting(settlement.balance, amount, "the \(wallet.currency) settlement account's balance")
    }

    /// Applies the order: the external wallet gains `amount`, the settlement account loses it. The caller has checked
    /// (or held) the funds for a debit.
    func moveFunds(of order: TransferOrder, wallet: inout Wallet, in transaction: any StoreTransaction, now: Timestamp)
        throws(ApprovalError)
    {
        var settlement = try settlementAccount(currency: order.currency, in: transaction, now: now)
        // Both sums are checked before either row changes; a throw rolls the whole transaction back.
        wallet.balance = try MinorUnits.adding(wallet.balance, order.amount, "wallet \(wallet.id)'s balance")
        settlement.balance = try MinorUnits.subtracting(settlement.balance, order.amount,
                                                        "the \(order.currency) settlement account's balance")
        try Self.checkInvariants(wallet)
        try transaction.updateWallet(wallet)
        try transaction.updateWallet(settlement)
    }

    /// Gives back what a pending debit reserved.
    func releaseHold(of order: TransferOrder, wallet: inout Wallet, in transaction: any StoreTransaction)
        throws(ApprovalError)
    {
        guard order.amount < 0 else { return }
        wallet.held = try MinorUnits.subtracting(wallet.held, -order.amount, "wallet \(wallet.id)'s held amount")
        try Self.checkInvariants(wallet)
        try transaction.updateWallet(wallet)
    }

    /// Audits the order's new status and queues its webhook.
    func recordStatusChange(_ order: TransferOrder, wallet: Wallet, decimals: Int, recorder: ChangeRecorder)
        throws(ApprovalError)
    {
        var payload = Self.auditPayload(of: order, decimals: decimals)
        payload["wallet_balance"] = .string(MinorUnits.format(wallet.balance, decimals: decimals))
        payload["wallet_held"] = .string(MinorUnits.format(wallet.held, decimals: decimals))
        try recorder.audit("order.\(order.status.rawValue)", payload)
        if configuration.queuesWebhooks { try recorder.announce(order, decimals: decimals) }
    }

    static func auditPayload(of order: TransferOrder, decimals: Int) -> JSONObject {
        // Built in its canonical key order, the order the audit hash serializes it in: sorting keys that are already
        // in order takes one comparison per key (every transfer writes two of these on the committer thread).
        var payload: JSONObject = ["amount": .string(MinorUnits.format(order.amount, decimals: decimals))]
        if let balanceAfter = order.balanceAfter {
            payload["balance_after"] = .string(MinorUnits.format(balanceAfter, decimals: decimals))
        }
        payload["currency"] = .string(order.currency)
        payload["external_user_id"] = .string(order.externalUserID)
        payload["order_id"] = .string(order.orderID)
        if let policy = order.policyName { payload["policy"] = .string(policy) }
        if let reason = order.reason { payload["reason"] = .string(reason) }
        payload["status"] = .string(order.status.rawValue)
        payload["wallet_id"] = .string(order.walletID)
        return payload
    }
}
