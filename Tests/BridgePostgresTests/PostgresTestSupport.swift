import BridgeApprovals
import BridgeCore
import BridgeCrypto
import BridgePostgres
import Foundation
import Synchronization
import Testing

/// One test's database on the shared server: opened as a store as many times as the test likes (a restart, a second
/// instance), each store closed by `close()`.
final class PostgresTestDatabase: Sendable {
    let url: String
    private let stores = Mutex<[PostgresApprovalStore]>([])

    /// A fresh, empty database.
    static func make(_ label: String = #function) async throws -> PostgresTestDatabase {
        PostgresTestDatabase(url: try await PostgresTests.database(label))
    }

    private init(url: String) {
        self.url = url
    }

    /// A store on the database (a new instance each call, with its own connections), closed by ``close()``.
    func open(clock: any BridgeApprovals.Clock = ManualClock(), connections: Int = PostgresApprovalStore.defaultConnections)
        throws -> PostgresApprovalStore
    {
        let store = try PostgresApprovalStore(url: url, clock: clock, connections: connections)
        stores.withLock { $0.append(store) }
        return store
    }

    /// A plain connection for inspecting or tampering with the rows behind the store's back (close it).
    func connection() throws -> PostgresConnection {
        try PostgresConnection(conninfo: url)
    }

    /// Closes every store opened through this database (the server and its folder go at the end of the suite).
    func close() {
        for store in stores.withLock({ $0 }) { store.close() }
    }
}

/// The storage message `body` fails with; nil when it succeeds or fails otherwise (so an expectation on it fails).
func storageFailure(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch {
        return storageMessage(error)
    }
}

/// A thrown error's storage message, or nil when it is not a storage error.
func storageMessage(_ error: any Error) -> String? {
    guard case .storage(let message) = error as? ApprovalError else { return nil }
    return message
}

/// Rows for the round-trip tests: every optional field set once and unset once (BridgeStoreTests' fixtures).
enum Fixtures {
    static let start = Timestamp(secondsSinceEpoch: 1_795_000_000)

    static func wallet(_ id: String, user: String = "user-1", currency: String = "USD", balance: Int128 = 10_000,
                       held: Int128 = 0) -> Wallet {
        Wallet(id: id, kind: .external, externalUserID: user, currency: currency, balance: balance, held: held, createdAt: start)
    }

    static func settlement(_ currency: String) -> Wallet {
        Wallet(id: Wallet.settlementID(currency: currency), kind: .settlement, externalUserID: "", currency: currency,
               balance: -10_000, createdAt: start)
    }

    static func order(_ id: String, wallet: String = "w-1", user: String = "user-1", amount: Int128 = -2_500,
                      status: OrderStatus = .pendingApproval, createdAt: Timestamp = start) -> TransferOrder {
        TransferOrder(
            orderID: id, externalUserID: user, currency: "USD", walletID: wallet, amount: amount, status: status,
            policyName: "big-usd", approvalsRequired: 2,
            eligibleApprovers: ApproverEligibility(roles: [.admin, .approver], operators: ["carol", "alice"]),
            nonce: Array(repeating: 0xA5, count: 32), createdAt: createdAt, expiresAt: createdAt + .seconds(7200)
        )
    }

    static func key(_ seed: UInt8) throws -> PrivateKey {
        try PrivateKey([UInt8](repeating: seed, count: 32))
    }

    static func operatorRecord(_ id: String, name: String, keySeed: UInt8, role: OperatorRole = .approver) throws -> Operator {
        let key = try key(keySeed)
        return Operator(id: id, name: name, role: role, address: EthereumAddress(publicKey: key.publicKey),
                        publicKey: key.publicKey.compressed, path: "m/44'/60'/0'/0/\(keySeed)", enrolledAt: start)
    }

    /// A chain of `count` well-formed audit events (hashes are the SHA-256 of what the service hashes).
    static func auditChain(_ count: Int, startingAfter last: AuditEvent? = nil) -> [AuditEvent] {
        var previous = last?.hash ?? AuditEvent.genesisHash
        var sequence = last?.sequence ?? 0
        return (0..<count).map { index in
            sequence += 1
            let payload: JSONValue = ["order_id": .string("o-\(sequence)"), "amount": .number(JSONNumber(text: "-25.00")!)]
            let time = Timestamp(millisecondsSinceEpoch: start.millisecondsSinceEpoch + Int64(index))
            let hash = ApprovalService.auditHash(previousHash: previous, sequence: sequence, time: time, actor: "crm",
                                                 kind: "order.received", payload: payload)
            defer { previous = hash }
            return AuditEvent(sequence: sequence, time: time, actor: "crm", kind: "order.received", payload: payload,
                              previousHash: previous, hash: hash)
        }
    }
}

/// The error a test throws from a transaction body to make it roll back.
let deliberateFailure = ApprovalError.invalidRequest("deliberate failure to roll back")

/// The ApprovalError `body` throws (recorded as a failure when it throws something else or nothing).
@discardableResult
func approvalError(sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) -> ApprovalError? {
    #expect(throws: ApprovalError.self, sourceLocation: sourceLocation) { try body() }
}

/// Runs `work(0)` ... `work(count - 1)` at once, each on a thread of its own (store calls block, and the cooperative
/// pool has two threads), and returns their results in index order once all are done.
func onThreads<T: Sendable>(_ count: Int, _ work: @escaping @Sendable (Int) -> T) async -> [T] {
    let results = Mutex<[Int: T]>([:])
    await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
        let remaining = Atomic<Int>(count)
        for index in 0..<count {
            Thread {
                let result = work(index)
                results.withLock { $0[index] = result }
                if remaining.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 { done.resume() }
            }.start()
        }
    }
    let collected = results.withLock { $0 }
    return (0..<count).compactMap { collected[$0] }
}
