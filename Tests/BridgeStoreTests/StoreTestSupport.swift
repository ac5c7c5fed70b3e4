import BridgeApprovals
import BridgeCore
import BridgeCrypto
import BridgeStore
import Foundation
import Testing

/// A database file in a fresh temporary directory, removed (with its -wal and -shm files) by `remove()`.
struct TemporaryDatabase {
    let directory: String
    let path: String

    init() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("walletbridge-store-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        path = directory + "/walletbridge.sqlite"
    }

    func open() throws -> SQLiteApprovalStore {
        try SQLiteApprovalStore(path: path, clock: ManualClock())
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: directory)
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

/// Rows for the round-trip tests: every optional field set once and unset once.
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
            let body: JSONValue = [
                "sequence": .number(JSONNumber(sequence)), "time": .number(JSONNumber(start.millisecondsSinceEpoch + Int64(index))),
                "actor": "crm", "kind": "order.received", "payload": payload,
            ]
            let hash = Hash.sha256(previous + Array(body.serialized(.canonical).utf8))
            defer { previous = hash }
            return AuditEvent(sequence: sequence, time: Timestamp(millisecondsSinceEpoch: start.millisecondsSinceEpoch + Int64(index)),
                              actor: "crm", kind: "order.received", payload: payload, previousHash: previous, hash: hash)
        }
    }
}

extension SQLiteApprovalStore {
    /// Changes wallet `id` in a transaction of its own (a new balance, or closes it when `close` is set).
    func changeWallet(_ id: String = "w-1", balance: Int128? = nil, close: Bool = false) throws(ApprovalError) {
        try transaction { transaction throws(ApprovalError) in
            guard var wallet = try transaction.wallet(id: id) else { throw .storage("wallet \(id) vanished") }
            if let balance { wallet.balance = balance }
            if close {
                wallet.status = .closed
                wallet.closedAt = Fixtures.start
            }
            try transaction.updateWallet(wallet)
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
