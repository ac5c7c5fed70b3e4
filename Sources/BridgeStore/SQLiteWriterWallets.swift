import BridgeApprovals

/// The wallet rows the writer connection's transactions have read or written, as they stand inside the write
/// transaction: every transfer reads its wallet and its currency's settlement account, and the same few rows come back
/// body after body, so the writer reads each from SQLite once instead of once per transfer.
///
/// It must never show a row that differs from what a `SELECT` on the writer would return now. So it is:
/// - updated by the writer's own inserts and updates (``remember(_:)``), which are all the changes this process makes
///   to wallets (``SQLiteStoreTransaction``'s `insertWallet` and `updateWallet`);
/// - emptied whenever changes are undone (``forgetAll()``: a body rolled back to its savepoint, a failed commit, a
///   transaction SQLite rolled back on its own), since it cannot tell which rows the undone changes touched;
/// - emptied at the start of a write transaction when another connection (another process on the same file) has
///   committed since the last one (``beginTransaction(on:)``, by `PRAGMA data_version`, which changes only for other
///   connections' commits).
///
/// Only the writer's ``SQLiteDatabase`` has one in use; read-only connections never consult it.
final class SQLiteWriterWallets {
    private var byID: [String: Wallet] = [:]
    /// Open wallets by owner and currency (`user` + NUL + `currency`), pointing into `byID`.
    private var openByOwner: [String: String] = [:]
    /// `PRAGMA data_version` when the last write transaction began (nil: not read yet).
    private var dataVersion: Int64?

    /// The most rows kept: a bound, not a working set (a deployment's hot wallets are few); beyond it, it starts over.
    let capacity: Int

    init(capacity: Int = 4096) {
        self.capacity = max(1, capacity)
    }

    /// How many rows are kept (for tests).
    var count: Int { byID.count }

    /// The wallet `id`, if this connection's transactions have seen it.
    func wallet(id: String) -> Wallet? { byID[id] }

    /// The open wallet of `externalUserID` in `currency`, if seen. Nil says nothing: look it up.
    func openWallet(externalUserID: String, currency: String) -> Wallet? {
        guard let id = openByOwner[Self.ownerKey(externalUserID, currency)], let wallet = byID[id],
              wallet.status == .open else { return nil }
        return wallet
    }

    /// `wallet` is the row as it now stands in the writer's transaction (read, inserted or updated).
    func remember(_ wallet: Wallet) {
        if byID.count >= capacity, byID[wallet.id] == nil { forgetAll() }
        byID[wallet.id] = wallet
        // At most one open wallet per owner and currency (the `wallets_open_by_owner` unique index).
        let key = Self.ownerKey(wallet.externalUserID, wallet.currency)
        if wallet.status == .open {
            openByOwner[key] = wallet.id
        } else if openByOwner[key] == wallet.id {
            openByOwner[key] = nil
        }
    }

    /// Changes were undone: what is kept may be older than the rows.
    func forgetAll() {
        byID.removeAll(keepingCapacity: true)
        openByOwner.removeAll(keepingCapacity: true)
    }

    /// Called right after `BEGIN IMMEDIATE` on `database`: forgets everything when another connection has committed
    /// since the last write transaction began (its changes may have touched wallets).
    func beginTransaction(on database: SQLiteDatabase) {
        let version = try? database.queryFirst("PRAGMA data_version") { row throws(ApprovalError) in try row.int64(0) }
        // Unreadable (nil): nothing kept can be trusted, nor the next comparison.
        if version == nil || version != dataVersion { forgetAll() }
        dataVersion = version
    }

    private static func ownerKey(_ externalUserID: String, _ currency: String) -> String {
        externalUserID + "\u{0}" + currency
    }
}
