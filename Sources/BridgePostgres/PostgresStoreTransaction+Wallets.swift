import BridgeApprovals

// Wallets: external users' balances and the settlement accounts. Money is `minor_units`, exact.
extension PostgresStoreTransaction {
    private static let walletColumns = "id, kind, external_user_id, currency, balance, held, created_at, status, closed_at"
    private static let walletByID = "SELECT \(walletColumns) FROM wallets WHERE id = $1"
    private static let walletByUser = """
        SELECT \(walletColumns) FROM wallets WHERE external_user_id = $1 AND currency = $2 AND status = 'open'
        """
    /// One text for any list of ids (so one prepared statement): they travel as a `text[]`, NULL for "all".
    private static let listFilter = """
        kind = 'external' AND status = 'open' AND ($1::text[] IS NULL OR external_user_id = ANY ($1::text[]))
        """

    func wallet(id: String) throws(ApprovalError) -> Wallet? {
        try queryFirst(Self.walletByID, [id], row: Wallet.init(row:))
    }

    func wallet(externalUserID: String, currency: String) throws(ApprovalError) -> Wallet? {
        try queryFirst(Self.walletByUser, [externalUserID, currency], row: Wallet.init(row:))
    }

    func wallets(externalUserIDs: [String]?, skip: Int, limit: Int) throws(ApprovalError) -> (wallets: [Wallet], total: Int) {
        let ids: String? = .textArray(externalUserIDs)
        let total = try queryFirst("SELECT count(*) FROM wallets WHERE \(Self.listFilter)", [ids]) { row throws(ApprovalError) in
            try row.int(0)
        } ?? 0
        let wallets = try query(
            "SELECT \(Self.walletColumns) FROM wallets WHERE \(Self.listFilter) ORDER BY id LIMIT $2 OFFSET $3",
            [ids, .integer(max(0, limit)), .integer(max(0, skip))], row: Wallet.init(row:)
        )
        return (wallets, total)
    }

    func allWallets() throws(ApprovalError) -> [Wallet] {
        try query("SELECT \(Self.walletColumns) FROM wallets ORDER BY id", row: Wallet.init(row:))
    }

    func insertWallet(_ wallet: Wallet) throws(ApprovalError) {
        try run(
            "INSERT INTO wallets (\(Self.walletColumns)) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            [wallet.id, wallet.kind.rawValue, wallet.externalUserID, wallet.currency, .money(wallet.balance),
             .money(wallet.held), .time(wallet.createdAt), wallet.status.rawValue, .time(wallet.closedAt)]
        )
    }

    func updateWallet(_ wallet: Wallet) throws(ApprovalError) {
        // Only the balances and the open/closed status change; identity columns stay as inserted, and a closed
        // wallet never reopens.
        if wallet.status == .open {
            try updateOne("wallet \(wallet.id)", "UPDATE wallets SET balance = $1, held = $2 WHERE id = $3 AND status = 'open'",
                          [.money(wallet.balance), .money(wallet.held), wallet.id])
        } else {
            try updateOne("wallet \(wallet.id)",
                          "UPDATE wallets SET balance = $1, held = $2, status = 'closed', closed_at = $3 WHERE id = $4",
                          [.money(wallet.balance), .money(wallet.held), .time(wallet.closedAt), wallet.id])
        }
    }
}
