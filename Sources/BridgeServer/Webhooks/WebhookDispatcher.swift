import BridgeApprovals
import BridgeCore
import Dispatch
import Foundation
import Synchronization

/// Delivers the webhook outbox (CONTRACT 2.4): every due row is POSTed, signed, to every configured URL.
///
/// A row is delivered when each URL has answered 2xx; otherwise it is tried again after 1, 2, 4, 8 and 16 s, and
/// when the fifth retry fails too it is marked failed and an alert is raised (an error log line, a counter, and a
/// POST to the alert URL when one is configured). Attempts and the next due time live in the outbox row, so a
/// restarted service picks up the schedule where the old one left it.
///
/// Delivery is at least once: a URL that already answered 2xx is not sent the same row again while this dispatcher
/// lives, but after a restart, or when another URL kept failing, a receiver may see a row twice. Receivers
/// deduplicate by the `X-WalletBridge-Delivery` header (the outbox row id).
public final class WebhookDispatcher: Sendable {
    /// The retry delays of CONTRACT 2.4: the first retry 1 s after the first failure, the fifth 16 s after the fourth.
    public static let defaultRetryDelays: [Duration] = [.seconds(1), .seconds(2), .seconds(4), .seconds(8), .seconds(16)]

    /// What one ``runOnce()`` did.
    public struct RunSummary: Sendable, Equatable {
        /// Rows that reached every URL.
        public var delivered = 0
        /// Rows that failed and were scheduled for a retry.
        public var retried = 0
        /// Rows given up on (each raised an alert).
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
    private let urls: [URL]
    private let alertURL: URL?
    private let retryDelays: [Duration]
    private let pollInterval: Duration
    private let batchSize: Int
    private let logger: WebhookLogger

    /// URLs that already took a row, by row id: held for the whole of ``runOnce()``, which also keeps two runs from
    /// delivering the same row at once.
    private let deliveryState = Mutex<[Int64: Set<URL>]>([:])
    private let loopState = Mutex(LoopState.idle)
    private let wakeUp = DispatchSemaphore(value: 0)
    private let loopFinished = DispatchSemaphore(value: 0)

    private enum LoopState { case idle, running, stopping }

    /// - Parameters:
    ///   - clock: decides which rows are due and when retries are; tests pass a `ManualClock`.
    ///   - urls: the receivers; with none, rows are marked delivered without a POST, so they do not pile up.
    ///   - retryDelays: the delay before each retry; the row fails after `retryDelays.count` retries.
    ///   - pollInterval: how often the background loop (``start()``) looks for due rows; ``wake()`` cuts it short.
    ///   - logger: failed attempts as warnings, given-up rows as errors (the alert).
    public init(store: any ApprovalStore, clock: any Clock, transport: any WebhookTransport, signer: WebhookSigner,
                urls: [URL], alertURL: URL? = nil, retryDelays: [Duration] = WebhookDispatcher.defaultRetryDelays,
                pollInterval: Duration = .milliseconds(500), batchSize: Int = 100,
                metrics: WebhookMetrics = WebhookMetrics(), logger: @escaping WebhookLogger = { _, _ in }) {
        self.store = store
        self.clock = clock
        self.transport = transport
        self.signer = signer
        self.urls = urls
        self.alertURL = alertURL
        self.retryDelays = retryDelays
        self.pollInterval = pollInterval
        self.batchSize = max(1, batchSize)
        self.metrics = metrics
        self.logger = logger
    }

    // MARK: One pass

    /// Delivers every row due now (at most `batchSize`), oldest first, and records each outcome in its row.
    @discardableResult
    public func runOnce() throws(ApprovalError) -> RunSummary {
        try deliveryState.withLock { (delivered: inout [Int64: Set<URL>]) throws(ApprovalError) -> RunSummary in
            // A lookup: it need not hold the writer's lock that transfers are waiting for.
            let due = try store.read { transaction throws(ApprovalError) in
                try transaction.dueOutboxMessages(at: clock.now(), limit: batchSize)
            }
            var summary = RunSummary()
            if urls.isEmpty {
                // Nothing to send: the whole batch is settled in one transaction rather than one each, which under a
                // transfer load would double the writes competing for the store.
                let now = clock.now()
                let settled = due.map { message in
                    var updated = message
                    updated.deliveredAt = now
                    return updated
                }
                try store.transaction { transaction throws(ApprovalError) in
                    for message in settled { try transaction.updateOutboxMessage(message) }
                }
                summary.delivered = settled.count
                return summary
            }
            for message in due {
                guard let id = message.id else { continue }
                let updated = attempt(message, id: id, alreadyDelivered: &delivered[id, default: []])
                try store.transaction { transaction throws(ApprovalError) in try transaction.updateOutboxMessage(updated) }
                if updated.deliveredAt != nil {
                    summary.delivered += 1
                } else if updated.failedAt != nil {
                    summary.failed += 1
                } else {
                    summary.retried += 1
                }
                if updated.deliveredAt != nil || updated.failedAt != nil { delivered[id] = nil }
            }
            return summary
        }
    }

    /// POSTs `message` to the URLs that have not taken it yet and returns the row with the outcome recorded.
    private func attempt(_ message: OutboxMessage, id: Int64, alreadyDelivered: inout Set<URL>) -> OutboxMessage {
        var updated = message
        let now = clock.now()
        guard !urls.isEmpty else {
            updated.deliveredAt = now
            return updated
        }
        let body = Array(message.body.utf8)
        let headers: [(name: String, value: String)] = [
            (WebhookSigner.headerName, signer.signatureHeader(body: body, unixTime: now.secondsSinceEpoch)),
            ("X-WalletBridge-Event", message.event),
            ("X-WalletBridge-Delivery", String(id)),
        ]
        var failures: [String] = []
        for url in urls where !alreadyDelivered.contains(url) {
            if let failure = post(WebhookRequest(url: url, body: body, headers: headers)) {
                failures.append("\(url.absoluteString): \(failure)")
            } else {
                alreadyDelivered.insert(url)
            }
        }
        updated.attempts += 1
        if failures.isEmpty {
            updated.deliveredAt = now
        } else if updated.attempts > retryDelays.count {
            updated.failedAt = now
            raiseAlert(for: updated, id: id, failures: failures)
        } else {
            let delay = retryDelays[updated.attempts - 1]
            updated.nextAttemptAt = now + delay
            logger(.warning, "webhook \(message.event) (outbox \(id)) attempt \(updated.attempts) failed: "
                + failures.joined(separator: "; ") + "; retrying in \(delay.wholeMilliseconds / 1000) s")
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

    private func raiseAlert(for message: OutboxMessage, id: Int64, failures: [String]) {
        metrics.recordFailedMessage()
        logger(.error, "ALERT: webhook \(message.event) (outbox \(id)) failed after \(message.attempts) attempts, "
            + "giving up: " + failures.joined(separator: "; "))
        guard let alertURL else { return }
        let payload = (try? JSONValue(parsing: message.body)) ?? .string(message.body)
        let alert: JSONValue = [
            "event": "webhook.failed",
            "outbox_id": .number(JSONNumber(id)),
            "webhook_event": .string(message.event),
            "attempts": .number(JSONNumber(message.attempts)),
            "created_at": .string(message.createdAt.rfc3339),
            "failures": .array(failures.map { .string($0) }),
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
        logger(.error, "the alert for outbox \(id) could not be sent to \(alertURL.absoluteString): \(status)")
    }

    // MARK: Background loop

    /// Starts the background loop on its own thread: ``runOnce()`` every `pollInterval` (at once again while a full
    /// batch came back). Calling it while running does nothing.
    public func start() {
        let starting = loopState.withLock { state in
            guard state == .idle else { return false }
            state = .running
            return true
        }
        guard starting else { return }
        let thread = Thread { [self] in runLoop() }
        thread.name = "walletbridge-webhooks"
        thread.start()
    }

    /// Stops the loop and waits until the pass in progress, if any, has finished (its deliveries are recorded).
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

    /// Looks for due rows now instead of at the next poll (after a state change queued a webhook).
    public func wake() {
        wakeUp.signal()
    }

    private func runLoop() {
        while loopState.withLock({ $0 == .running }) {
            do {
                if try runOnce().processed >= batchSize { continue }
            } catch {
                logger(.error, "webhook delivery pass failed: \(error)")
            }
            _ = wakeUp.wait(timeout: .now() + .milliseconds(Int(max(1, pollInterval.wholeMilliseconds))))
        }
        loopState.withLock { $0 = .idle }
        loopFinished.signal()
    }
}
