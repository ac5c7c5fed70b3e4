import BridgeCore
import Foundation
import ProcessTestSupport
import Synchronization

/// One transfer a load test sent, and what came back.
struct SentTransfer: Sendable {
    let orderID: String
    let user: String
    let amount: String
    /// `amount` in minor units (cents).
    let cents: Int
    /// The instance's index in the test's list.
    let instance: Int
    let sentAt: ContinuousClock.Instant
    let answeredAt: ContinuousClock.Instant
    /// nil: no HTTP answer (connection refused or reset: the instance was killed).
    let status: Int?
    /// The body, or what went wrong.
    let body: String

    /// The CRM error `type` of an error answer.
    var errorType: String? { (try? JSONValue(parsing: body))?["type"]?.stringValue }

    var summary: String { "\(orderID) \(amount) -> \(status.map(String.init) ?? "no answer") \(body)" }

    /// `PATCH /wallets/balance` through `instance`, never throwing: a failed exchange is recorded with no status.
    static func send(_ instance: ServeInstance, index: Int, orderID: String, user: String, amount: String) async -> SentTransfer {
        let sentAt = ContinuousClock.now
        do {
            let reply = try await instance.crm.transfer(user: user, currency: "USD", amount: amount, orderID: orderID)
            return SentTransfer(orderID: orderID, user: user, amount: amount, cents: Money.cents(amount)!, instance: index,
                                sentAt: sentAt, answeredAt: .now, status: reply.status, body: reply.text)
        } catch {
            return SentTransfer(orderID: orderID, user: user, amount: amount, cents: Money.cents(amount)!, instance: index,
                                sentAt: sentAt, answeredAt: .now, status: nil, body: "\(error)")
        }
    }
}

/// Runs `work(0)` ... `work(count - 1)` with at most `width` at once; results in index order.
func concurrently<T: Sendable>(_ count: Int, width: Int, _ work: @escaping @Sendable (Int) async -> T) async -> [T] {
    await withTaskGroup(of: (Int, T).self) { group in
        var next = 0
        var results: [Int: T] = [:]
        while next < min(width, count) {
            let index = next
            group.addTask { (index, await work(index)) }
            next += 1
        }
        while let (index, result) = await group.next() {
            results[index] = result
            if next < count {
                let index = next
                group.addTask { (index, await work(index)) }
                next += 1
            }
        }
        return (0..<count).map { results[$0]! }
    }
}

/// What the configuration-file clusters share: the service's configuration with webhooks to the test's receiver, and
/// the CRM users' wallets.
enum ConfiguredCluster {
    static let apiKey = "cluster_test_api_key_0123456789abcdef"
    static let webhookSecret = "cluster-test-webhook-secret-0123456789"

    /// USD only; above 1,000 USD needs two approvals, everything else applies at once; webhooks to `receiver` with
    /// a short claim lease, polled often.
    static func configuration(_ cluster: Cluster, receiver: WebhookReceiver, leaseSeconds: Int) throws -> URL {
        try cluster.write("service.json", """
            {
              "apiKey": "\(apiKey)",
              "database": "\(cluster.database)",
              "currencies": {"USD": {"decimals": 2}},
              "policies": {"default": "allow", "rules": [
                {"name": "large-usd", "when": {"amountAbove": {"USD": "1000"}},
                 "then": {"require": {"approvals": 2, "roles": ["approver", "admin"]}}}
              ]},
              "webhooks": {"urls": ["\(receiver.url)"], "secret": "\(webhookSecret)",
                           "claimLeaseSeconds": \(leaseSeconds), "pollIntervalMilliseconds": 100}
            }
            """)
    }

    /// `walletbridge admin wallet import` (station-local, on the database the running instances share): `users`
    /// wallets `u-1`... in USD, each opening with `balance`. Returns the user ids.
    static func createWallets(_ cluster: Cluster, configuration: URL, users: Int, balance: String) async throws -> [String] {
        let ids = (1...users).map { "u-\($0)" }
        let file = try cluster.write("wallets.csv", "external_user_id,currency,initial_balance\n"
            + ids.map { "\($0),USD,\(balance)\n" }.joined())
        let imported = try await cluster.walletbridge(["admin", "wallet", "import", "--file", file.path,
                                                       "--config", configuration.path])
        guard imported.succeeded, imported.json?["created"] == .number(JSONNumber(users)) else {
            throw HarnessError("wallet import failed: \(imported.summary)")
        }
        return ids
    }

    /// The outbox as the database holds it: id -> event.
    static func outbox(_ cluster: Cluster) async throws -> [String: String] {
        let rows = try await cluster.sql("SELECT id::text, event FROM outbox")
        return Dictionary(uniqueKeysWithValues: rows.map { ($0[0] ?? "", $0[1] ?? "") })
    }

    /// Waits until every outbox row was fanned out into a delivery, every delivery is recorded as delivered, and
    /// the receiver answered a POST of each; returns the outbox. Throws with the state after `timeout`.
    static func waitForEveryWebhook(_ cluster: Cluster, receiver: WebhookReceiver, timeout: Duration) async throws
        -> [String: String]
    {
        let deadline = ContinuousClock.now + timeout
        while true {
            let outbox = try await outbox(cluster)
            let deliveries = try await cluster.sqlInteger("SELECT count(*) FROM webhook_deliveries")
            let pending = try await cluster.sqlInteger("""
                SELECT count(*) FROM webhook_deliveries WHERE delivered_at IS NULL OR failed_at IS NOT NULL
                """)
            let answered = Set(receiver.requests.filter(\.answered).compactMap(\.delivery))
            if !outbox.isEmpty, deliveries == outbox.count, pending == 0, answered.isSuperset(of: outbox.keys) {
                return outbox
            }
            guard ContinuousClock.now < deadline else {
                let missing = Set(outbox.keys).subtracting(answered).sorted { Int($0)! < Int($1)! }
                throw HarnessError("""
                    webhooks not all delivered within \(timeout): outbox \(outbox.count), deliveries \(deliveries), \
                    not delivered \(pending), never answered by the receiver: \(missing.prefix(20))
                    """)
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }
}

/// What a running load and the test watching it share.
final class LoadState: Sendable {
    /// Every transfer sent so far, in the order they were answered.
    let log = Mutex<[SentTransfer]>([])
    /// Transfers started (the next order id's number).
    let started = Atomic<Int>(0)
    /// Transfers answered (or failed).
    let finished = Atomic<Int>(0)
    /// Cleared to stop the load.
    let running = Atomic<Bool>(true)

    var sent: [SentTransfer] { log.withLock { $0 } }

    func record(_ transfer: SentTransfer) {
        log.withLock { $0.append(transfer) }
        finished.add(1, ordering: .relaxed)
    }
}
