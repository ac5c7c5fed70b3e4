import BridgeApprovals
import BridgeCore

/// The rows of one open SQLite transaction (``SQLiteApprovalStore/transaction(_:)``). Valid only while the body it
/// was handed to runs: afterwards every call fails with a storage error instead of touching another transaction.
final class SQLiteStoreTransaction: StoreTransaction {
    private let database: SQLiteDatabase
    private let auditHead: AuditHeadCache
    /// The chain's newest (sequence, hash) once read in this transaction: no other writer can append while it holds
    /// the write lock, so later appends in the same transaction need not read it again.
    private var auditLink: (sequence: Int64, hash: [UInt8])??
    private var isOpen = true
    /// The writer's wallet cache, told before a wallet row changes (nil on read-only connections).
    private let wallets: SQLiteWalletCache?
    /// The writer connection's wallet rows, read before SQLite and kept current by this transaction's writes (nil on
    /// read-only connections, which must see their own snapshot).
    private let writerWallets: SQLiteWriterWallets?

    init(database: SQLiteDatabase, auditHead: AuditHeadCache, wallets: SQLiteWalletCache? = nil) {
        self.database = database
        self.auditHead = auditHead
        self.wallets = wallets
        writerWallets = wallets == nil ? nil : database.writerWallets
    }

    func end() { isOpen = false }

    func open() throws(ApprovalError) -> SQLiteDatabase {
        guard isOpen else { throw .storage("a store transaction was used after it ended") }
        return database
    }

    /// Runs an UPDATE that must change exactly one row: a missing row is a bug in the caller, not a no-op.
    func updateOne(_ what: @autoclosure () -> String, _ sql: String, _ values: [SQLiteValue]) throws(ApprovalError) {
        let changed = try open().run(sql, values)
        guard changed == 1 else { throw .storage("no \(what()) to update (\(changed) rows matched)") }
    }

    // MARK: Wallets

    private static let walletColumns = "id, kind, external_user_id, currency, balance, held, created_at, status, closed_at"
    // The statements every transfer runs are built once: their text is also the statement cache's key.
    private static let walletByID = "SELECT \(walletColumns) FROM wallets WHERE id = ?"
    private static let walletByUser = """
        SELECT \(walletColumns) FROM wallets WHERE external_user_id = ? AND currency = ? AND status = 'open'
        """

    func wallet(id: String) throws(ApprovalError) -> Wallet? {
        try walletRow(kept: writerWallets?.wallet(id: id), Self.walletByID, [.text(id)])
    }

    func wallet(externalUserID: String, currency: String) throws(ApprovalError) -> Wallet? {
        try walletRow(kept: writerWallets?.openWallet(externalUserID: externalUserID, currency: currency),
                      Self.walletByUser, [.text(externalUserID), .text(currency)])
    }

    /// The writer's `kept` row if it has one; otherwise the row `sql` selects, which the writer then keeps.
    private func walletRow(kept: @autoclosure () -> Wallet?, _ sql: String, _ values: [SQLiteValue])
        throws(ApprovalError) -> Wallet? {
        let database = try open()
        if let kept = kept() { return kept }
        let wallet = try database.queryFirst(sql, values, row: Wallet.init(row:))
        if let wallet { writerWallets?.remember(wallet) }
        return wallet
    }

    func wallets(externalUserIDs: [String]?, skip: Int, limit: Int) throws(ApprovalError) -> (wallets: [Wallet], total: Int) {
        let database = try open()
        // One SQL text whatever the list's length (so one cached statement): the ids travel as a JSON array.
        let filter = "kind = 'external' AND status = 'open' AND (?1 IS NULL OR external_user_id IN (SELECT value FROM json_each(?1)))"
        let ids: SQLiteValue = .text(externalUserIDs.map { JSONValue.array($0.map(JSONValue.string)).serialized() })
        let total = try database.queryFirst("SELECT count(*) FROM wallets WHERE \(filter)", [ids]) { row throws(ApprovalError) in
            try row.int64(0)
        } ?? 0
        let wallets = try database.query(
            "SELECT \(Self.walletColumns) FROM wallets WHERE \(filter) ORDER BY id LIMIT ?2 OFFSET ?3",
            [ids, .integer(Int64(max(0, limit))), .integer(Int64(max(0, skip)))], row: Wallet.init(row:)
        )
        return (wallets, Int(total))
    }

    func allWallets() throws(ApprovalError) -> [Wallet] {
        try open().query("SELECT \(Self.walletColumns) FROM wallets ORDER BY id", row: Wallet.init(row:))
    }

    func insertWallet(_ wallet: Wallet) throws(ApprovalError) {
        let database = try open()
        wallets?.beginWrite(wallet)
        try database.run(
            "INSERT INTO wallets (\(Self.walletColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [.text(wallet.id), .text(wallet.kind.rawValue), .text(wallet.externalUserID), .text(wallet.currency),
             .money(wallet.balance), .money(wallet.held), .integer(wallet.createdAt.millisecondsSinceEpoch),
             .text(wallet.status.rawValue), .integer(wallet.closedAt?.millisecondsSinceEpoch)]
        )
        writerWallets?.remember(wallet)
    }

    func updateWallet(_ wallet: Wallet) throws(ApprovalError) {
        // Only the balances and the open/closed status change; identity columns stay as inserted.
        wallets?.beginWrite(wallet)
        if wallet.status == .open {
            try updateOne("wallet \(wallet.id)", "UPDATE wallets SET balance = ?, held = ? WHERE id = ? AND status = 'open'",
                          [.money(wallet.balance), .money(wallet.held), .text(wallet.id)])
        } else {
            try updateOne("wallet \(wallet.id)",
                          "UPDATE wallets SET balance = ?, held = ?, status = 'closed', closed_at = ? WHERE id = ?",
                          [.money(wallet.balance), .money(wallet.held), .integer(wallet.closedAt?.millisecondsSinceEpoch),
                           .text(wallet.id)])
        }
        // The row as it now stands: what this transaction read, with what the update set.
        writerWallets?.remember(wallet)
    }

    // MARK: Orders

    private static let orderColumns = """
        order_id, external_user_id, currency, wallet_id, amount, status, policy_name, approvals_required, \
        eligible_approvers, nonce, created_at, expires_at, decided_at, balance_after, reason, initiator_operator_id, \
        policy_version
        """

    private static let orderByID = "SELECT \(orderColumns) FROM orders WHERE order_id = ?"
    private static let orderInsert = "INSERT INTO orders (\(orderColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

    func order(id: String) throws(ApprovalError) -> TransferOrder? {
        try open().queryFirst(Self.orderByID, [.text(id)], row: TransferOrder.init(row:))
    }

    func insertOrder(_ order: TransferOrder) throws(ApprovalError) {
        try open().run(
            Self.orderInsert,
            [.text(order.orderID), .text(order.externalUserID), .text(order.currency), .text(order.walletID),
             .money(order.amount), .text(order.status.rawValue), .text(order.policyName),
             .integer(Int64(order.approvalsRequired)), .text(order.eligibleApprovers.map(\.canonicalJSON)),
             .blob(order.nonce), .integer(order.createdAt.millisecondsSinceEpoch),
             .integer(order.expiresAt?.millisecondsSinceEpoch), .integer(order.decidedAt?.millisecondsSinceEpoch),
             .money(order.balanceAfter), .text(order.reason), .text(order.initiatorOperatorID),
             .integer(order.policyVersion.map(Int64.init))]
        )
    }

    func updateOrder(_ order: TransferOrder) throws(ApprovalError) {
        // What a decision changes; the request's content is immutable (it is what approvals sign).
        try updateOne(
            "order \(order.orderID)",
            "UPDATE orders SET status = ?, decided_at = ?, balance_after = ?, reason = ? WHERE order_id = ?",
            [.text(order.status.rawValue), .integer(order.decidedAt?.millisecondsSinceEpoch), .money(order.balanceAfter),
             .text(order.reason), .text(order.orderID)]
        )
    }

    func orders(status: OrderStatus, limit: Int) throws(ApprovalError) -> [TransferOrder] {
        // The status is written into the SQL (one cached statement per status; it is an enum, never input) so the
        // planner can see that the pending list matches the partial index orders_pending_by_age.
        try open().query(
            "SELECT \(Self.orderColumns) FROM orders WHERE status = '\(status.rawValue)' ORDER BY created_at, order_id LIMIT ?",
            [.integer(Int64(max(0, limit)))], row: TransferOrder.init(row:)
        )
    }

    func pendingOrders(expiringAtOrBefore time: Timestamp) throws(ApprovalError) -> [TransferOrder] {
        try open().query(
            """
            SELECT \(Self.orderColumns) FROM orders
            WHERE status = 'pending_approval' AND expires_at <= ? ORDER BY expires_at, order_id
            """,
            [.integer(time.millisecondsSinceEpoch)], row: TransferOrder.init(row:)
        )
    }

    func orderTotals(externalUserID: String, currency: String?, statuses: Set<OrderStatus>, since: Timestamp)
        throws(ApprovalError) -> (count: Int, absoluteSum: Int128)
    {
        let statusList: SQLiteValue = .text(JSONValue.array(statuses.map { .string($0.rawValue) }).serialized())
        // Two texts rather than "currency IS ?" so each uses the (external_user_id, currency, created_at) index fully.
        let sql: String
        var values: [SQLiteValue] = [.text(externalUserID)]
        if let currency {
            sql = """
                SELECT amount FROM orders WHERE external_user_id = ? AND currency = ? \
                AND created_at >= ? AND status IN (SELECT value FROM json_each(?))
                """
            values.append(.text(currency))
        } else {
            sql = """
                SELECT amount FROM orders WHERE external_user_id = ? \
                AND created_at >= ? AND status IN (SELECT value FROM json_each(?))
                """
        }
        values += [.integer(since.millisecondsSinceEpoch), statusList]
        // Summed here, exactly and checked: SQL's sum() over the decimal text would pass through REAL.
        var count = 0
        var sum: Int128 = 0
        _ = try open().query(sql, values) { row throws(ApprovalError) in
            count += 1
            // Int128.min has no positive counterpart: such an amount is past what a velocity sum can hold.
            guard let magnitude = Int128(exactly: try row.money(0).magnitude) else {
                throw .invalidAmount("\(externalUserID)'s velocity window sum exceeds what the service can hold")
            }
            sum = try MinorUnits.adding(sum, magnitude, "\(externalUserID)'s velocity window sum")
        }
        return (count, sum)
    }

    func pendingOrderCount(walletID: String) throws(ApprovalError) -> Int {
        let count = try open().queryFirst(
            "SELECT count(*) FROM orders WHERE wallet_id = ? AND status = 'pending_approval'", [.text(walletID)]
        ) { row throws(ApprovalError) in try row.int64(0) }
        return Int(count ?? 0)
    }

    // MARK: Approvals

    private static let approvalColumns = "order_id, operator_id, decision, signature, created_at, reason"

    func approvals(orderID: String) throws(ApprovalError) -> [ApprovalRecord] {
        try open().query(
            "SELECT \(Self.approvalColumns) FROM approvals WHERE order_id = ? ORDER BY id", [.text(orderID)],
            row: ApprovalRecord.init(row:)
        )
    }

    func approval(signature: [UInt8]) throws(ApprovalError) -> ApprovalRecord? {
        try open().queryFirst(
            "SELECT \(Self.approvalColumns) FROM approvals WHERE signature = ?", [.blob(signature)], row: ApprovalRecord.init(row:)
        )
    }

    func insertApproval(_ record: ApprovalRecord) throws(ApprovalError) {
        try open().run(
            "INSERT INTO approvals (\(Self.approvalColumns)) VALUES (?, ?, ?, ?, ?, ?)",
            [.text(record.orderID), .text(record.operatorID), .text(record.decision.rawValue), .blob(record.signature),
             .integer(record.createdAt.millisecondsSinceEpoch), .text(record.reason)]
        )
    }

    func pendingApprovals(operatorID: String) throws(ApprovalError) -> [ApprovalRecord] {
        // From the pending orders (partial index orders_pending_by_age) to the operator's row through the
        // UNIQUE (order_id, operator_id) index: no scan of every approval ever recorded.
        try open().query(
            """
            SELECT a.order_id, a.operator_id, a.decision, a.signature, a.created_at, a.reason
            FROM orders o JOIN approvals a ON a.order_id = o.order_id AND a.operator_id = ?
            WHERE o.status = 'pending_approval' ORDER BY o.created_at, o.order_id
            """,
            [.text(operatorID)], row: ApprovalRecord.init(row:)
        )
    }

    // MARK: Operators

    private static let operatorColumns = "id, name, role, address, public_key, path, status, enrolled_at, revoked_at"

    func operatorRecord(id: String) throws(ApprovalError) -> Operator? {
        try open().queryFirst("SELECT \(Self.operatorColumns) FROM operators WHERE id = ?", [.text(id)], row: Operator.init(row:))
    }

    func operatorRecord(address: String) throws(ApprovalError) -> Operator? {
        try open().queryFirst(
            "SELECT \(Self.operatorColumns) FROM operators WHERE address = ?", [.text(address.lowercased())], row: Operator.init(row:)
        )
    }

    func operatorRecord(name: String) throws(ApprovalError) -> Operator? {
        try open().queryFirst("SELECT \(Self.operatorColumns) FROM operators WHERE name = ?", [.text(name)], row: Operator.init(row:))
    }

    func allOperators() throws(ApprovalError) -> [Operator] {
        try open().query("SELECT \(Self.operatorColumns) FROM operators ORDER BY enrolled_at, rowid", row: Operator.init(row:))
    }

    func insertOperator(_ record: Operator) throws(ApprovalError) {
        try open().run(
            "INSERT INTO operators (\(Self.operatorColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [.text(record.id), .text(record.name), .text(record.role.rawValue), .text(Hex.encodePrefixed(record.address.bytes)),
             .blob(record.publicKey), .text(record.path), .text(record.status.rawValue),
             .integer(record.enrolledAt.millisecondsSinceEpoch), .integer(record.revokedAt?.millisecondsSinceEpoch)]
        )
    }

    func updateOperator(_ record: Operator) throws(ApprovalError) {
        try updateOne(
            "operator \(record.id)", "UPDATE operators SET role = ?, status = ?, revoked_at = ? WHERE id = ?",
            [.text(record.role.rawValue), .text(record.status.rawValue), .integer(record.revokedAt?.millisecondsSinceEpoch),
             .text(record.id)]
        )
    }

    // MARK: Invites

    func invite(codeHash: [UInt8]) throws(ApprovalError) -> Invite? {
        try open().queryFirst(
            "SELECT code_hash, role, created_at, expires_at, used_at, used_by_operator_id FROM invites WHERE code_hash = ?",
            [.blob(codeHash)], row: Invite.init(row:)
        )
    }

    func insertInvite(_ invite: Invite) throws(ApprovalError) {
        try open().run(
            "INSERT INTO invites (code_hash, role, created_at, expires_at, used_at, used_by_operator_id) VALUES (?, ?, ?, ?, ?, ?)",
            [.blob(invite.codeHash), .text(invite.role.rawValue), .integer(invite.createdAt.millisecondsSinceEpoch),
             .integer(invite.expiresAt.millisecondsSinceEpoch), .integer(invite.usedAt?.millisecondsSinceEpoch),
             .text(invite.usedByOperatorID)]
        )
    }

    func updateInvite(_ invite: Invite) throws(ApprovalError) {
        try updateOne(
            "invite", "UPDATE invites SET used_at = ?, used_by_operator_id = ? WHERE code_hash = ?",
            [.integer(invite.usedAt?.millisecondsSinceEpoch), .text(invite.usedByOperatorID), .blob(invite.codeHash)]
        )
    }

    // MARK: Login challenges

    func challenge(nonce: [UInt8]) throws(ApprovalError) -> LoginChallenge? {
        try open().queryFirst(
            "SELECT nonce, operator_id, issued_at, expires_at, used_at FROM login_challenges WHERE nonce = ?", [.blob(nonce)],
            row: LoginChallenge.init(row:)
        )
    }

    func insertChallenge(_ challenge: LoginChallenge) throws(ApprovalError) {
        try open().run(
            "INSERT INTO login_challenges (nonce, operator_id, issued_at, expires_at, used_at) VALUES (?, ?, ?, ?, ?)",
            [.blob(challenge.nonce), .text(challenge.operatorID), .integer(challenge.issuedAt.millisecondsSinceEpoch),
             .integer(challenge.expiresAt.millisecondsSinceEpoch), .integer(challenge.usedAt?.millisecondsSinceEpoch)]
        )
    }

    func updateChallenge(_ challenge: LoginChallenge) throws(ApprovalError) {
        try updateOne("login challenge", "UPDATE login_challenges SET used_at = ? WHERE nonce = ?",
                      [.integer(challenge.usedAt?.millisecondsSinceEpoch), .blob(challenge.nonce)])
    }

    // MARK: Sessions

    private static let sessionColumns = "token_hash, operator_id, created_at, expires_at, last_used_at, bound_ip, revoked_at"

    func session(tokenHash: [UInt8]) throws(ApprovalError) -> OperatorSession? {
        try open().queryFirst(
            "SELECT \(Self.sessionColumns) FROM sessions WHERE token_hash = ?", [.blob(tokenHash)], row: OperatorSession.init(row:)
        )
    }

    func insertSession(_ session: OperatorSession) throws(ApprovalError) {
        try open().run(
            "INSERT INTO sessions (\(Self.sessionColumns)) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [.blob(session.tokenHash), .text(session.operatorID), .integer(session.createdAt.millisecondsSinceEpoch),
             .integer(session.expiresAt.millisecondsSinceEpoch), .integer(session.lastUsedAt.millisecondsSinceEpoch),
             .text(session.boundIP), .integer(session.revokedAt?.millisecondsSinceEpoch)]
        )
    }

    func updateSession(_ session: OperatorSession) throws(ApprovalError) {
        try updateOne(
            "session", "UPDATE sessions SET last_used_at = ?, revoked_at = ? WHERE token_hash = ?",
            [.integer(session.lastUsedAt.millisecondsSinceEpoch), .integer(session.revokedAt?.millisecondsSinceEpoch),
             .blob(session.tokenHash)]
        )
    }

    func revokeSessions(operatorID: String, at time: Timestamp) throws(ApprovalError) -> [[UInt8]] {
        let database = try open()
        // Read, then update the same rows: this transaction holds the write lock, so nothing changes in between.
        let live = "operator_id = ? AND revoked_at IS NULL AND expires_at > ?"
        let values: [SQLiteValue] = [.text(operatorID), .integer(time.millisecondsSinceEpoch)]
        let ended = try database.query(
            "SELECT token_hash FROM sessions WHERE \(live) ORDER BY created_at, token_hash", values
        ) { row throws(ApprovalError) in try row.blob(0) }
        guard !ended.isEmpty else { return [] }
        let changed = try database.run("UPDATE sessions SET revoked_at = ? WHERE \(live)",
                                       [.integer(time.millisecondsSinceEpoch)] + values)
        guard changed == ended.count else { throw .storage("revoking sessions changed \(changed) rows, not \(ended.count)") }
        return ended
    }

    // MARK: Metadata

    func metadata(_ key: String) throws(ApprovalError) -> String? {
        try open().queryFirst("SELECT value FROM metadata WHERE key = ?", [.text(key)]) { row throws(ApprovalError) in
            try row.string(0)
        }
    }

    func setMetadata(_ key: String, _ value: String) throws(ApprovalError) {
        try open().run(
            "INSERT INTO metadata (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [.text(key), .text(value)]
        )
    }

    // MARK: Audit chain

    private static let auditColumns = "sequence, time, actor, kind, payload, previous_hash, hash"
    private static let auditBySequence = "SELECT \(auditColumns) FROM audit_events WHERE sequence = ?"
    private static let auditInsert = "INSERT INTO audit_events (\(auditColumns)) VALUES (?, ?, ?, ?, ?, ?, ?)"

    func lastAuditEvent() throws(ApprovalError) -> AuditEvent? {
        guard let head = try lastAuditLink() else { return nil }
        if let cached = auditHead.event, cached.sequence == head.sequence, cached.hash == head.hash { return cached }
        let event = try open().queryFirst(Self.auditBySequence, [.integer(head.sequence)], row: AuditEvent.init(row:))
        auditHead.event = event
        return event
    }

    /// The newest event's sequence and hash: all that chaining needs, without reading and parsing its payload.
    private func lastAuditLink() throws(ApprovalError) -> (sequence: Int64, hash: [UInt8])? {
        if let known = auditLink { return known }
        let link = try open().queryFirst("SELECT sequence, hash FROM audit_events ORDER BY sequence DESC LIMIT 1") {
            row throws(ApprovalError) in (try row.int64(0), try row.blob(1))
        }
        auditLink = .some(link)
        return link
    }

    func appendAuditEvent(_ event: AuditEvent, canonicalPayload: String) throws(ApprovalError) {
        // The chain's shape is checked here too, so no caller can leave a gap or a fork for `audit verify` to find later.
        let last = try lastAuditLink()
        let expectedSequence = (last?.sequence ?? 0) + 1
        guard event.sequence == expectedSequence else {
            throw .storage("audit event \(event.sequence) refused: the next sequence is \(expectedSequence)")
        }
        guard event.previousHash == (last?.hash ?? AuditEvent.genesisHash) else {
            throw .storage("audit event \(event.sequence) refused: its previous hash is not the hash of event \(expectedSequence - 1)")
        }
        try open().run(
            Self.auditInsert,
            [.integer(event.sequence), .integer(event.time.millisecondsSinceEpoch), .text(event.actor), .text(event.kind),
             .text(canonicalPayload), .blob(event.previousHash), .blob(event.hash)]
        )
        auditLink = .some((event.sequence, event.hash))
        auditHead.event = event
    }

    func auditEvents(after sequence: Int64, limit: Int) throws(ApprovalError) -> [AuditEvent] {
        try open().query(
            "SELECT \(Self.auditColumns) FROM audit_events WHERE sequence > ? ORDER BY sequence LIMIT ?",
            [.integer(sequence), .integer(Int64(max(0, limit)))], row: AuditEvent.init(row:)
        )
    }

    // MARK: Webhook outbox

    private static let outboxColumns = "id, event, body, created_at, next_attempt_at, attempts, delivered_at, failed_at"

    func insertOutboxMessage(_ message: OutboxMessage) throws(ApprovalError) -> Int64 {
        let database = try open()
        try database.run(
            "INSERT INTO outbox (event, body, created_at, next_attempt_at, attempts, delivered_at, failed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [.text(message.event), .text(message.body), .integer(message.createdAt.millisecondsSinceEpoch),
             .integer(message.nextAttemptAt.millisecondsSinceEpoch), .integer(Int64(message.attempts)),
             .integer(message.deliveredAt?.millisecondsSinceEpoch), .integer(message.failedAt?.millisecondsSinceEpoch)]
        )
        return database.lastInsertRowID
    }

    func dueOutboxMessages(at time: Timestamp, limit: Int) throws(ApprovalError) -> [OutboxMessage] {
        try open().query(
            """
            SELECT \(Self.outboxColumns) FROM outbox
            WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ? ORDER BY id LIMIT ?
            """,
            [.integer(time.millisecondsSinceEpoch), .integer(Int64(max(0, limit)))], row: OutboxMessage.init(row:)
        )
    }

    func updateOutboxMessage(_ message: OutboxMessage) throws(ApprovalError) {
        guard let id = message.id else { throw .storage("an outbox message without an id cannot be updated") }
        try updateOne(
            "outbox message \(id)", "UPDATE outbox SET next_attempt_at = ?, attempts = ?, delivered_at = ?, failed_at = ? WHERE id = ?",
            [.integer(message.nextAttemptAt.millisecondsSinceEpoch), .integer(Int64(message.attempts)),
             .integer(message.deliveredAt?.millisecondsSinceEpoch), .integer(message.failedAt?.millisecondsSinceEpoch), .integer(id)]
        )
    }
}

/// The newest audit event this connection wrote or read, so chaining the next event does not read and parse the
/// last one's payload again (every state change appends one or more). Trusted only while the database's newest row
/// still has its sequence and hash: another process may have appended since, or the transaction that wrote it may
/// have rolled back. Guarded by the store's lock, like the connection.
final class AuditHeadCache {
    var event: AuditEvent?
}
