import BridgeApprovals
import BridgeCore

// Policy versions and their approvals (migration 3). The partial unique index policy_versions_effective keeps at most
// one version in force and answers the lookup every transfer makes.
extension SQLiteStoreTransaction {
    private static let policyVersionColumns =
        "version, policy, hash, status, proposed_by, note, created_at, expires_at, nonce, effective_at"
    private static let effectivePolicy = "SELECT version, hash FROM policy_versions WHERE status = 'effective'"
    private static let policyApprovalColumns = "version, operator_id, signature, created_at"

    func effectivePolicyVersion() throws(ApprovalError) -> (version: Int, hash: [UInt8])? {
        try open().queryFirst(Self.effectivePolicy) { row throws(ApprovalError) in (try row.int(0), try row.blob(1)) }
    }

    func policyVersion(_ version: Int) throws(ApprovalError) -> PolicyVersion? {
        try open().queryFirst(
            "SELECT \(Self.policyVersionColumns) FROM policy_versions WHERE version = ?", [.integer(Int64(version))],
            row: PolicyVersion.init(row:)
        )
    }

    func policyVersions(status: PolicyVersion.Status?) throws(ApprovalError) -> [PolicyVersion] {
        try open().query(
            "SELECT \(Self.policyVersionColumns) FROM policy_versions WHERE ?1 IS NULL OR status = ?1 ORDER BY version",
            [.text(status?.rawValue)], row: PolicyVersion.init(row:)
        )
    }

    func latestPolicyVersion() throws(ApprovalError) -> Int? {
        try open().queryFirst("SELECT max(version) FROM policy_versions") { row throws(ApprovalError) in
            try row.optionalInt64(0).flatMap { Int(exactly: $0) }
        } ?? nil
    }

    func insertPolicyVersion(_ version: PolicyVersion) throws(ApprovalError) {
        try open().run(
            "INSERT INTO policy_versions (\(Self.policyVersionColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [.integer(Int64(version.version)), .text(version.policyJSON), .blob(version.hash), .text(version.status.rawValue),
             .text(version.proposedBy), .text(version.note), .integer(version.createdAt.millisecondsSinceEpoch),
             .integer(version.expiresAt?.millisecondsSinceEpoch), .blob(version.nonce),
             .integer(version.effectiveAt?.millisecondsSinceEpoch)]
        )
    }

    func updatePolicyVersion(_ version: PolicyVersion) throws(ApprovalError) {
        // What governance changes; the policy text, hash and nonce are what admins signed and never change.
        try updateOne(
            "policy version \(version.version)",
            "UPDATE policy_versions SET status = ?, effective_at = ? WHERE version = ?",
            [.text(version.status.rawValue), .integer(version.effectiveAt?.millisecondsSinceEpoch),
             .integer(Int64(version.version))]
        )
    }

    func policyApprovals(version: Int) throws(ApprovalError) -> [PolicyApproval] {
        try open().query(
            "SELECT \(Self.policyApprovalColumns) FROM policy_approvals WHERE version = ? ORDER BY id",
            [.integer(Int64(version))], row: PolicyApproval.init(row:)
        )
    }

    func policyApproval(signature: [UInt8]) throws(ApprovalError) -> PolicyApproval? {
        try open().queryFirst(
            "SELECT \(Self.policyApprovalColumns) FROM policy_approvals WHERE signature = ?", [.blob(signature)],
            row: PolicyApproval.init(row:)
        )
    }

    func insertPolicyApproval(_ approval: PolicyApproval) throws(ApprovalError) {
        try open().run(
            "INSERT INTO policy_approvals (\(Self.policyApprovalColumns)) VALUES (?, ?, ?, ?)",
            [.integer(Int64(approval.version)), .text(approval.operatorID), .blob(approval.signature),
             .integer(approval.createdAt.millisecondsSinceEpoch)]
        )
    }
}

extension PolicyVersion {
    init(row: SQLiteRow) throws(ApprovalError) {
        self.init(
            version: try row.int(0), policyJSON: try row.string(1), hash: try row.blob(2),
            status: try row.enumeration(3, Status.self), proposedBy: try row.optionalString(4), note: try row.optionalString(5),
            createdAt: try row.timestamp(6), expiresAt: try row.optionalTimestamp(7), nonce: try row.blob(8),
            effectiveAt: try row.optionalTimestamp(9)
        )
    }
}

extension PolicyApproval {
    init(row: SQLiteRow) throws(ApprovalError) {
        self.init(version: try row.int(0), operatorID: try row.string(1), signature: try row.blob(2),
                  createdAt: try row.timestamp(3))
    }
}
