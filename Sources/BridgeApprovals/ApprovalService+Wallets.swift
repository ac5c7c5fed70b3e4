import BridgeCore

extension ApprovalService {
    /// Metadata key of the counter behind wallet ids (`w00000001`, ...), so ids sort in creation order.
    static let walletSequenceKey = "wallet.sequence"

    /// A wallet to create: its owner, currency and opening balance as decimal text in the currency's units
    /// (`"250.00"`), taken from the currency's settlement account.
    public struct NewWallet: Sendable, Equatable {
        public let externalUserID: String
        public let currency: String
        public let initialBalance: String

        public init(externalUserID: String, currency: String, initialBalance: String = "0") {
            self.externalUserID = externalUserID
            self.currency = currency
            self.initialBalance = initialBalance
        }
    }

    /// Creates `externalUserID`'s wallet in `currency`, funded with `initialBalance` minor units taken from the
    /// currency's settlement account (double entry: the currency's balances still sum to the same). Audited.
    /// Creates the settlement account on the currency's first wallet. `invalid_request` when the user already has an
    /// open wallet in that currency; `invalid_amount` for a negative balance or one the settlement account cannot give.
    @discardableResult
    public func createWallet(externalUserID: String, currency code: String, initialBalance: Int128 = 0,
                             actor: String = "system") throws(ApprovalError) -> Wallet {
        try Self.validateIdentifier(externalUserID, what: "external_user_id")
        let currency = try configuration.currency(code)
        guard (0...MinorUnits.maximumMagnitude).contains(initialBalance) else {
            throw .invalidAmount("an initial balance must be 0 to 10^36 minor units")
        }
        return try store.transaction { transaction throws(ApprovalError) in
            let now = clock.now()
            return try insertWallet(externalUserID: externalUserID, currency: currency, initialBalance: initialBalance,
                                    in: transaction, recorder: ChangeRecorder(transaction: transaction, time: now,
                                                                              actor: actor))
        }
    }

    /// Creates every wallet of `wallets` in ONE transaction, or none: the first invalid entry (unknown currency,
    /// malformed id or amount, a wallet that exists, the same pair twice) throws with its 1-based position in
    /// `ApprovalError.invalidRequest`/`invalidAmount`'s message and nothing is created.
    @discardableResult
    public func createWallets(_ wallets: [NewWallet], actor: String, firstLineNumber: Int = 1)
        throws(ApprovalError) -> [Wallet]
    {
        var parsed: [(externalUserID: String, currency: Currency, initialBalance: Int128)] = []
        for (offset, wallet) in wallets.enumerated() {
            let line = firstLineNumber + offset
            do throws(ApprovalError) {
                try Self.validateIdentifier(wallet.externalUserID, what: "external_user_id")
                let currency = try configuration.currency(wallet.currency)
                let balance = try MinorUnits.parse(wallet.initialBalance, decimals: currency.decimals)
                guard balance >= 0 else { throw .invalidAmount("an initial balance must not be negative") }
                parsed.append((wallet.externalUserID, currency, balance))
            } catch {
                throw Self.atLine(line, error)
            }
        }
        return try store.transaction { transaction throws(ApprovalError) in
            let recorder = ChangeRecorder(transaction: transaction, time: clock.now(), actor: actor)
            var created: [Wallet] = []
            for (offset, entry) in parsed.enumerated() {
                do throws(ApprovalError) {
                    created.append(try insertWallet(externalUserID: entry.externalUserID, currency: entry.currency,
                                                    initialBalance: entry.initialBalance, in: transaction,
                                                    recorder: recorder))
                } catch {
                    throw Self.atLine(firstLineNumber + offset, error)
                }
            }
            return created
        }
    }

    /// Closes an external wallet: only at zero balance, with nothing held and no order pending on it. A closed
    /// wallet stays in the books (its orders and audit events keep naming it) but the CRM no longer sees it.
    /// `not_found` for an unknown id, `conflict` when it is already closed or still has money or pending orders.
    @discardableResult
    public func closeWallet(id: String, actor: String) throws(ApprovalError) -> Wallet {
        try store.transaction { transaction throws(ApprovalError) in
            guard var wallet = try transaction.wallet(id: id), wallet.kind == .external else {
                throw .notFound("no external wallet \(id)")
            }
            guard wallet.status == .open else { throw .conflict("wallet \(id) is already closed") }
            let currency = try configuration.currency(wallet.currency)
            guard wallet.balance == 0, wallet.held == 0 else {
                throw .conflict("wallet \(id) holds \(MinorUnits.format(wallet.balance, decimals: currency.decimals)) "
                    + "\(currency.code); move the balance out before closing it")
            }
            let pending = try transaction.pendingOrderCount(walletID: id)
            guard pending == 0 else { throw .conflict("wallet \(id) has \(pending) order(s) waiting for approval") }
            let now = clock.now()
            wallet.status = .closed
            wallet.closedAt = now
            try transaction.updateWallet(wallet)
            try ChangeRecorder(transaction: transaction, time: now, actor: actor).audit("wallet.closed", [
                "wallet_id": .string(wallet.id), "external_user_id": .string(wallet.externalUserID),
                "currency": .string(wallet.currency),
            ])
            return wallet
        }
    }

    /// An import entry's refusal, naming its line (a storage failure stays what it is).
    static func atLine(_ line: Int, _ error: ApprovalError) -> ApprovalError {
        switch error {
        case .storage, .unavailable: return error
        default: return .invalidRequest("line \(line): \(error.message)")
        }
    }

    /// Inserts a new open wallet and moves its opening balance out of the settlement account, audited as
    /// `wallet.created`, in the caller's transaction.
    func insertWallet(externalUserID: String, currency: Currency, initialBalance: Int128,
                      in transaction: any StoreTransaction, recorder: ChangeRecorder,
                      extraAudit: JSONObject = [:]) throws(ApprovalError) -> Wallet
    {
        guard try transaction.wallet(externalUserID: externalUserID, currency: currency.code) == nil else {
            throw .invalidRequest("\(externalUserID) already has a \(currency.code) wallet")
        }
        var settlement = try settlementAccount(currency: currency.code, in: transaction, now: recorder.time)
        settlement.balance = try MinorUnits.subtracting(settlement.balance, initialBalance,
                                                        "the \(currency.code) settlement account's balance")
        let sequence = (try transaction.metadata(Self.walletSequenceKey)).flatMap { Int64($0) } ?? 0
        try transaction.setMetadata(Self.walletSequenceKey, String(sequence + 1))
        let digits = String(sequence + 1)
        let id = "w" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
        let wallet = Wallet(id: id, externalUserID: externalUserID, currency: currency.code,
                            balance: initialBalance, createdAt: recorder.time)
        try Self.checkInvariants(wallet)
        try transaction.insertWallet(wallet)
        try transaction.updateWallet(settlement)
        var payload: JSONObject = [
            "wallet_id": .string(wallet.id), "external_user_id": .string(externalUserID),
            "currency": .string(currency.code),
            "initial_balance": .string(MinorUnits.format(initialBalance, decimals: currency.decimals)),
        ]
        for (key, value) in extraAudit { payload[key] = value }
        try recorder.audit("wallet.created", payload)
        return wallet
    }

    /// Open external wallets in id order, optionally only those of `externalUserIDs`, with the total that matches.
    public func wallets(externalUserIDs: [String]? = nil, skip: Int = 0, limit: Int = 100)
        throws(ApprovalError) -> (wallets: [Wallet], total: Int)
    {
        guard skip >= 0, limit >= 0 else { throw .invalidRequest("skip and limit must not be negative") }
        return try store.read { transaction throws(ApprovalError) in
            try transaction.wallets(externalUserIDs: externalUserIDs, skip: skip, limit: limit)
        }
    }

    /// `externalUserID`'s wallet in `currency`; `account_not_found` when there is none.
    public func wallet(externalUserID: String, currency code: String) throws(ApprovalError) -> Wallet {
        let currency = try configuration.currency(code)
        guard let wallet = try store.committedWallet(externalUserID: externalUserID, currency: currency.code) else {
            throw .accountNotFound(externalUserID: externalUserID, currency: currency.code)
        }
        return wallet
    }

    /// The settlement account of `currency` (the CRM side of every transfer), created at balance 0 when missing.
    func settlementAccount(currency: String, in transaction: any StoreTransaction, now: Timestamp)
        throws(ApprovalError) -> Wallet
    {
        let id = Wallet.settlementID(currency: currency)
        if let existing = try transaction.wallet(id: id) { return existing }
        let created = Wallet(id: id, kind: .settlement, externalUserID: "", currency: currency, createdAt: now)
        try transaction.insertWallet(created)
        return created
    }

    /// External wallets never go negative and never hold more than they have. A violation is a bug in this file's
    /// callers, never bad input (input is refused before anything changes): it fails the transaction, so nothing
    /// wrong is stored and the process keeps serving.
    static func checkInvariants(_ wallet: Wallet) throws(ApprovalError) {
        guard wallet.kind == .external else { return }
        guard wallet.held >= 0, wallet.balance >= wallet.held else {
            throw .storage("invariant broken on wallet \(wallet.id): balance \(wallet.balance), held \(wallet.held)")
        }
    }
}
