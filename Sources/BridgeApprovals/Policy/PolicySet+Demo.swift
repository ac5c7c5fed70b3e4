extension PolicySet {
    /// The `serve --demo` policy (CONTRACT, demo defaults): transfers whose absolute amount is above 1,000 USD or
    /// 1 BTC, credits and debits alike, need 2 approvals from approvers or admins within 24 h; everything else is
    /// allowed. Needs USD and BTC in `currencies`.
    public static func demo(currencies: [String: Currency]) throws(ApprovalError) -> PolicySet {
        guard let usd = currencies["USD"], let btc = currencies["BTC"] else {
            throw .invalidRequest("the demo policy needs the USD and BTC currencies")
        }
        let twoApprovals = try ApprovalRequirement(
            approvals: 2, from: ApproverEligibility(roles: [.approver, .admin]), expiresAfter: ApprovalRequirement.defaultExpiry)
        let largeUSD = try MinorUnits.parse("1000", decimals: usd.decimals)
        let largeBTC = try MinorUnits.parse("1", decimals: btc.decimals)
        return try PolicySet(rules: [
            PolicyRule(name: "large-transfers", condition: PolicyCondition(amountAbove: [usd: largeUSD, btc: largeBTC]),
                       action: .require(twoApprovals)),
            PolicyRule(name: "everything-else", action: .allow),
        ])
    }
}
