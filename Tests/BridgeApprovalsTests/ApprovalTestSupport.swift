import BridgeApprovals
import BridgeCore
import BridgeCrypto
import Synchronization
import TestVectors
import Testing

/// A policy test double: named users are denied, amounts whose magnitude is above the currency's threshold need
/// `approvals` approvals from `eligibility` within `expiresAfter`, everything else is allowed.
struct ThresholdPolicy: TransferPolicy {
    var thresholds: [String: Int128] = ["USD": 100_000, "BTC": 100_000_000]  // 1,000.00 USD, 1 BTC
    var approvals = 2
    var eligibility = ApproverEligibility(roles: [.approver])
    var expiresAfter: Duration = .seconds(2 * 3600)
    var deniedUsers: Set<String> = []

    func decide(_ facts: TransferFacts, velocity: any VelocityLookup) throws(ApprovalError) -> PolicyDecision {
        if deniedUsers.contains(facts.externalUserID) { return .deny(policy: "blocked-users") }
        guard let threshold = thresholds[facts.currency.code], facts.amount.magnitude > threshold.magnitude else {
            return .allow(policy: "small")
        }
        return .requireApprovals(policy: "large", count: approvals, eligibility: eligibility, expiresAfter: expiresAfter)
    }
}

/// A policy test double that always answers the same.
struct FixedPolicy: TransferPolicy {
    let decision: PolicyDecision

    func decide(_ facts: TransferFacts, velocity: any VelocityLookup) throws(ApprovalError) -> PolicyDecision { decision }
}


/// Deterministic "random" bytes for the service, from a seed.
final class SeededBytes: Sendable {
    private let generator: Mutex<SeededGenerator>

    init(seed: UInt64) { generator = Mutex(SeededGenerator(seed: seed)) }

    func bytes(_ count: Int) -> [UInt8] {
        generator.withLock { generator in (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) } }
    }
}

/// An enrolled operator and the key their "device" holds.
struct TestOperator: Sendable {
    let record: Operator
    let key: PrivateKey

    var id: String { record.id }
    var name: String { record.name }
}

/// A service on an in-memory store and a manual clock, with USD (2 decimals) and BTC (8).
struct Harness: Sendable {
    static let usd = try! Currency(code: "USD", decimals: 2)
    static let btc = try! Currency(code: "BTC", decimals: 8)
    static let deploymentID = [UInt8](repeating: 0xD5, count: 32)

    let store: InMemoryApprovalStore
    let clock: ManualClock
    let service: ApprovalService

    init(policy: any TransferPolicy = ThresholdPolicy(), currencies: [Currency] = [Harness.usd, Harness.btc],
         configure: (inout ApprovalConfiguration) -> Void = { _ in },
         randomBytes: (@Sendable (Int) throws(ApprovalError) -> [UInt8])? = nil) throws {
        store = InMemoryApprovalStore()
        clock = ManualClock(Timestamp(secondsSinceEpoch: 1_795_000_000))
        var configuration = try ApprovalConfiguration(currencies: currencies, chainID: 1,
                                                      deploymentID: Self.deploymentID)
        configure(&configuration)
        if let randomBytes {
            service = ApprovalService(store: store, policy: policy, configuration: configuration, clock: clock,
                                      randomBytes: randomBytes)
        } else {
            service = ApprovalService(store: store, policy: policy, configuration: configuration, clock: clock)
        }
    }

    /// A private key from a small number (tests only; never a real key).
    static func key(_ number: UInt8) throws -> PrivateKey {
        try PrivateKey([UInt8](repeating: 0, count: 31) + [number])
    }

    static func address(_ key: PrivateKey) -> EthereumAddress { EthereumAddress(publicKey: key.publicKey) }

    /// What a device returns for a document: r || s || v over its EIP-712 digest, computed by `TypedData` from the
    /// JSON (independently of the service's own digest path).
    static func sign(_ document: JSONValue, with key: PrivateKey) throws -> [UInt8] {
        try EthereumSignature.sign(digest: try TypedData(json: document).digest(), with: key).bytes
    }

    /// Invites and enrols an operator whose device key is `key(keyNumber)`.
    @discardableResult
    func enroll(_ name: String, role: OperatorRole = .approver, keyNumber: UInt8) throws -> TestOperator {
        let key = try Self.key(keyNumber)
        let address = Self.address(key).checksummed
        let invite = try service.createInvite(role: role, actor: "admin:test")
        let document = try service.enrollmentDocument(name: name, invite: invite, address: address, path: "m/44'/60'/0'/0/0")
        let record = try service.enroll(name: name, invite: invite, address: address, path: "m/44'/60'/0'/0/0",
                                        signature: try Self.sign(document, with: key))
        return TestOperator(record: record, key: key)
    }

    /// The operator's device signature on the order's TransferApproval (or TransferRejection).
    func signature(_ orderID: String, by signer: TestOperator, decision: ApprovalRecord.Decision = .approve,
                   reason: String? = nil) throws -> [UInt8] {
        try Self.sign(try service.approvalDocument(orderID: orderID, decision: decision, reason: reason), with: signer.key)
    }

    @discardableResult
    func approve(_ orderID: String, by signer: TestOperator) throws -> TransferOrder {
        try service.submitDecision(orderID: orderID, decision: .approve, signature: try signature(orderID, by: signer))
    }

    @discardableResult
    func reject(_ orderID: String, by signer: TestOperator, reason: String = "suspicious") throws -> TransferOrder {
        try service.submitDecision(orderID: orderID, decision: .reject,
                                   signature: try signature(orderID, by: signer, decision: .reject, reason: reason),
                                   reason: reason)
    }

    @discardableResult
    func transfer(_ orderID: String, user: String = "alice", currency: String = "USD", amount: String,
                  initiator: String? = nil) throws -> TransferOutcome {
        try service.submitTransfer(TransferRequest(orderID: orderID, externalUserID: user, currency: currency,
                                                   amount: amount, initiatorOperatorID: initiator))
    }

    /// Every wallet, settlement accounts included.
    func allWallets() throws -> [Wallet] {
        try store.transaction { transaction throws(ApprovalError) in try transaction.allWallets() }
    }

    /// Per currency, the sum of every balance (double entry keeps it at zero).
    func balanceSums() throws -> [String: Int128] {
        try allWallets().reduce(into: [:]) { sums, wallet in sums[wallet.currency, default: 0] += wallet.balance }
    }

    func auditEvents() throws -> [AuditEvent] {
        try store.transaction { transaction throws(ApprovalError) in try transaction.auditEvents(after: 0, limit: .max) }
    }

    func outbox() throws -> [OutboxMessage] {
        try store.transaction { transaction throws(ApprovalError) in
            try transaction.dueOutboxMessages(at: Timestamp(millisecondsSinceEpoch: .max), limit: .max)
        }
    }

    func walletBalance(_ user: String, _ currency: String = "USD") throws -> (balance: Int128, held: Int128) {
        let wallet = try service.wallet(externalUserID: user, currency: currency)
        return (wallet.balance, wallet.held)
    }
}

/// The ApprovalError `body` throws (recorded as a failure when it throws something else or nothing).
@discardableResult
func approvalError(sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) -> ApprovalError? {
    #expect(throws: ApprovalError.self, sourceLocation: sourceLocation) { try body() }
}
