import BridgeApprovals

// Policy versions and their approvals. The partial unique index policy_versions_effective keeps at most one version
// in force and answers the lookup every transfer makes.
extension PostgresStoreTransaction {
    private static let policyVersionColumns =
        "version, policy, hash, status, proposed_by, note, created_at, expires_at, nonce, effective_at"
    private static let effectivePolicy = "SELECT version, hash FROM policy_versions WHERE status = 'effective'"
    private static let policyApprovalColumns = "version, operator_id, signature, created_at"

    func effectivePolicyVersion() throws(ApprovalError) -> (version: Int, hash: [UInt8])? {
        try queryFirst(Self.effectivePolicy) { row throws(ApprovalError) in (try row.int(0), try row.bytes(1)) }
    }

    func policyVersion(_ version: Int) throws(ApprovalError) -> PolicyVersion? {
        try queryFirst("SELECT \(Self.policyVersionColumns) FROM policy_versions WHERE version = $1", [.integer(version)],
                       row: PolicyVersion.init(row:))
    }

    func policyVersions(status: PolicyVersion.Status?) throws(ApprovalError) -> [PolicyVersion] {
        try query(
            "SELECT \(Self.policyVersionColumns) FROM policy_versions WHERE $1::text IS NULL OR status = $1::text ORDER BY version",
            [status?.rawValue], row: PolicyVersion.init(row:)
        )
    }

    func latestPolicyVersion() throws(ApprovalError) -> Int? {
        try queryFirst("SELECT max(version) FROM policy_versions") { row throws(ApprovalError) in
            try row.optionalInt64(0).flatMap { Int(exactly: $0) }
        } ?? nil
    }

    func insertPolicyVersion(_ version: PolicyVersion) throws(ApprovalError) {
        try run(
            "INSERT INTO policy_versions (\(Self.policyVersionColumns)) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            [.integer(version.version), version.policyJSON, .bytes(version.hash), version.status.rawValue,
             version.proposedBy, version.note, .time(version.createdAt), .time(version.expiresAt), .bytes(version.nonce),
             .time(version.effectiveAt)]
        )
    }

    func updatePolicyVersion(_ version: PolicyVersion) throws(ApprovalError) {
        // What governance changes; the policy text, hash and nonce are what admins signed and never change.
        try updateOne(
            "policy version \(version.version)",
            "UPDATE policy_versions SET status = $1, effective_at = $2 WHERE version = $3",
            [version.status.rawValue, .time(version.effectiveAt), .integer(version.version)]
        )
    }

    func policyApprovals(version: Int) throws(ApprovalError) -> [PolicyApproval] {
        try query(
            "SELECT \(Self.policyApprovalColumns) FROM policy_approvals WHERE version = $1 ORDER BY id",
            [.integer(version)], row: PolicyApproval.init(row:)
        )
    }

    func policyApproval(signature: [UInt8]) throws(ApprovalError) -> PolicyApproval? {
        try queryFirst(
            "SELECT \(Self.policyApprovalColumns) FROM policy_approvals WHERE signature = $1", [.bytes(signature)],
            row: PolicyApproval.init(row:)
        )
    }

    func insertPolicyApproval(_ approval: PolicyApproval) throws(ApprovalError) {
        try run(
            "INSERT INTO policy_approvals (\(Self.policyApprovalColumns)) VALUES ($1, $2, $3, $4)",
            [.integer(approval.version), approval.operatorID, .bytes(approval.signature), .time(approval.createdAt)]
        )
    }
}
