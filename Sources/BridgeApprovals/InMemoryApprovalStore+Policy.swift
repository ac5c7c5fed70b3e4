/// Policy versions and their approvals in memory, with the indexes the lookups need. Only touched while the store's
/// lock is held.
struct InMemoryPolicyTables {
    var versions: [Int: PolicyVersion] = [:]
    /// The version whose status is `effective`, kept apart so a transfer finds it without a scan.
    var effectiveVersion: Int?
    var approvalsByVersion: [Int: [PolicyApproval]] = [:]
    var approvalBySignature: [[UInt8]: PolicyApproval] = [:]
}

extension InMemoryTransaction {
    func effectivePolicyVersion() throws(ApprovalError) -> (version: Int, hash: [UInt8])? {
        try checkOpen()
        return tables.policy.effectiveVersion.flatMap { tables.policy.versions[$0] }.map { ($0.version, $0.hash) }
    }

    func policyVersion(_ version: Int) throws(ApprovalError) -> PolicyVersion? {
        try checkOpen()
        return tables.policy.versions[version]
    }

    func policyVersions(status: PolicyVersion.Status?) throws(ApprovalError) -> [PolicyVersion] {
        try checkOpen()
        return tables.policy.versions.values
            .filter { status == nil || $0.status == status }
            .sorted { $0.version < $1.version }
    }

    func latestPolicyVersion() throws(ApprovalError) -> Int? {
        try checkOpen()
        return tables.policy.versions.keys.max()
    }

    func insertPolicyVersion(_ version: PolicyVersion) throws(ApprovalError) {
        try checkOpen()
        guard tables.policy.versions[version.version] == nil else {
            throw .storage("duplicate policy version \(version.version)")
        }
        let previousEffective = tables.policy.effectiveVersion
        if version.status == .effective {
            // As the SQLite store's unique index does: two versions in force would make the decision ambiguous.
            guard previousEffective == nil else {
                throw .storage("policy version \(previousEffective ?? 0) is already effective")
            }
            tables.policy.effectiveVersion = version.version
        }
        tables.policy.versions[version.version] = version
        undoLog.append { tables in
            tables.policy.versions[version.version] = nil
            tables.policy.effectiveVersion = previousEffective
        }
    }

    func updatePolicyVersion(_ version: PolicyVersion) throws(ApprovalError) {
        try checkOpen()
        guard let old = tables.policy.versions[version.version] else {
            throw .storage("no policy version \(version.version) to update")
        }
        guard old.policyJSON == version.policyJSON, old.hash == version.hash, old.nonce == version.nonce else {
            throw .storage("policy version \(version.version) cannot change its policy, hash or nonce")
        }
        let previousEffective = tables.policy.effectiveVersion
        if version.status == .effective, let current = previousEffective, current != version.version {
            throw .storage("policy version \(current) is already effective")
        }
        tables.policy.versions[version.version] = version
        if version.status == .effective {
            tables.policy.effectiveVersion = version.version
        } else if previousEffective == version.version {
            tables.policy.effectiveVersion = nil
        }
        undoLog.append { tables in
            tables.policy.versions[old.version] = old
            tables.policy.effectiveVersion = previousEffective
        }
    }

    func policyApprovals(version: Int) throws(ApprovalError) -> [PolicyApproval] {
        try checkOpen()
        return tables.policy.approvalsByVersion[version] ?? []
    }

    func policyApproval(signature: [UInt8]) throws(ApprovalError) -> PolicyApproval? {
        try checkOpen()
        return tables.policy.approvalBySignature[signature]
    }

    func insertPolicyApproval(_ approval: PolicyApproval) throws(ApprovalError) {
        try checkOpen()
        guard tables.policy.versions[approval.version] != nil else {
            throw .storage("no policy version \(approval.version) to approve")
        }
        guard tables.policy.approvalBySignature[approval.signature] == nil else {
            throw .storage("duplicate policy approval signature")
        }
        guard !(tables.policy.approvalsByVersion[approval.version] ?? []).contains(where: { $0.operatorID == approval.operatorID })
        else {
            throw .storage("duplicate approval by \(approval.operatorID) on policy version \(approval.version)")
        }
        tables.policy.approvalsByVersion[approval.version, default: []].append(approval)
        tables.policy.approvalBySignature[approval.signature] = approval
        undoLog.append { tables in
            tables.policy.approvalsByVersion[approval.version]?.removeLast()
            if tables.policy.approvalsByVersion[approval.version]?.isEmpty == true {
                tables.policy.approvalsByVersion[approval.version] = nil
            }
            tables.policy.approvalBySignature[approval.signature] = nil
        }
    }
}
