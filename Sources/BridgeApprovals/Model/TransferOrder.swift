import BridgeCore

/// Where an order stands. Every order ends in exactly one final state.
public enum OrderStatus: String, Sendable, Codable, CaseIterable {
    case pendingApproval = "pending_approval"
    case completed
    case rejected
    case expired

    public var isFinal: Bool { self != .pendingApproval }
}

/// Which way money moves, from the external wallet's point of view (CONTRACT 2.1: amount > 0 credits it).
public enum TransferDirection: String, Sendable, Codable, CaseIterable {
    case credit, debit
}

/// A transfer the CRM asked for, keyed by the CRM's `order_id` (the idempotency key).
public struct TransferOrder: Sendable, Hashable {
    public let orderID: String
    public let externalUserID: String
    public let currency: String
    public let walletID: String
    /// Signed minor units: positive credits the external wallet, negative debits it. Never zero.
    public let amount: Int128
    public var status: OrderStatus
    /// The policy that decided (nil when none matched and the default allowed it).
    public let policyName: String?
    /// Distinct operator approvals needed (0 for orders applied at once).
    public let approvalsRequired: Int
    /// Who may approve, copied from the policy at decision time so later policy edits do not move the goalposts.
    public let eligibleApprovers: ApproverEligibility?
    /// Random 32 bytes bound into every TransferApproval for this order, so signatures cannot move between orders.
    public let nonce: [UInt8]
    public let createdAt: Timestamp
    /// When a pending order expires (nil once applied at once).
    public let expiresAt: Timestamp?
    public var decidedAt: Timestamp?
    /// The external wallet's balance right after the order applied, for answering a retried request identically.
    public var balanceAfter: Int128?
    /// Why it was rejected or expired.
    public var reason: String?
    /// The operator who initiated the transfer (nil for the CRM); they never count towards its approvals.
    public let initiatorOperatorID: String?
    /// The policy version that decided it (nil when the service decided with a fixed policy, before any version was
    /// stored). A pending order keeps the eligibility and quorum that version gave it, whatever takes effect later.
    public var policyVersion: Int? = nil

    public init(orderID: String, externalUserID: String, currency: String, walletID: String, amount: Int128,
                status: OrderStatus, policyName: String?, approvalsRequired: Int, eligibleApprovers: ApproverEligibility?,
                nonce: [UInt8], createdAt: Timestamp, expiresAt: Timestamp?, decidedAt: Timestamp? = nil,
                balanceAfter: Int128? = nil, reason: String? = nil, initiatorOperatorID: String? = nil) {
        self.orderID = orderID
        self.externalUserID = externalUserID
        self.currency = currency
        self.walletID = walletID
        self.amount = amount
        self.status = status
        self.policyName = policyName
        self.approvalsRequired = approvalsRequired
        self.eligibleApprovers = eligibleApprovers
        self.nonce = nonce
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.decidedAt = decidedAt
        self.balanceAfter = balanceAfter
        self.reason = reason
        self.initiatorOperatorID = initiatorOperatorID
    }

    public var direction: TransferDirection { amount > 0 ? .credit : .debit }

    /// True when `other` asks for the same transfer (same user, currency and amount): a retry, not a duplicate.
    public func hasSameContent(externalUserID: String, currency: String, amount: Int128) -> Bool {
        self.externalUserID == externalUserID && self.currency == currency && self.amount == amount
    }
}

/// Who may approve an order: operators with one of `roles`, or the named operators, or either.
public struct ApproverEligibility: Sendable, Hashable, Codable {
    public var roles: Set<OperatorRole>
    /// Operator names (or ids) that may approve whatever their role.
    public var operators: Set<String>

    public init(roles: Set<OperatorRole> = [], operators: Set<String> = []) {
        self.roles = roles
        self.operators = operators
    }
}
