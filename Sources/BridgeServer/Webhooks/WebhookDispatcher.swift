import BridgeApprovals
import BridgeCore
import Dispatch
import FoundationEssentials
import Synchronization

/// Delivers the webhook outbox (CONTRACT 2.4): every message is POSTed, signed, to every configured URL.
///
/// Each (message, URL) pair is a ``WebhookDelivery`` with its own attempts and schedule in the database: a failed POST
/// is tried again 1, 2, 4, 8 and 16 s after it failed, and when the fifth retry fails too the delivery is marked failed
/// and an alert is raised (an error log line, a counter, and a POST to the alert URL when one is configured).
/// Deliveries run concurrently on their own threads (at most `concurrency` at once, `concurrencyPerURL` per receiver),
/// so a receiver that never answers, costing 5 s per attempt, delays neither the other receivers nor, up to that
/// many at once, its own other messages. A restarted service picks the schedules up where the old one left them.
///
/// An outbox row is fanned out into its deliveries once (its `delivered_at` then says so); deliveries to a URL later
/// removed from the configuration stay in the database unsent. Delivery is at least once: a receiver may see a
/// message twice after a restart mid-POST, and deduplicates by the `X-WalletBridge-Delivery` header (the outbox id).
public final class WebhookDispatcher: Sendable {
    /// The retry delays of CONTRACT 2.4: the first retry 1 s after the first failure, the fifth 16 s after the fourth.
    public static let defaultRetryDelays: [Duration] = [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16)]
    /// How long a claimed delivery stays out of other instances' reach: longer than a POST may take (5 s timeout)
    /// plus recording it, short enough that a dead instance's deliveries are taken over soon.
    public static let defaultClaimLease: Duration = .seconds(30)

    /// What one ``runOnce()`` did, counted per delivery (a message to two URLs is two).
    public struct RunSummary: Sendable, Equatable {
        /// Deliveries that got a 2xx (and messages settled without a POST when no URL is configured).
        public var delivered = 0
        /// Deliveries that failed and were scheduled for a retry.
        public var retried = 0
        /// Deliveries given up on (each raised an alert).
        public var failed = 0

        public init(delivered: Int = 0, retried: Int = 0, failed: Int = 0) {
            self.delivered = delivered
            self.retried = retried
            self.failed = failed
        }

        public var processed: Int { delivered + retried + failed }
    }

    public let metrics: WebhookMetrics
    private let store: any ApprovalStore
    private let clock: any Clock
    private let transport: any WebhookTransport
    private let signer: WebhookSigner
    private let urls: [String]
    private let alertURL: URL?
    private let retryDelays: [Duration]
    private let pollInterval: Duration
    /// How far a claimed delivery's due time is pushed while this instance POSTs it.
    private let claimLease: Duration
    private let batchSize: Int
    private let concurrencyPerURL: Int
    private let logger: WebhookLogger

    /// The threads POSTs run on, and the deliveries on them now (never picked twice), by URL.
    private let pool: BlockingWorkerPool
    private let inFlight = Mutex(InFlight())
    /// Every pass, from before it claims until it has started its deliveries, and every delivery until its outcome is
    /// recorded, whichever pass (the background loop's or ``runOnce()``) started it.
    private let unfinished = DispatchGroup()
    private let loopState = Mutex(LoopState.idle)
    private let wakeUp = DispatchSemaphore(value: 0)
    private let loopFinished = DispatchSemaphore(value: 0)

    private enum LoopState { case idle, running, stopping }

    private struct InFlight {
        var keys: Set<DeliveryKey> = []
        var perURL: [String: Int] = [:]
    }

    private struct DeliveryKey: Hashable {
        let outboxID: Int64
        let url: String
    }

    /// - Parameters:
    ///   - clock: decides what is due and when retries are; tests pass a `ManualClock`.
    ///   - urls: the receivers; with none, messages are settled without a POST, so they do not pile up.
    ///   - retryDelays: the delay before each retry; a delivery fails after `retryDelays.count` retries.
    ///   - pollInterval: how often the background loop (``start()``) looks for due deliveries; ``wake()`` and every
    ///     finished POST cut it short.
    ///   - claimLease: how long a delivery this instance started stays out of other instances' reach.
    ///   - concurrency: POSTs in flight at most (each holds a thread while it waits).
    ///   - concurrencyPerURL: POSTs in flight to one receiver at most.
    ///   - logger: failed attempts as warnings, given-up deliveries as errors (the alert).
    public init(store: any ApprovalStore, clock: any Clock, transport: any WebhookTransport, signer: WebhookSigner,
                urls: [URL], alertURL: URL? = nil, retryDelays: [Duration] = WebhookDispatcher.defaultRetryDelays,
                pollInterval: Duration = .milliseconds(500), claimLease: Duration = WebhookDispatcher.defaultClaimLease,
                batchSize: Int = 100, concurrency: Int = 16, concurrencyPerURL: Int = 8, metrics: WebhookMetrics = WebhookMetrics(),
                logger: @escaping WebhookLogger = { _, _ in }) {
        self.store = store
        self.clock = clock
        self.transport = transport
        self.signer = signer
        self.urls = urls.map(\.absoluteString)
        self.alertURL = alertURL
        self.retryDelays = retryDelays
        self.pollInterval = pollInterval
        self.claimLease = claimLease
        self.batchSize = max(1, batchSize)
        self.concurrencyPerURL = max(1, concurrencyPerURL)
        self.metrics = metrics
        self.logger = logger
        pool = BlockingWorkerPool(threadCount: max(1, concurrency), name: "walletbridge-webhooks")
    }

    deinit {
        pool.shutDown()
    }

    // MARK: One pass

    /// Fans new messages out into deliveries, starts every due delivery there is room for, and waits for those POSTs
    /// to finish and be recorded (tests drive the schedule with this on a manual clock). It also waits for deliveries
    /// the background loop had claimed first, which this pass found leased: when it returns, every delivery due when
    /// it began has had its attempt recorded, whoever made it.
    @discardableResult
    public func runOnce() throws(ApprovalError) -> RunSummary {
        let batch = try dispatchDue()
        // Every delivery holds `unfinished` until recorded: this pass's own as well as the background loop's.
        unfinished.wait()
        return batch.summary.withLock { $0 }
    }

    /// The POSTs one pass started, and what they came to.
    private final class Batch: Sendable {
        let group = DispatchGroup()
        let summary = Mutex(RunSummary())
        /// Deliveries started (0: nothing was due or there was no room).
        let started = Atomic<Int>(0)
    }

    /// Fans out and starts the due deliveries, without waiting for them.
    private func dispatchDue() throws(ApprovalError) -> Batch {
        // Held from before the claim until each claimed delivery holds its own, so a runOnce that finds them leased
        // cannot slip between the two.
        unfinished.enter()
        defer { unfinished.leave() }
        let batch = Batch()
        let settled = try fanOut()
        batch.summary.withLock { $0.delivered += settled }
        guard !urls.isEmpty else { return batch }
        // Claimed in one transaction: each delivery this pass starts is pushed a lease into the future, so another
        // instance on the same database does not find it due and POST it too; if this process dies mid-POST the lease
        // runs out and another instance takes the delivery over. The attempt's outcome replaces the lease.
        let now = clock.now()
        let claimed = try store.transaction { transaction throws(ApprovalError) -> [WebhookDelivery] in
            var claimed: [WebhookDelivery] = []
            for delivery in try transaction.dueWebhookDeliveries(at: now, urls: urls, limit: batchSize) where reserve(delivery) {
                var leased = delivery
                leased.nextAttemptAt = now + claimLease
                try transaction.updateWebhookDelivery(leased)
                claimed.append(delivery)
            }
            return claimed
        }
        for delivery in claimed {
            batch.group.enter()
            unfinished.enter()
            batch.started.add(1, ordering: .relaxed)
            let submitted = pool.submit { [self] in
                run(delivery, batch: batch)
            }
            if !submitted {
                release(delivery)
                batch.group.leave()
                unfinished.leave()
            }
        }
        return batch
    }

    /// Turns due outbox rows into deliveries, one per URL (or, with no URL, settles them); returns how many rows were
    /// settled without a POST.
    private func fanOut() throws(ApprovalError) -> Int {
        let now = clock.now()
        // Looked up cheaply first; then read again inside the writing transaction, where another instance's fan-out
        // of the same rows has either committed (they are no longer due) or not begun.
        let anyDue = try store.read { transaction throws(ApprovalError) in
            try !transaction.dueOutboxMessages(at: now, limit: 1).isEmpty
        }
        guard anyDue else { return 0 }
        let messages = try store.transaction { transaction throws(ApprovalError) -> [OutboxMessage] in
            let messages = try transaction.dueOutboxMessages(at: now, limit: batchSize)
            for message in messages {
                try transaction.insertWebhookDeliveries(of: message, urls: urls)
                var settled = message
                settled.deliveredAt = now
                try transaction.updateOutboxMessage(settled)
            }
            return messages
        }
        return urls.isEmpty ? messages.count : 0
    }

    private func reserve(_ delivery: WebhookDelivery) -> Bool {
        let key = DeliveryKey(outboxID: delivery.outboxID, url: delivery.url)
        return inFlight.withLock { state in
            guard !state.keys.contains(key), state.perURL[delivery.url, default: 0] < concurrencyPerURL else { return false }
            state.keys.insert(key)
            state.perURL[delivery.url, default: 0] += 1
            return true
        }
    }

    private func release(_ delivery: WebhookDelivery) {
        inFlight.withLock { state in
            state.keys.remove(DeliveryKey(outboxID: delivery.outboxID, url: delivery.url))
            state.perURL[delivery.url, default: 1] -= 1
        }
    }

    /// One POST on a pool thread, its outcome recorded, then the loop woken (a slot is free, a retry may be due).
    private func run(_ delivery: WebhookDelivery, batch: Batch) {
        defer {
            release(delivery)
            batch.group.leave()
            unfinished.leave()
            wakeUp.signal()
        }
        let updated = attempt(delivery)
        do {
            try store.transaction { transaction throws(ApprovalError) in try transaction.updateWebhookDelivery(updated) }
        } catch {
            logger(.error, "webhook delivery of outbox \(delivery.outboxID) to \(delivery.url) could not be recorded: "
                + error.message)
            return
        }
        batch.summary.withLock { summary in
            if updated.deliveredAt != nil {
                summary.delivered += 1
            } else if updated.failedAt != nil {
                summary.failed += 1
            } else {
                summary.retried += 1
            }
        }
    }

    /// POSTs `delivery` and returns it with the outcome recorded: delivered, scheduled again from the time it failed,
    /// or failed with an alert raised.
    private func attempt(_ delivery: WebhookDelivery) -> WebhookDelivery {
        var updated = delivery
        let body = Array(delivery.body.utf8)
        let headers: [(name: String, value: String)] = [
            (WebhookSigner.headerName, signer.signatureHeader(body: body, unixTime: clock.now().secondsSinceEpoch)),
            ("X-WalletBridge-Event", delivery.event),
            ("X-WalletBridge-Delivery", String(delivery.outboxID)),
        ]
        let failure: String? = if let url = URL(string: delivery.url) {
            post(WebhookRequest(url: url, body: body, headers: headers))
        } else {
            "not a URL"
        }
        let finished = clock.now()
        updated.attempts += 1
        guard let failure else {
            updated.deliveredAt = finished
            updated.lastError = nil
            return updated
        }
        updated.lastError = failure
        if updated.attempts > retryDelays.count {
            updated.failedAt = finished
            raiseAlert(for: updated, failure: failure)
        } else {
            let delay = retryDelays[updated.attempts - 1]
            updated.nextAttemptAt = finished + delay
            logger(.warning, "webhook \(delivery.event) (outbox \(delivery.outboxID)) attempt \(updated.attempts) failed: "
                + "\(delivery.url): \(failure); retrying in \(delay.wholeMilliseconds / 1000) s")
        }
        return updated
    }

    /// Sends one request and records it in the metrics; nil on a 2xx, otherwise what went wrong.
    private func post(_ request: WebhookRequest) -> String? {
        let started = ContinuousClock.now
        let result = transport.post(request)
        let latency = ContinuousClock.now - started
        let failure: String? = switch result {
        case .success(let status) where (200..<300).contains(status): nil
        case .success(let status): "HTTP \(status)"
        case .failure(let error): error.reason
        }
        metrics.recordAttempt(succeeded: failure == nil, latency: latency)
        return failure
    }

    private func raiseAlert(for delivery: WebhookDelivery, failure: String) {
        metrics.recordFailedMessage()
        logger(.error, "ALERT: webhook \(delivery.event) (outbox \(delivery.outboxID)) failed after \(delivery.attempts) "
            + "attempts to \(delivery.url), giving up: \(failure)")
        guard let alertURL else { return }
        let payload = (try? JSONValue(parsing: delivery.body)) ?? .string(delivery.body)
        let alert: JSONValue = [
            "event": "webhook.failed",
            "outbox_id": .number(JSONNumber(delivery.outboxID)),
            "url": .string(delivery.url),
            "webhook_event": .string(delivery.event),
            "attempts": .number(JSONNumber(delivery.attempts)),
            "created_at": .string(delivery.createdAt.rfc3339),
            "last_error": .string(failure),
            "payload": payload,
        ]
        let body = Array(alert.serialized().utf8)
        let headers: [(name: String, value: String)] = [
            (WebhookSigner.headerName, signer.signatureHeader(body: body, unixTime: clock.now().secondsSinceEpoch)),
            ("X-WalletBridge-Event", "webhook.failed"),
        ]
        // One try only: the alert is the last resort, and the error log line above already carries it.
        let status = transport.post(WebhookRequest(url: alertURL, body: body, headers: headers))
        if case .success(let code) = status, (200..<300).contains(code) { return }
        metrics.recordFailedAlert()
        logger(.error, "the alert for outbox \(delivery.outboxID) to \(delivery.url) could not be sent to "
            + "\(alertURL.absoluteString): \(status)")
    }

    // MARK: Background loop

    /// Starts the background loop on its own thread: due deliveries are started as they fall due and as slots free
    /// up, checked every `pollInterval` at the latest. Calling it while running does nothing.
    public func start() {
        let starting = loopState.withLock { state in
            guard state == .idle else { return false }
            state = .running
            return true
        }
        guard starting else { return }
        if !NativeThread.start("walletbridge-webhooks", { [self] in runLoop() }) {
            // No thread for the loop: messages stay queued (nothing is lost) until a later start() gets one.
            loopState.withLock { $0 = .idle }
        }
    }

    /// Stops the loop; POSTs in flight finish and are recorded before it returns.
    public func stop() {
        let stopping = loopState.withLock { state in
            guard state == .running else { return false }
            state = .stopping
            return true
        }
        guard stopping else { return }
        wakeUp.signal()
        loopFinished.wait()
    }

    /// Looks for due deliveries now instead of at the next poll (after a state change queued a webhook).
    public func wake() {
        wakeUp.signal()
    }

    private func runLoop() {
        var started: [Batch] = []
        while loopState.withLock({ $0 == .running }) {
            do {
                let batch = try dispatchDue()
                if batch.started.load(ordering: .relaxed) > 0 { started.append(batch) }
            } catch {
                logger(.error, "webhook delivery pass failed: \(error)")
            }
            _ = wakeUp.wait(timeout: .now() + .milliseconds(Int(max(1, pollInterval.wholeMilliseconds))))
            started.removeAll { $0.group.wait(timeout: .now()) == .success }
        }
        for batch in started { batch.group.wait() }
        loopState.withLock { $0 = .idle }
        loopFinished.signal()
    }
}
