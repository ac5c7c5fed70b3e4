/// The facts a policy decides a transfer on.
public struct TransferFacts: Sendable, Equatable {
    public let orderID: String
    public let externalUserID: String
    public let walletID: String
    public let currency: Currency
    /// Signed minor units (positive credits the external wallet).
    public let amount: Int128
    /// The operator who initiated the transfer, if one did (they never count towards its approvals); nil for the CRM.
    public let initiatorOperatorID: String?
    public let time: Timestamp

    public init(orderID: String, externalUserID: String, walletID: String, currency: Currency, amount: Int128,
                initiatorOperatorID: String? = nil, time: Timestamp) {
        self.orderID = orderID
        self.externalUserID = externalUserID
        self.walletID = walletID
        self.currency = currency
        self.amount = amount
        self.initiatorOperatorID = initiatorOperatorID
        self.time = time
    }

    public var direction: TransferDirection { amount > 0 ? .credit : .debit }
}

/// Recent activity, for velocity limits. Inside the service it reads the store within the deciding transaction.
public protocol VelocityLookup {
    /// Orders of `externalUserID` (in `currency` when given) created at or after `since` that completed or still
    /// wait for approval, counted, with the sum of their absolute amounts in minor units. The order being decided is
    /// not included.
    func totals(externalUserID: String, currency: String?, since: Timestamp) throws(ApprovalError) -> (count: Int, absoluteSum: Int128)
}

/// What a policy decided for a transfer.
public enum PolicyDecision: Sendable, Equatable {
    /// Apply at once. `policy` is the rule that allowed it (nil for a default).
    case allow(policy: String?)
    /// Refuse.
    case deny(policy: String)
    /// Hold until `count` distinct eligible operators approve on their devices, within `expiresAfter`.
    case requireApprovals(policy: String, count: Int, eligibility: ApproverEligibility, expiresAfter: Duration)
}

/// Decides transfers. The production implementation is `PolicySet` (ordered rules, first match wins).
public protocol TransferPolicy: Sendable {
    func decide(_ facts: TransferFacts, velocity: any VelocityLookup) throws(ApprovalError) -> PolicyDecision
}
