import BridgeApprovals

/// A store that times every transaction and read it runs, so `/metrics` shows how much of the service's time is
/// spent on the database (waiting for the lock, the statements, the commit's flush): the figure that tells whether
/// one more instance would help or the database is the limit.
///
/// `walletbridge_store_seconds_total{operation}` and `walletbridge_store_operations_total{operation}` with
/// `operation` one of `transaction`, `read`, `wallet_read`.
public final class InstrumentedApprovalStore: ApprovalStore {
    public let base: any ApprovalStore
    /// Per operation, its seconds and its count: series found once, so timing a transaction takes no lock.
    private let transactions: (seconds: BoundCounter, count: BoundCounter)
    private let reads: (seconds: BoundCounter, count: BoundCounter)
    private let walletReads: (seconds: BoundCounter, count: BoundCounter)

    public init(_ base: any ApprovalStore, metrics: MetricsRegistry) {
        self.base = base
        let seconds = metrics.counter("walletbridge_store_seconds_total",
                                      help: "Seconds spent in store transactions and reads, lock waits and commits included.")
        let operations = metrics.counter("walletbridge_store_operations_total", help: "Store transactions and reads run.")
        func series(_ operation: String) -> (seconds: BoundCounter, count: BoundCounter) {
            (seconds.bound(["operation": operation]), operations.bound(["operation": operation]))
        }
        transactions = series("transaction")
        reads = series("read")
        walletReads = series("wallet_read")
    }

    public func transaction<Result>(_ body: (any StoreTransaction) throws(ApprovalError) -> Result) throws(ApprovalError)
        -> Result
    {
        let start = ContinuousClock.now
        defer { record(transactions, since: start) }
        return try base.transaction(body)
    }

    public var completesTransactionsWithoutBlocking: Bool { base.completesTransactionsWithoutBlocking }

    /// Timed from submission to completion, as a transaction is from call to return.
    public func submitTransaction<Result>(
        _ body: @escaping @Sendable (any StoreTransaction) throws(ApprovalError) -> Result,
        completion: @escaping @Sendable (Swift.Result<Result, ApprovalError>) -> Void
    ) {
        let start = ContinuousClock.now
        base.submitTransaction(body) { [self] outcome in
            record(transactions, since: start)
            completion(outcome)
        }
    }

    public func read<Result>(_ body: (any StoreTransaction) throws(ApprovalError) -> Result) throws(ApprovalError) -> Result {
        let start = ContinuousClock.now
        defer { record(reads, since: start) }
        return try base.read(body)
    }

    public func committedWallet(externalUserID: String, currency: String) throws(ApprovalError) -> Wallet? {
        let start = ContinuousClock.now
        defer { record(walletReads, since: start) }
        return try base.committedWallet(externalUserID: externalUserID, currency: currency)
    }

    private func record(_ series: (seconds: BoundCounter, count: BoundCounter), since start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        series.seconds.increment(by: elapsed.seconds)
        series.count.increment()
    }
}
