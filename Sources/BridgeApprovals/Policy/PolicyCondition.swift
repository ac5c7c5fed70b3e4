/// When a ``PolicyRule`` applies. Every part that is set must hold; a part left nil places no constraint, so
/// ``always`` (nothing set) matches every transfer.
///
/// Amounts are compared by absolute value (a debit of 2 BTC is "above 1 BTC") in the currency's minor units.
/// A threshold map without an entry for the transfer's currency does not match: a rule "above 1000 USD" says nothing
/// about BTC transfers. Thresholds are keyed by ``Currency`` (code and decimals), the same values the service's
/// currency table hands to ``TransferFacts``.
public struct PolicyCondition: Sendable, Equatable {
    /// Currency codes the transfer must be in.
    public var currencies: Set<String>?
    /// The absolute amount must be strictly greater than the entry for the transfer's currency.
    public var amountAbove: [Currency: Int128]?
    /// The absolute amount must be strictly less than the entry for the transfer's currency.
    public var amountBelow: [Currency: Int128]?
    /// Credit (amount > 0, money into the external wallet) or debit.
    public var direction: TransferDirection?
    /// The CRM users (`external_user_id`) it applies to.
    public var externalUserIDs: Set<String>?
    /// The external wallets (our wallet ids) it applies to.
    public var walletIDs: Set<String>?
    /// A rolling-window limit the transfer must push the user's recent activity over.
    public var velocity: VelocityLimit?

    public init(currencies: Set<String>? = nil, amountAbove: [Currency: Int128]? = nil,
                amountBelow: [Currency: Int128]? = nil, direction: TransferDirection? = nil,
                externalUserIDs: Set<String>? = nil, walletIDs: Set<String>? = nil, velocity: VelocityLimit? = nil) {
        self.currencies = currencies
        self.amountAbove = amountAbove
        self.amountBelow = amountBelow
        self.direction = direction
        self.externalUserIDs = externalUserIDs
        self.walletIDs = walletIDs
        self.velocity = velocity
    }

    /// Matches every transfer.
    public static let always = PolicyCondition()

    /// True when no part is set.
    public var isUnconditional: Bool { self == .always }

    /// Whether the transfer meets every part. The velocity lookup runs last and only when every other part holds,
    /// so rules that cannot match cost no store reads.
    public func matches(_ facts: TransferFacts, velocity lookup: any VelocityLookup) throws(ApprovalError) -> Bool {
        if let currencies, !currencies.contains(facts.currency.code) { return false }
        if let direction, facts.direction != direction { return false }
        if let externalUserIDs, !externalUserIDs.contains(facts.externalUserID) { return false }
        if let walletIDs, !walletIDs.contains(facts.walletID) { return false }
        let absoluteAmount = facts.amount.magnitude
        if let amountAbove {
            guard let threshold = amountAbove[facts.currency], Self.magnitude(absoluteAmount, exceeds: threshold) else {
                return false
            }
        }
        if let amountBelow {
            guard let threshold = amountBelow[facts.currency], Self.magnitude(absoluteAmount, isBelow: threshold) else {
                return false
            }
        }
        if let velocity {
            return try velocity.isExceeded(by: facts, lookup: lookup)
        }
        return true
    }

    /// Refuses conditions that are surely mistakes: an empty list (it would match nothing; leave the part out to
    /// match anything), a negative threshold, an empty id. Messages use the JSON configuration's field names.
    public func validate() throws(ApprovalError) {
        for (field, list) in [("currencies", currencies), ("externalUserIDs", externalUserIDs), ("walletIDs", walletIDs)] {
            guard let list else { continue }
            guard !list.isEmpty else {
                throw .invalidRequest("when.\(field) is empty and would match nothing; leave it out to match any")
            }
            guard !list.contains("") else { throw .invalidRequest("when.\(field) contains an empty string") }
        }
        for (field, thresholds) in [("amountAbove", amountAbove), ("amountBelow", amountBelow)] {
            guard let thresholds else { continue }
            guard !thresholds.isEmpty else {
                throw .invalidRequest("when.\(field) is empty and would match nothing; leave it out to match any")
            }
            for (currency, threshold) in thresholds where threshold < 0 {
                throw .invalidRequest("when.\(field).\(currency.code) must not be negative (amounts compare by "
                    + "absolute value)")
            }
        }
    }

    static func magnitude(_ magnitude: UInt128, exceeds threshold: Int128) -> Bool {
        threshold < 0 || magnitude > UInt128(threshold)
    }

    static func magnitude(_ magnitude: UInt128, isBelow threshold: Int128) -> Bool {
        threshold > 0 && magnitude < UInt128(threshold)
    }
}
