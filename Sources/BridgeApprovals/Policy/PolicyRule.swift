/// One entry of a ``PolicySet``: when `condition` holds for a transfer, `action` decides it and no later rule is
/// consulted (first match wins, as in Fireblocks' Transaction Authorization Policy).
public struct PolicyRule: Sendable, Equatable {
    /// Unique within its set; recorded on the order and in the audit chain as the deciding policy.
    public let name: String
    public let condition: PolicyCondition
    public let action: PolicyAction

    public init(name: String, condition: PolicyCondition = .always, action: PolicyAction) {
        self.name = name
        self.condition = condition
        self.action = action
    }
}

/// What a matching rule does with a transfer.
public enum PolicyAction: Sendable, Equatable {
    /// Apply at once.
    case allow
    /// Refuse (`policy_denied`).
    case deny
    /// Hold until enough eligible operators approve on their devices.
    case require(ApprovalRequirement)

    /// The decision this action makes when the rule `policy` matched.
    public func decision(policy: String) -> PolicyDecision {
        switch self {
        case .allow: .allow(policy: policy)
        case .deny: .deny(policy: policy)
        case .require(let requirement):
            .requireApprovals(policy: policy, count: requirement.approvals, eligibility: requirement.from,
                              expiresAfter: requirement.expiresAfter)
        }
    }
}
