/// A rolling-window limit on a CRM user's recent transfers (pending or completed), counted by a ``VelocityLookup``.
///
/// The condition holds when the window's totals *including the transfer being decided* exceed a limit: the sum of
/// absolute amounts in the transfer's currency is above `above[currency]`, or the number of transfers is above
/// `countAbove` (either limit suffices when both are set). The window reaches back `window` from the transfer's
/// time; transfers created exactly at its start still count.
public struct VelocityLimit: Sendable, Equatable {
    /// Whose activity is summed.
    public enum Scope: String, Sendable, CaseIterable {
        /// Every wallet of the CRM user: transfer counts span all currencies; sums stay per currency (there are no
        /// exchange rates), so `above` behaves as with ``walletPair``.
        case user
        /// The CRM user and this external wallet, i.e. the user's transfers in this currency.
        case walletPair
    }

    public let scope: Scope
    /// How far back the window reaches; whole seconds.
    public let window: Duration
    /// Per currency, the absolute sum (minor units) the window may reach; more matches. A currency without an entry
    /// never matches this limit.
    public let above: [Currency: Int128]?
    /// The number of transfers the window may hold; more matches.
    public let countAbove: Int?

    /// Refuses a limit without any bound, a negative bound, or a window that is not 1 s to 366 days in whole seconds.
    /// Messages use the JSON configuration's field names.
    public init(scope: Scope, window: Duration, above: [Currency: Int128]? = nil, countAbove: Int? = nil)
        throws(ApprovalError)
    {
        guard above != nil || countAbove != nil else {
            throw .invalidRequest("when.velocity needs above and/or countAbove")
        }
        guard WholeSeconds(window, maximum: ApprovalRequirement.maximumExpiry) != nil else {
            throw .invalidRequest("when.velocity.windowSeconds must be a whole number of seconds from 1 to "
                + "\(ApprovalRequirement.maximumExpiry.components.seconds), not \(window)")
        }
        if let above {
            guard !above.isEmpty else {
                throw .invalidRequest("when.velocity.above is empty and would match nothing; leave it out")
            }
            for (currency, limit) in above where limit < 0 {
                throw .invalidRequest("when.velocity.above.\(currency.code) must not be negative")
            }
        }
        if let countAbove, countAbove < 0 {
            throw .invalidRequest("when.velocity.countAbove must not be negative, not \(countAbove)")
        }
        self.scope = scope
        self.window = window
        self.above = above
        self.countAbove = countAbove
    }

    /// Whether `facts` pushes its window over a limit. Reads the lookup once per limit that can apply.
    func isExceeded(by facts: TransferFacts, lookup: any VelocityLookup) throws(ApprovalError) -> Bool {
        let since = facts.time - window
        if let above, let limit = above[facts.currency] {
            let totals = try lookup.totals(externalUserID: facts.externalUserID, currency: facts.currency.code,
                                           since: since)
            // A window sum past 128 bits is refused (invalid_amount), never wrapped below a limit.
            let sum = try MinorUnits.adding(totals.absoluteSum, Int128(facts.amount.magnitude),
                                            "\(facts.externalUserID)'s \(facts.currency.code) velocity window sum")
            if PolicyCondition.magnitude(sum.magnitude, exceeds: limit) { return true }
        }
        if let countAbove {
            let currency: String? = scope == .walletPair ? facts.currency.code : nil
            let totals = try lookup.totals(externalUserID: facts.externalUserID, currency: currency, since: since)
            if totals.count >= countAbove { return true }  // totals.count + this transfer > countAbove
        }
        return false
    }
}
