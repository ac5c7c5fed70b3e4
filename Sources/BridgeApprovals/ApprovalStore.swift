/// Durable storage for the session manager. BridgeApprovals holds the rules; a store only keeps rows.
///
/// Every state change happens inside one ``transaction(_:)``: the balances, the order, the approval, the audit
/// event and the webhook outbox row commit together or not at all. Transactions are serialized, so logic inside one
/// sees a consistent state and a second approval for the same order waits for the first.
/// Implementations: `InMemoryApprovalStore` (tests, simulations) and BridgeStore's SQLite store.
public protocol ApprovalStore: Sendable {
    /// Runs `body` atomically and durably; a thrown error rolls everything back.
    func transaction<Result>(_ body: (any StoreTransaction) throws(ApprovalError) -> Result) throws(ApprovalError) -> Result

    /// Runs `body` on a consistent snapshot of committed data, for lookups that change nothing: it sees every
    /// transaction committed before it began and nothing of one still in progress. `body` must not write; a store
    /// may refuse a write here with ``ApprovalError/storage(_:)``. Unlike ``transaction(_:)``, reads need not wait
    /// for each other or for a writer.
    func read<Result>(_ body: (any StoreTransaction) throws(ApprovalError) -> Result) throws(ApprovalError) -> Result

    /// The committed wallet of `externalUserID` in `currency`, or nil: the CRM's balance read, the busiest lookup.
    /// A store may answer it from a cache, as long as the answer is never older than the last commit that returned.
    func committedWallet(externalUserID: String, currency: String) throws(ApprovalError) -> Wallet?

    /// Whether ``submitTransaction(_:completion:)`` returns at once and completes from another thread. When false
    /// (the default), it runs the transaction on the calling thread and completes before it returns, so a caller that
    /// must not block (an HTTP worker thread) should hand the work to a thread that may.
    var completesTransactionsWithoutBlocking: Bool { get }

    /// Runs `body` as ``transaction(_:)`` does, and hands `completion` its result (or error) once the changes are
    /// durable. A store whose ``completesTransactionsWithoutBlocking`` is true returns at once and calls `completion`
    /// from the thread that committed, right after the commit: `completion` must not block, nor run a
    /// ``transaction(_:)`` of this store (it may submit another one).
    func submitTransaction<Result>(
        _ body: @escaping @Sendable (any StoreTransaction) throws(ApprovalError) -> Result,
        completion: @escaping @Sendable (Swift.Result<Result, ApprovalError>) -> Void
    )
}

extension ApprovalStore {
    /// A serialized transaction is also a consistent snapshot: stores without a cheaper read path need nothing more.
    public func read<Result>(_ body: (any StoreTransaction) throws(ApprovalError) -> Result) throws(ApprovalError) -> Result {
        try transaction(body)
    }

    /// Stores without a thread of their own to commit on complete on the caller's.
    public var completesTransactionsWithoutBlocking: Bool { false }

    /// The transaction on the calling thread, completed before this returns.
    public func submitTransaction<Result>(
        _ body: @escaping @Sendable (any StoreTransaction) throws(ApprovalError) -> Result,
        completion: @escaping @Sendable (Swift.Result<Result, ApprovalError>) -> Void
    ) {
        do throws(ApprovalError) {
            completion(.success(try transaction(body)))
        } catch {
            completion(.failure(error))
        }
    }

    /// A ``read(_:)`` of the one wallet: stores without a cache need nothing more.
    public func committedWallet(externalUserID: String, currency: String) throws(ApprovalError) -> Wallet? {
        try read { transaction throws(ApprovalError) in
            try transaction.wallet(externalUserID: externalUserID, currency: currency)
        }
    }
}

/// The rows a transaction may read and write. Lookups return nil for a missing row; inserts fail with
/// ``ApprovalError/storage(_:)`` on a duplicate key.
public protocol StoreTransaction: AnyObject, PolicyStoreTransaction {
    // MARK: Wallets

    func wallet(id: String) throws(ApprovalError) -> Wallet?
    /// The OPEN wallet of `externalUserID` in `currency`; a closed wallet is no longer found.
    func wallet(externalUserID: String, currency: String) throws(ApprovalError) -> Wallet?
    /// Open external wallets in `id` order, optionally only those of `externalUserIDs`, with the total that matches.
    func wallets(externalUserIDs: [String]?, skip: Int, limit: Int) throws(ApprovalError) -> (wallets: [Wallet], total: Int)
    /// Every wallet, settlement accounts included (invariant checks, audits).
    func allWallets() throws(ApprovalError) -> [Wallet]
    func insertWallet(_ wallet: Wallet) throws(ApprovalError)
    /// Writes balance, held, status and closedAt; owner, kind and currency never change, and a closed wallet never
    /// reopens.
    func updateWallet(_ wallet: Wallet) throws(ApprovalError)

    // MARK: Orders

    func order(id: String) throws(ApprovalError) -> TransferOrder?
    func insertOrder(_ order: TransferOrder) throws(ApprovalError)
    func updateOrder(_ order: TransferOrder) throws(ApprovalError)
    /// Orders in a status, oldest first.
    func orders(status: OrderStatus, limit: Int) throws(ApprovalError) -> [TransferOrder]
    /// Pending orders whose `expiresAt` is at or before `time`.
    func pendingOrders(expiringAtOrBefore time: Timestamp) throws(ApprovalError) -> [TransferOrder]
    /// For velocity limits: how many orders of `externalUserID` (in `currency`, when given) with one of `statuses`
    /// were created at or after `since`, and the sum of their absolute amounts in minor units.
    func orderTotals(externalUserID: String, currency: String?, statuses: Set<OrderStatus>, since: Timestamp)
        throws(ApprovalError) -> (count: Int, absoluteSum: Int128)
    /// How many orders on `walletID` still wait for approval (a wallet closes only with none).
    func pendingOrderCount(walletID: String) throws(ApprovalError) -> Int
    /// The business refusal kept under `orderID`, if any (an id is either an order or a refusal, never both).
    func transferRefusal(orderID: String) throws(ApprovalError) -> TransferRefusal?
    func insertTransferRefusal(_ refusal: TransferRefusal) throws(ApprovalError)

    // MARK: Approvals

    func approvals(orderID: String) throws(ApprovalError) -> [ApprovalRecord]
    /// The record that carries `signature`, if any (a replayed signature is refused).
    func approval(signature: [UInt8]) throws(ApprovalError) -> ApprovalRecord?
    func insertApproval(_ record: ApprovalRecord) throws(ApprovalError)
    /// The decisions `operatorID` recorded on orders still pending approval, oldest order first (what revoking the
    /// operator withdraws).
    func pendingApprovals(operatorID: String) throws(ApprovalError) -> [ApprovalRecord]

    // MARK: Operators, invites, login challenges, sessions

    func operatorRecord(id: String) throws(ApprovalError) -> Operator?
    func operatorRecord(address: String) throws(ApprovalError) -> Operator?
    func operatorRecord(name: String) throws(ApprovalError) -> Operator?
    func allOperators() throws(ApprovalError) -> [Operator]
    func insertOperator(_ record: Operator) throws(ApprovalError)
    func updateOperator(_ record: Operator) throws(ApprovalError)

    func invite(codeHash: [UInt8]) throws(ApprovalError) -> Invite?
    func insertInvite(_ invite: Invite) throws(ApprovalError)
    func updateInvite(_ invite: Invite) throws(ApprovalError)

    func challenge(nonce: [UInt8]) throws(ApprovalError) -> LoginChallenge?
    func insertChallenge(_ challenge: LoginChallenge) throws(ApprovalError)
    func updateChallenge(_ challenge: LoginChallenge) throws(ApprovalError)

    func session(tokenHash: [UInt8]) throws(ApprovalError) -> OperatorSession?
    func insertSession(_ session: OperatorSession) throws(ApprovalError)
    func updateSession(_ session: OperatorSession) throws(ApprovalError)
    /// Deletes the unused challenges of `operatorID` beyond the `keeping` most recently issued ones (a flood of
    /// challenges for one address cannot grow the table).
    func deleteChallenges(operatorID: String, keeping: Int) throws(ApprovalError)
    /// Deletes the challenges and sessions that expired before `time`: nothing can redeem or use them any more.
    /// Returns how many of each went.
    func deleteExpiredCredentials(before time: Timestamp) throws(ApprovalError) -> (challenges: Int, sessions: Int)
    /// Marks every session of `operatorID` that is neither revoked nor expired at `time` as revoked at `time`, in one
    /// write, and returns the token hashes of the sessions it ended (revoking an operator cuts them all off at once).
    func revokeSessions(operatorID: String, at time: Timestamp) throws(ApprovalError) -> [[UInt8]]

    // MARK: Settings kept with the data (deployment id, policy set hash, API key hash)

    func metadata(_ key: String) throws(ApprovalError) -> String?
    func setMetadata(_ key: String, _ value: String) throws(ApprovalError)

    // MARK: Audit chain

    func lastAuditEvent() throws(ApprovalError) -> AuditEvent?
    /// Appends an event whose sequence is the last one's plus one (the store refuses anything else), with its
    /// payload's canonical JSON already written (the event's hash covered that text), so a store that keeps the text
    /// does not write it again: every transfer appends two events.
    func appendAuditEvent(_ event: AuditEvent, canonicalPayload: String) throws(ApprovalError)
    /// Events with sequence > `sequence`, in order, at most `limit`.
    func auditEvents(after sequence: Int64, limit: Int) throws(ApprovalError) -> [AuditEvent]

    // MARK: Webhook outbox

    /// Inserts and returns the message's id.
    func insertOutboxMessage(_ message: OutboxMessage) throws(ApprovalError) -> Int64
    /// Undelivered, not-failed messages due at or before `time`, oldest first.
    func dueOutboxMessages(at time: Timestamp, limit: Int) throws(ApprovalError) -> [OutboxMessage]
    func updateOutboxMessage(_ message: OutboxMessage) throws(ApprovalError)

    // MARK: Webhook deliveries (one per outbox message and receiver URL)

    /// Creates the deliveries of `message` to `urls`, carrying the message's attempts and due time (a message queued
    /// before deliveries existed keeps its schedule); an existing (message, URL) pair is left as it is.
    func insertWebhookDeliveries(of message: OutboxMessage, urls: [String]) throws(ApprovalError)
    /// Deliveries to one of `urls` that are neither delivered nor failed and are due at or before `time`, soonest
    /// first (deliveries to a URL no longer configured stay, unsent, until it is configured again).
    func dueWebhookDeliveries(at time: Timestamp, urls: [String], limit: Int) throws(ApprovalError) -> [WebhookDelivery]
    /// Writes attempts, the due time, the outcome and the last error.
    func updateWebhookDelivery(_ delivery: WebhookDelivery) throws(ApprovalError)
    /// Every delivery of one outbox message, by URL.
    func webhookDeliveries(outboxID: Int64) throws(ApprovalError) -> [WebhookDelivery]
}

extension StoreTransaction {
    /// Appends `event`, writing its payload's canonical JSON here.
    public func appendAuditEvent(_ event: AuditEvent) throws(ApprovalError) {
        try appendAuditEvent(event, canonicalPayload: event.payload.serialized(.canonical))
    }
}
