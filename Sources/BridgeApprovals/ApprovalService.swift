import BridgeCore
import BridgeCrypto

/// The session manager: wallets, transfer orders, policies, operators, device-signed approvals and the audit chain.
///
/// Every state change is ONE store transaction that also appends its audit event(s) and, when an order's status
/// changes, the webhook outbox row announcing it; so the books, the log and the notifications never disagree.
/// Pure logic over an injected store, policy, clock and random source: nothing here sleeps or touches the network.
public final class ApprovalService: Sendable {
    public let store: any ApprovalStore
    public let policy: any TransferPolicy
    public let configuration: ApprovalConfiguration
    public let clock: any Clock
    let randomBytes: @Sendable (Int) throws(ApprovalError) -> [UInt8]
    /// Parsed policy versions by hash, so a transfer does not read JSON (ApprovalService+PolicyVersions.swift).
    let policyCache = PolicySetCache()

    /// - Parameter randomBytes: nonces, invite codes, session tokens and ids; the OS's CSPRNG unless a test injects
    ///   a deterministic source.
    public init(store: any ApprovalStore, policy: any TransferPolicy, configuration: ApprovalConfiguration,
                clock: any Clock,
                randomBytes: @escaping @Sendable (Int) throws(ApprovalError) -> [UInt8] = ApprovalService.secureRandomBytes) {
        self.store = store
        self.policy = policy
        self.configuration = configuration
        self.clock = clock
        self.randomBytes = randomBytes
    }

    /// `count` bytes from OpenSSL's CSPRNG.
    @Sendable
    public static func secureRandomBytes(_ count: Int) throws(ApprovalError) -> [UInt8] {
        do {
            return try SecureBytes.random(count: count)
        } catch {
            throw .storage("no random bytes: \(error.message)")
        }
    }

    var typedData: ApprovalTypedData { configuration.typedData }

    /// Longest order id, user id, operator name or reason accepted, in UTF-8 bytes.
    static let maximumIdentifierLength = 128
    static let maximumTextLength = 500

    /// Refuses empty, overlong or control-character identifiers with `invalid_request`.
    static func validateIdentifier(_ value: String, what: String) throws(ApprovalError) {
        guard !value.isEmpty else { throw .invalidRequest("\(what) is empty") }
        guard value.utf8.count <= maximumIdentifierLength else {
            throw .invalidRequest("\(what) is longer than \(maximumIdentifierLength) bytes")
        }
        // Printable ASCII (every id the CRM sends) has no control characters; only other text needs the Unicode
        // properties, whose lookup cost more than the rest of the check (two ids on every transfer).
        let printableASCII = value.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
        guard printableASCII || !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else {
            throw .invalidRequest("\(what) contains control characters")
        }
    }

    /// A random identifier such as `op-3f2a...`: 16 random bytes, so ids never collide in practice.
    func randomIdentifier(prefix: String) throws(ApprovalError) -> String {
        prefix + Hex.encode(try randomBytes(16))
    }
}

/// What one state change writes besides its rows: audit events chained onto the log and webhook outbox rows, all in
/// the caller's transaction.
struct ChangeRecorder {
    let transaction: any StoreTransaction
    let time: Timestamp
    let actor: String

    /// Appends `kind` to the audit chain.
    func audit(_ kind: String, _ payload: JSONObject) throws(ApprovalError) {
        let last = try transaction.lastAuditEvent()
        let sequence = (last?.sequence ?? 0) + 1
        let previousHash = last?.hash ?? AuditEvent.genesisHash
        let body = JSONValue.object(payload)
        let canonicalPayload = body.serialized(.canonical)
        let hash = ApprovalService.auditHash(previousHash: previousHash, sequence: sequence, time: time, actor: actor,
                                             kind: kind, canonicalPayload: canonicalPayload)
        try transaction.appendAuditEvent(AuditEvent(sequence: sequence, time: time, actor: actor, kind: kind,
                                                    payload: body, previousHash: previousHash, hash: hash),
                                         canonicalPayload: canonicalPayload)
    }

    /// Queues the CONTRACT 2.4 webhook for the order's current status, due now.
    func announce(_ order: TransferOrder, decimals: Int) throws(ApprovalError) {
        let body: JSONValue = .object([
            "event": .string("order.\(order.status.rawValue)"),
            "order_id": .string(order.orderID),
            "status": .string(order.status.rawValue),
            "amount": .string(MinorUnits.format(order.amount, decimals: decimals)),
            "currency": .string(order.currency),
            "external_user_id": .string(order.externalUserID),
        ])
        _ = try transaction.insertOutboxMessage(OutboxMessage(
            event: "order.\(order.status.rawValue)", body: body.serialized(.compact), createdAt: time, nextAttemptAt: time))
    }
}
