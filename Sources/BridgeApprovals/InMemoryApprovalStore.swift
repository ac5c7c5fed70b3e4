import Synchronization

/// An ``ApprovalStore`` kept in memory: tests, simulations and property runs.
///
/// Transactions are serialized by one lock and are all-or-nothing: every write records how to undo itself, and a
/// thrown error replays that log backwards, so a failed transaction leaves no trace. Undoing only what changed keeps a
/// transaction's cost proportional to its writes, not to the size of the data (10,000-order property runs stay fast).
/// Transactions must not nest: the lock is not recursive.
public final class InMemoryApprovalStore: ApprovalStore {
    private let tables = Mutex(InMemoryTables())

    public init() {}

    public func transaction<Result>(
        _ body: (any StoreTransaction) throws(ApprovalError) -> Result
    ) throws(ApprovalError) -> Result {
        var outcome: Swift.Result<Result, ApprovalError>?
        tables.withLock { tables in
            let transaction = InMemoryTransaction(tables: tables)
            defer { transaction.isOpen = false }
            do throws(ApprovalError) {
                outcome = .success(try body(transaction))
            } catch {
                transaction.rollBack()
                outcome = .failure(error)
            }
        }
        switch outcome {
        case .success(let result)?: return result
        case .failure(let error)?: throw error
        case nil: throw .storage("the in-memory transaction did not run")
        }
    }

    /// Replaces a stored audit event as an attacker with write access to the database could. The service never calls
    /// this; tests and drills use it to show that ``ApprovalService/verifyAuditChain()`` names the altered event.
    public func overwriteAuditEvent(_ event: AuditEvent) throws(ApprovalError) {
        try tables.withLock { (tables: inout InMemoryTables) throws(ApprovalError) in
            guard let index = tables.auditIndex(sequence: event.sequence) else {
                throw .storage("no audit event \(event.sequence)")
            }
            tables.audit[index] = event
        }
    }
}

/// The rows, in dictionaries with the secondary indexes the lookups need. Only touched while the store's lock is held.
final class InMemoryTables: @unchecked Sendable {
    var wallets: [String: Wallet] = [:]
    /// "user\u{0}currency" -> the OPEN wallet's id (a closed wallet leaves it, so the pair can get a new wallet).
    var walletIDByOwner: [String: String] = [:]

    var orders: [String: TransferOrder] = [:]
    /// Insertion order, for "oldest first" listings that do not depend on equal timestamps.
    var orderSequence: [String: Int] = [:]
    var nextOrderSequence = 0
    var pendingOrderIDs: Set<String> = []
    var orderIDsByUser: [String: [String]] = [:]
    var refusals: [String: TransferRefusal] = [:]
    /// Webhook deliveries by outbox id, then URL.
    var webhookDeliveries: [Int64: [String: WebhookDelivery]] = [:]

    var approvalsByOrder: [String: [ApprovalRecord]] = [:]
    var approvalBySignature: [[UInt8]: ApprovalRecord] = [:]

    var operators: [String: Operator] = [:]
    /// Lowercase `0x` address -> operator id.
    var operatorIDByAddress: [String: String] = [:]
    var operatorIDByName: [String: String] = [:]

    var invites: [[UInt8]: Invite] = [:]
    var challenges: [[UInt8]: LoginChallenge] = [:]
    var sessions: [[UInt8]: OperatorSession] = [:]
    var metadata: [String: String] = [:]

    var audit: [AuditEvent] = []
    var outbox: [Int64: OutboxMessage] = [:]
    var nextOutboxID: Int64 = 1

    /// Policy versions and their approvals (InMemoryApprovalStore+Policy.swift).
    var policy = InMemoryPolicyTables()

    static func ownerKey(externalUserID: String, currency: String) -> String { externalUserID + "\u{0}" + currency }

    func auditIndex(sequence: Int64) -> Int? {
        // Sequences start at 1 and are contiguous (appendAuditEvent enforces it), so the index is arithmetic.
        let index = Int(sequence) - 1
        return audit.indices.contains(index) && audit[index].sequence == sequence ? index : nil
    }
}

/// One transaction over ``InMemoryTables``: writes go straight to the tables and push their inverse onto `undoLog`.
final class InMemoryTransaction: StoreTransaction {
    let tables: InMemoryTables
    var undoLog: [(InMemoryTables) -> Void] = []
    /// False once the transaction ended: a transaction object kept past its closure must not write.
    var isOpen = true

    init(tables: InMemoryTables) {
        self.tables = tables
    }

    func rollBack() {
        for undo in undoLog.reversed() { undo(tables) }
        undoLog.removeAll()
    }

    func checkOpen() throws(ApprovalError) {
        guard isOpen else { throw .storage("the transaction has already ended") }
    }

    // MARK: Wallets

    func wallet(id: String) throws(ApprovalError) -> Wallet? {
        try checkOpen()
        return tables.wallets[id]
    }

    func wallet(externalUserID: String, currency: String) throws(ApprovalError) -> Wallet? {
        try checkOpen()
        let key = InMemoryTables.ownerKey(externalUserID: externalUserID, currency: currency)
        return tables.walletIDByOwner[key].flatMap { tables.wallets[$0] }
    }

    func wallets(externalUserIDs: [String]?, skip: Int, limit: Int) throws(ApprovalError) -> (wallets: [Wallet], total: Int) {
        try checkOpen()
        let wanted = externalUserIDs.map(Set.init)
        let matching = tables.wallets.values
            .filter { $0.kind == .external && $0.status == .open && (wanted?.contains($0.externalUserID) ?? true) }
            .sorted { $0.id < $1.id }
        let page = matching.dropFirst(max(0, skip)).prefix(max(0, limit))
        return (Array(page), matching.count)
    }

    func allWallets() throws(ApprovalError) -> [Wallet] {
        try checkOpen()
        return tables.wallets.values.sorted { $0.id < $1.id }
    }

    func insertWallet(_ wallet: Wallet) throws(ApprovalError) {
        try checkOpen()
        let ownerKey = InMemoryTables.ownerKey(externalUserID: wallet.externalUserID, currency: wallet.currency)
        guard tables.wallets[wallet.id] == nil else { throw .storage("duplicate wallet id \(wallet.id)") }
        let indexed = wallet.kind == .external && wallet.status == .open
        if indexed, tables.walletIDByOwner[ownerKey] != nil {
            throw .storage("duplicate wallet for \(wallet.externalUserID) in \(wallet.currency)")
        }
        tables.wallets[wallet.id] = wallet
        if indexed { tables.walletIDByOwner[ownerKey] = wallet.id }
        undoLog.append { tables in
            tables.wallets[wallet.id] = nil
            if indexed { tables.walletIDByOwner[ownerKey] = nil }
        }
    }

    func updateWallet(_ wallet: Wallet) throws(ApprovalError) {
        try checkOpen()
        guard let old = tables.wallets[wallet.id] else { throw .storage("no wallet \(wallet.id) to update") }
        guard old.kind == wallet.kind, old.externalUserID == wallet.externalUserID, old.currency == wallet.currency else {
            throw .storage("wallet \(wallet.id) cannot change owner, kind or currency")
        }
        let ownerKey = InMemoryTables.ownerKey(externalUserID: wallet.externalUserID, currency: wallet.currency)
        let closedNow = old.kind == .external && old.status == .open && wallet.status == .closed
        guard old.status == wallet.status || closedNow else { throw .storage("wallet \(wallet.id) cannot reopen") }
        tables.wallets[wallet.id] = wallet
        if closedNow { tables.walletIDByOwner[ownerKey] = nil }
        undoLog.append { tables in
            tables.wallets[old.id] = old
            if closedNow { tables.walletIDByOwner[ownerKey] = old.id }
        }
    }

    // MARK: Orders

    func order(id: String) throws(ApprovalError) -> TransferOrder? {
        try checkOpen()
        return tables.orders[id]
    }

    func insertOrder(_ order: TransferOrder) throws(ApprovalError) {
        try checkOpen()
        guard tables.orders[order.orderID] == nil else { throw .storage("duplicate order id \(order.orderID)") }
        let sequence = tables.nextOrderSequence
        tables.orders[order.orderID] = order
        tables.orderSequence[order.orderID] = sequence
        tables.nextOrderSequence += 1
        tables.orderIDsByUser[order.externalUserID, default: []].append(order.orderID)
        if order.status == .pendingApproval { tables.pendingOrderIDs.insert(order.orderID) }
        undoLog.append { tables in
            tables.orders[order.orderID] = nil
            tables.orderSequence[order.orderID] = nil
            tables.nextOrderSequence = sequence
            tables.orderIDsByUser[order.externalUserID]?.removeLast()
            tables.pendingOrderIDs.remove(order.orderID)
        }
    }

    func updateOrder(_ order: TransferOrder) throws(ApprovalError) {
        try checkOpen()
        guard let old = tables.orders[order.orderID] else { throw .storage("no order \(order.orderID) to update") }
        guard old.externalUserID == order.externalUserID else {
            throw .storage("order \(order.orderID) cannot change its external user")
        }
        tables.orders[order.orderID] = order
        setPending(order.orderID, order.status == .pendingApproval)
        undoLog.append { tables in
            tables.orders[old.orderID] = old
            if old.status == .pendingApproval {
                tables.pendingOrderIDs.insert(old.orderID)
            } else {
                tables.pendingOrderIDs.remove(old.orderID)
            }
        }
    }

    private func setPending(_ orderID: String, _ pending: Bool) {
        if pending {
            tables.pendingOrderIDs.insert(orderID)
        } else {
            tables.pendingOrderIDs.remove(orderID)
        }
    }

    private func oldestFirst(_ lhs: TransferOrder, _ rhs: TransferOrder) -> Bool {
        if lhs.createdAt != rhs.createdAt { return lhs.createdAt < rhs.createdAt }
        return (tables.orderSequence[lhs.orderID] ?? 0) < (tables.orderSequence[rhs.orderID] ?? 0)
    }

    func orders(status: OrderStatus, limit: Int) throws(ApprovalError) -> [TransferOrder] {
        try checkOpen()
        let matching: [TransferOrder] = status == .pendingApproval
            ? tables.pendingOrderIDs.compactMap { tables.orders[$0] }
            : tables.orders.values.filter { $0.status == status }
        return Array(matching.sorted(by: oldestFirst).prefix(max(0, limit)))
    }

    func pendingOrders(expiringAtOrBefore time: Timestamp) throws(ApprovalError) -> [TransferOrder] {
        try checkOpen()
        return tables.pendingOrderIDs
            .compactMap { tables.orders[$0] }
            .filter { ($0.expiresAt ?? time) <= time }
            .sorted(by: oldestFirst)
    }

    func orderTotals(externalUserID: String, currency: String?, statuses: Set<OrderStatus>, since: Timestamp)
        throws(ApprovalError) -> (count: Int, absoluteSum: Int128)
    {
        try checkOpen()
        var count = 0
        var sum: Int128 = 0
        for orderID in tables.orderIDsByUser[externalUserID] ?? [] {
            guard let order = tables.orders[orderID], order.createdAt >= since, statuses.contains(order.status),
                  currency == nil || order.currency == currency
            else { continue }
            count += 1
            sum = try MinorUnits.adding(sum, Int128(order.amount.magnitude), "\(externalUserID)'s velocity window sum")
        }
        return (count, sum)
    }

    func pendingOrderCount(walletID: String) throws(ApprovalError) -> Int {
        try checkOpen()
        return tables.pendingOrderIDs.count { tables.orders[$0]?.walletID == walletID }
    }

    // MARK: Approvals

    func approvals(orderID: String) throws(ApprovalError) -> [ApprovalRecord] {
        try checkOpen()
        return tables.approvalsByOrder[orderID] ?? []
    }

    func approval(signature: [UInt8]) throws(ApprovalError) -> ApprovalRecord? {
        try checkOpen()
        return tables.approvalBySignature[signature]
    }

    func insertApproval(_ record: ApprovalRecord) throws(ApprovalError) {
        try checkOpen()
        guard tables.approvalBySignature[record.signature] == nil else { throw .storage("duplicate approval signature") }
        guard !(tables.approvalsByOrder[record.orderID] ?? []).contains(where: { $0.operatorID == record.operatorID }) else {
            throw .storage("duplicate approval by \(record.operatorID) on \(record.orderID)")
        }
        tables.approvalsByOrder[record.orderID, default: []].append(record)
        tables.approvalBySignature[record.signature] = record
        undoLog.append { tables in
            tables.approvalsByOrder[record.orderID]?.removeLast()
            if tables.approvalsByOrder[record.orderID]?.isEmpty == true { tables.approvalsByOrder[record.orderID] = nil }
            tables.approvalBySignature[record.signature] = nil
        }
    }

    func pendingApprovals(operatorID: String) throws(ApprovalError) -> [ApprovalRecord] {
        try checkOpen()
        return tables.pendingOrderIDs
            .compactMap { tables.orders[$0] }
            .sorted(by: oldestFirst)
            .compactMap { order in tables.approvalsByOrder[order.orderID]?.first { $0.operatorID == operatorID } }
    }

    // MARK: Operators

    func operatorRecord(id: String) throws(ApprovalError) -> Operator? {
        try checkOpen()
        return tables.operators[id]
    }

    func operatorRecord(address: String) throws(ApprovalError) -> Operator? {
        try checkOpen()
        return tables.operatorIDByAddress[address.lowercased()].flatMap { tables.operators[$0] }
    }

    func operatorRecord(name: String) throws(ApprovalError) -> Operator? {
        try checkOpen()
        return tables.operatorIDByName[name].flatMap { tables.operators[$0] }
    }

    func allOperators() throws(ApprovalError) -> [Operator] {
        try checkOpen()
        return tables.operators.values.sorted { ($0.enrolledAt, $0.id) < ($1.enrolledAt, $1.id) }
    }

    func insertOperator(_ record: Operator) throws(ApprovalError) {
        try checkOpen()
        // Keyed by lowercase hex, so lookups by checksummed or lowercase text find the same operator.
        let address = record.address.checksummed.lowercased()
        guard tables.operators[record.id] == nil else { throw .storage("duplicate operator id \(record.id)") }
        guard tables.operatorIDByAddress[address] == nil else { throw .storage("duplicate operator address \(record.address)") }
        guard tables.operatorIDByName[record.name] == nil else { throw .storage("duplicate operator name \(record.name)") }
        tables.operators[record.id] = record
        tables.operatorIDByAddress[address] = record.id
        tables.operatorIDByName[record.name] = record.id
        undoLog.append { tables in
            tables.operators[record.id] = nil
            tables.operatorIDByAddress[address] = nil
            tables.operatorIDByName[record.name] = nil
        }
    }

    func updateOperator(_ record: Operator) throws(ApprovalError) {
        try checkOpen()
        guard let old = tables.operators[record.id] else { throw .storage("no operator \(record.id) to update") }
        guard old.address == record.address, old.name == record.name else {
            throw .storage("operator \(record.id) cannot change its address or name")
        }
        tables.operators[record.id] = record
        undoLog.append { $0.operators[old.id] = old }
    }

    // MARK: Invites, challenges, sessions

    func invite(codeHash: [UInt8]) throws(ApprovalError) -> Invite? {
        try checkOpen()
        return tables.invites[codeHash]
    }

    func insertInvite(_ invite: Invite) throws(ApprovalError) {
        try checkOpen()
        guard tables.invites[invite.codeHash] == nil else { throw .storage("duplicate invite") }
        tables.invites[invite.codeHash] = invite
        undoLog.append { $0.invites[invite.codeHash] = nil }
    }

    func updateInvite(_ invite: Invite) throws(ApprovalError) {
        try checkOpen()
        guard let old = tables.invites[invite.codeHash] else { throw .storage("no invite to update") }
        tables.invites[invite.codeHash] = invite
        undoLog.append { $0.invites[old.codeHash] = old }
    }

    func challenge(nonce: [UInt8]) throws(ApprovalError) -> LoginChallenge? {
        try checkOpen()
        return tables.challenges[nonce]
    }

    func insertChallenge(_ challenge: LoginChallenge) throws(ApprovalError) {
        try checkOpen()
        guard tables.challenges[challenge.nonce] == nil else { throw .storage("duplicate login challenge") }
        tables.challenges[challenge.nonce] = challenge
        undoLog.append { $0.challenges[challenge.nonce] = nil }
    }

    func updateChallenge(_ challenge: LoginChallenge) throws(ApprovalError) {
        try checkOpen()
        guard let old = tables.challenges[challenge.nonce] else { throw .storage("no login challenge to update") }
        tables.challenges[challenge.nonce] = challenge
        undoLog.append { $0.challenges[old.nonce] = old }
    }

    func session(tokenHash: [UInt8]) throws(ApprovalError) -> OperatorSession? {
        try checkOpen()
        return tables.sessions[tokenHash]
    }

    func insertSession(_ session: OperatorSession) throws(ApprovalError) {
        try checkOpen()
        guard tables.sessions[session.tokenHash] == nil else { throw .storage("duplicate session") }
        tables.sessions[session.tokenHash] = session
        undoLog.append { $0.sessions[session.tokenHash] = nil }
    }

    func updateSession(_ session: OperatorSession) throws(ApprovalError) {
        try checkOpen()
        guard let old = tables.sessions[session.tokenHash] else { throw .storage("no session to update") }
        tables.sessions[session.tokenHash] = session
        undoLog.append { $0.sessions[old.tokenHash] = old }
    }

    func revokeSessions(operatorID: String, at time: Timestamp) throws(ApprovalError) -> [[UInt8]] {
        try checkOpen()
        let live = tables.sessions.values
            .filter { $0.operatorID == operatorID && $0.revokedAt == nil && time < $0.expiresAt }
            .sorted { $0.createdAt != $1.createdAt ? $0.createdAt < $1.createdAt
                : $0.tokenHash.lexicographicallyPrecedes($1.tokenHash) }
        for old in live {
            var ended = old
            ended.revokedAt = time
            tables.sessions[old.tokenHash] = ended
            undoLog.append { $0.sessions[old.tokenHash] = old }
        }
        return live.map(\.tokenHash)
    }

    // MARK: Metadata

    func metadata(_ key: String) throws(ApprovalError) -> String? {
        try checkOpen()
        return tables.metadata[key]
    }

    func setMetadata(_ key: String, _ value: String) throws(ApprovalError) {
        try checkOpen()
        let old = tables.metadata[key]
        tables.metadata[key] = value
        undoLog.append { $0.metadata[key] = old }
    }

    // MARK: Audit chain

    func lastAuditEvent() throws(ApprovalError) -> AuditEvent? {
        try checkOpen()
        return tables.audit.last
    }

    /// Keeps the parsed event; the payload's text is not needed here.
    func appendAuditEvent(_ event: AuditEvent, canonicalPayload _: String) throws(ApprovalError) {
        try checkOpen()
        let expected = (tables.audit.last?.sequence ?? 0) + 1
        guard event.sequence == expected else {
            throw .storage("audit event \(event.sequence) is out of sequence; the next one is \(expected)")
        }
        tables.audit.append(event)
        undoLog.append { $0.audit.removeLast() }
    }

    func auditEvents(after sequence: Int64, limit: Int) throws(ApprovalError) -> [AuditEvent] {
        try checkOpen()
        let start = Int(max(0, min(sequence, Int64(tables.audit.count))))
        return Array(tables.audit[start...].prefix(max(0, limit)))
    }

    // MARK: Webhook outbox

    func insertOutboxMessage(_ message: OutboxMessage) throws(ApprovalError) -> Int64 {
        try checkOpen()
        let id = tables.nextOutboxID
        var stored = message
        stored.id = id
        tables.outbox[id] = stored
        tables.nextOutboxID += 1
        undoLog.append { tables in
            tables.outbox[id] = nil
            tables.nextOutboxID = id
        }
        return id
    }

    func dueOutboxMessages(at time: Timestamp, limit: Int) throws(ApprovalError) -> [OutboxMessage] {
        try checkOpen()
        let due = tables.outbox.values.filter { $0.deliveredAt == nil && $0.failedAt == nil && $0.nextAttemptAt <= time }
        return Array(due.sorted { ($0.id ?? 0) < ($1.id ?? 0) }.prefix(max(0, limit)))
    }

    func updateOutboxMessage(_ message: OutboxMessage) throws(ApprovalError) {
        try checkOpen()
        guard let id = message.id, let old = tables.outbox[id] else { throw .storage("no outbox message to update") }
        tables.outbox[id] = message
        undoLog.append { $0.outbox[id] = old }
    }
}
