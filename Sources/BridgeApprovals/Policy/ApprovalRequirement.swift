/// "m approvals from these roles or operators within this time": the `require` action of a policy rule.
///
/// Distinct operators count once each and the initiator of a transfer never counts; the approval service enforces
/// both when it tallies signatures.
public struct ApprovalRequirement: Sendable, Equatable {
    /// How long a held transfer waits for its approvals when a rule does not say: 24 hours.
    public static let defaultExpiry: Duration = .seconds(24 * 3600)
    /// Longest accepted expiry (and velocity window): 366 days, so a typo in seconds does not hold money for ever.
    public static let maximumExpiry: Duration = .seconds(366 * 24 * 3600)
    /// More approvals than this is a configuration mistake, not a control.
    public static let maximumApprovals = 100

    /// Distinct eligible operators needed (m >= 1).
    public let approvals: Int
    /// Who may approve: operators with one of the roles and/or the named operators.
    public let from: ApproverEligibility
    /// From the moment the transfer is held; whole seconds.
    public let expiresAfter: Duration

    /// Refuses requirements that could never be met or make no sense: no approvals, nobody eligible, fewer named
    /// operators than approvals (without roles), an expiry that is not 1 s to 366 days in whole seconds.
    /// Messages use the JSON configuration's field names.
    public init(approvals: Int, from: ApproverEligibility, expiresAfter: Duration = defaultExpiry) throws(ApprovalError) {
        guard (1...Self.maximumApprovals).contains(approvals) else {
            throw .invalidRequest("approvals must be between 1 and \(Self.maximumApprovals), not \(approvals)")
        }
        guard !from.roles.isEmpty || !from.operators.isEmpty else {
            throw .invalidRequest("roles or operators must name who may approve")
        }
        if let blank = from.operators.first(where: \.isEmpty) {
            throw .invalidRequest("operators must not contain an empty name (\"\(blank)\")")
        }
        guard !from.roles.isEmpty || from.operators.count >= approvals else {
            throw .invalidRequest(
                "\(approvals) approvals can never be met by the \(from.operators.count) named operators alone")
        }
        guard WholeSeconds(expiresAfter, maximum: Self.maximumExpiry) != nil else {
            throw .invalidRequest("expiresAfterSeconds must be a whole number of seconds from 1 to "
                + "\(Self.maximumExpiry.components.seconds), not \(expiresAfter)")
        }
        self.approvals = approvals
        self.from = from
        self.expiresAfter = expiresAfter
    }
}

/// A positive duration of whole seconds no longer than a maximum, or nil: how policy configuration counts time.
struct WholeSeconds {
    let seconds: Int64

    init?(_ duration: Duration, maximum: Duration) {
        let (seconds, attoseconds) = duration.components
        guard attoseconds == 0, seconds >= 1, duration <= maximum else { return nil }
        self.seconds = seconds
    }
}
