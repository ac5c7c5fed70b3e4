/// The production ``TransferPolicy``: ordered rules, the first whose condition matches decides, and
/// ``defaultDecision`` decides when none does (Fireblocks' Transaction Authorization Policy model).
///
/// Put specific rules first and catch-alls last: a rule "everything else: allow" at the top would shadow every rule
/// below it. The default is deny, so a transfer no rule foresaw is refused rather than waved through; end the list
/// with an unconditional rule (or set the default to allow) to change that.
///
/// Configuration files describe a set in JSON: see ``init(json:currencies:)``.
public struct PolicySet: TransferPolicy, Equatable {
    /// What happens when no rule matches.
    public enum DefaultDecision: String, Sendable, CaseIterable {
        case allow, deny
    }

    /// The policy name a default denial is recorded under; no rule may take it.
    public static let defaultPolicyName = "default"

    public let rules: [PolicyRule]
    public let defaultDecision: DefaultDecision

    /// Refuses unnamed, duplicate or reserved rule names and invalid conditions; errors name the rule
    /// (`rules[1] ("velocity")`) and the field.
    public init(rules: [PolicyRule], defaultDecision: DefaultDecision = .deny) throws(ApprovalError) {
        var seen: Set<String> = []
        for (index, rule) in rules.enumerated() {
            let context = Self.context(index: index, name: rule.name)
            guard !rule.name.isEmpty else { throw .invalidRequest("\(context): name must not be empty") }
            guard rule.name != Self.defaultPolicyName else {
                throw .invalidRequest("\(context): name \"\(Self.defaultPolicyName)\" is reserved for the default decision")
            }
            guard seen.insert(rule.name).inserted else {
                throw .invalidRequest("\(context): name is already used by an earlier rule; names must be unique")
            }
            do {
                try rule.condition.validate()
            } catch {
                throw error.prefixed(context)
            }
        }
        self.rules = rules
        self.defaultDecision = defaultDecision
    }

    /// The first matching rule's decision, or the default's: `.allow(policy: nil)` or
    /// `.deny(policy: "default")`. Velocity lookups run only for rules whose other conditions hold.
    public func decide(_ facts: TransferFacts, velocity: any VelocityLookup) throws(ApprovalError) -> PolicyDecision {
        for rule in rules {
            if try rule.condition.matches(facts, velocity: velocity) { return rule.action.decision(policy: rule.name) }
        }
        return switch defaultDecision {
        case .allow: .allow(policy: nil)
        case .deny: .deny(policy: Self.defaultPolicyName)
        }
    }

    /// The rule a message is about: `policy rules[2] ("big-btc-debits")`.
    static func context(index: Int, name: String?) -> String {
        guard let name, !name.isEmpty else { return "policy rules[\(index)]" }
        return "policy rules[\(index)] (\"\(name)\")"
    }
}
