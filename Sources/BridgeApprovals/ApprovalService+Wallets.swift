import BridgeCore

extension ApprovalService {
    /// Metadata key of the counter behind wallet ids (`w00000001`, ...), so ids sort in creation order.
    static let walletSequenceKey = "wallet.sequence"

    /// Creates `externalUserID`'s wallet in `currency`, funded with `initialBalance` minor units taken from the
    /// currency's settlement account (double entry: the currency's balances still sum to the same). Audited.
    /// Creates the settlement account on the currency's first wallet.
    @discardableResult
    public func createWallet(externalUserID: String, currency code: String, initialBalance: Int64 = 0,
                             actor: String = "system") throws(ApprovalError) -> Wallet {
        try Self.validateIdentifier(externalUserID, what: "external_user_id")
        let currency = try configuration.currency(code)
        guard (0...MinorUnits.maximumMagnitude).contains(initialBalance) else {
            throw .invalidAmount("an initial balance must be 0 to \(MinorUnits.maximumMagnitude) minor units")
        }
        return try store.transaction { transaction throws(ApprovalError) in
            let now = clock.now()
            guard try transaction.wallet(externalUserID: externalUserID, currency: currency.code) == nil else {
                throw .invalidRequest("\(externalUserID) already has a \(currency.code) wallet")
            }
            var settlement = try settlementAccount(currency: currency.code, in: transaction, now: now)
            let sequence = (try transaction.metadata(Self.walletSequenceKey)).flatMap { Int64($0) } ?? 0
            try transaction.setMetadata(Self.walletSequenceKey, String(sequence + 1))
            let digits = String(sequence + 1)
            let id = "w" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
            let wallet = Wallet(id: id, externalUserID: externalUserID, currency: currency.code,
                                balance: initialBalance, createdAt: now)
            settlement.balance -= initialBalance
            try transaction.insertWallet(wallet)
            try transaction.updateWallet(settlement)
            Self.checkInvariants(wallet)
            try ChangeRecorder(transaction: transaction, time: now, actor: actor).audit("wallet.created", [
                "wallet_id": .string(wallet.id), "external_user_id": .string(externalUserID),
                "currency": .string(currency.code),
                "initial_balance": .string(MinorUnits.format(initialBalance, decimals: currency.decimals)),
            ])
            return wallet
        }
    }

    /// External wallets in id order, optionally only those of `externalUserIDs`, with the total that matches.
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
    /// callers, never bad input (input is refused before anything changes).
    static func checkInvariants(_ wallet: Wallet) {
        guard wallet.kind == .external else { return }
        precondition(wallet.held >= 0 && wallet.balance >= wallet.held,
                     "wallet \(wallet.id): balance \(wallet.balance), held \(wallet.held)")
    }
}
