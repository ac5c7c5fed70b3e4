import BridgeApprovals
import BridgeCore
import BridgeCrypto
import BridgePostgres
import Foundation

/// `ApprovalService` on a PostgreSQL database with the demo policy (above 1,000 USD or 1 BTC: 2 approvals) and a
/// manual clock. `reopen()` closes the store and opens the database again, as a restarted service would;
/// `secondInstance()` is another service on the same database with its own store and connections, as another
/// `serve` process would be.
final class PostgresServiceHarness {
    static let usd = try! Currency(code: "USD", decimals: 2)
    static let btc = try! Currency(code: "BTC", decimals: 8)
    static let deploymentID = [UInt8](repeating: 0xD5, count: 32)

    let database: PostgresTestDatabase
    let clock = ManualClock(Timestamp(secondsSinceEpoch: 1_795_000_000))
    private(set) var store: PostgresApprovalStore
    private(set) var service: ApprovalService

    static func make(_ label: String = #function) async throws -> PostgresServiceHarness {
        try PostgresServiceHarness(database: try await PostgresTestDatabase.make(label))
    }

    private init(database: PostgresTestDatabase) throws {
        self.database = database
        store = try database.open(clock: clock)
        service = try Self.service(store: store, clock: clock)
    }

    static func service(store: any ApprovalStore, clock: ManualClock) throws -> ApprovalService {
        let configuration = try ApprovalConfiguration(currencies: [usd, btc], chainID: 1, deploymentID: deploymentID)
        return ApprovalService(store: store, policy: try PolicySet.demo(currencies: ["USD": usd, "BTC": btc]),
                               configuration: configuration, clock: clock)
    }

    func reopen() throws {
        store.close()
        store = try database.open(clock: clock)
        service = try Self.service(store: store, clock: clock)
    }

    /// Another instance on the same database: its own store (connection pool) and service.
    func secondInstance() throws -> (store: PostgresApprovalStore, service: ApprovalService) {
        let store = try database.open(clock: clock)
        return (store, try Self.service(store: store, clock: clock))
    }

    func remove() {
        database.close()
    }

    /// A test key from a small number; never a real key.
    static func key(_ number: UInt8) throws -> PrivateKey {
        try PrivateKey([UInt8](repeating: 0, count: 31) + [number])
    }

    /// What a device returns for an EIP-712 document: r || s || v over the digest `TypedData` computes from the JSON.
    static func sign(_ document: JSONValue, with key: PrivateKey) throws -> [UInt8] {
        try EthereumSignature.sign(digest: try TypedData(json: document).digest(), with: key).bytes
    }

    /// Invites and enrols an operator whose device key is `key(keyNumber)`.
    @discardableResult
    func enroll(_ name: String, role: OperatorRole = .approver, keyNumber: UInt8) throws -> (record: Operator, key: PrivateKey) {
        let key = try Self.key(keyNumber)
        let address = EthereumAddress(publicKey: key.publicKey).checksummed
        let invite = try service.createInvite(role: role, actor: "admin:test")
        let path = "m/44'/60'/\(keyNumber)'/0/0"
        let document = try service.enrollmentDocument(name: name, invite: invite, address: address, path: path)
        let record = try service.enroll(name: name, invite: invite, address: address, path: path,
                                        signature: try Self.sign(document, with: key))
        return (record, key)
    }

    func signature(_ orderID: String, with key: PrivateKey, decision: ApprovalRecord.Decision = .approve,
                   reason: String? = nil) throws -> [UInt8] {
        try Self.sign(try service.approvalDocument(orderID: orderID, decision: decision, reason: reason), with: key)
    }

    @discardableResult
    func transfer(_ orderID: String, user: String = "u-1", currency: String = "USD", amount: String) throws -> TransferOutcome {
        try service.submitTransfer(TransferRequest(orderID: orderID, externalUserID: user, currency: currency, amount: amount))
    }

    /// Per currency, the sum of every balance, settlement accounts included (double entry keeps it at zero).
    func balanceSums() throws -> [String: Int128] {
        try store.transaction { transaction throws(ApprovalError) in try transaction.allWallets() }
            .reduce(into: [:]) { sums, wallet in sums[wallet.currency, default: 0] += wallet.balance }
    }

    func balance(_ user: String, _ currency: String = "USD") throws -> (balance: Int128, held: Int128) {
        let wallet = try service.wallet(externalUserID: user, currency: currency)
        return (wallet.balance, wallet.held)
    }
}
