extension ServiceConfiguration {
    /// `governance`: how policy changes are approved, `{"policyApprovals": 2, "proposalTTLSeconds": 86400}`.
    mutating func readGovernance(_ root: ConfigurationObjectReader) throws(ConfigurationError) {
        guard let governance = try root.object("governance", allowedKeys: ["policyApprovals", "proposalTTLSeconds"]) else {
            return
        }
        if let approvals = try governance.integer("policyApprovals", in: 1...1000) { policyApprovals = Int(approvals) }
        if let ttl = try governance.integer("proposalTTLSeconds", in: 60...(30 * 86400)) { policyProposalTTL = .seconds(ttl) }
    }
}
