import BridgeCore

/// What seeding the policy versions found at start-up (``ApprovalService/seedPolicy(_:actor:)``).
public struct PolicySeeding: Sendable, Equatable {
    /// True when this call stored the configuration's policies as version 1.
    public let seeded: Bool
    /// The version in force.
    public let effectiveVersion: Int
    /// True when the configuration's policies are not those of version 1: the configuration no longer changes the
    /// policy (the database does), which its operator should hear about rather than find out.
    public let configurationDiffersFromFirstVersion: Bool

    public init(seeded: Bool, effectiveVersion: Int, configurationDiffersFromFirstVersion: Bool) {
        self.seeded = seeded
        self.effectiveVersion = effectiveVersion
        self.configurationDiffersFromFirstVersion = configurationDiffersFromFirstVersion
    }

    /// What to log at start-up, or nil when there is nothing to say.
    public var warning: String? {
        guard configurationDiffersFromFirstVersion else { return nil }
        return "The configuration's policies differ from policy version 1 stored in the database; they are not applied. "
            + "Policy version \(effectiveVersion) is in force; change it with `walletbridge operator policy propose` "
            + "(admins approve it on their devices)."
    }
}

/// A policy version with what the operator API and the CLI show about it.
public struct PolicyVersionDetails: Sendable, Equatable {
    public let version: PolicyVersion
    /// The status as of the read: a proposal past its window reads as expired.
    public let status: PolicyVersion.Status
    /// The operators who signed it, by name, oldest first (seeded versions: none).
    public let approvedBy: [String]
    /// Distinct active admins among them: the signatures that count now.
    public let approvals: Int
    /// How many count to make a proposal effective now (the configured quorum, capped at the active admins).
    public let approvalsRequired: Int
    /// The proposer's name; nil for a seeded version.
    public let proposedBy: String?
    /// The EIP-712 `PolicyChange` admins sign, built from the stored version; nil for a seeded version.
    public let document: JSONValue?

    public init(version: PolicyVersion, status: PolicyVersion.Status, approvedBy: [String], approvals: Int,
                approvalsRequired: Int, proposedBy: String?, document: JSONValue?) {
        self.version = version
        self.status = status
        self.approvedBy = approvedBy
        self.approvals = approvals
        self.approvalsRequired = approvalsRequired
        self.proposedBy = proposedBy
        self.document = document
    }
}

extension ApprovalService {
    // MARK: The policy that decides

    /// The policy that decides a transfer received now, read inside that transfer's own transaction, so a version
    /// that became effective in another process counts from its commit on. One indexed read per transfer; the
    /// parsed set comes from ``policyCache``. Before any version is stored, the fixed `policy` the service was
    /// created with decides (version nil).
    func policyInForce(in transaction: any StoreTransaction) throws(ApprovalError)
        -> (version: Int?, policy: any TransferPolicy)
    {
        guard let effective = try transaction.effectivePolicyVersion() else { return (nil, policy) }
        if let cached = policyCache.policy(hash: effective.hash) { return (effective.version, cached) }
        guard let stored = try transaction.policyVersion(effective.version) else {
            throw .storage("policy version \(effective.version) is effective but missing")
        }
        return (effective.version, try parsedPolicy(stored))
    }

    /// `stored` as a ``PolicySet``, from the cache when it was parsed before.
    func parsedPolicy(_ stored: PolicyVersion) throws(ApprovalError) -> PolicySet {
        if let cached = policyCache.policy(hash: stored.hash) { return cached }
        let parsed = try stored.policySet(currencies: configuration.currenciesByCode)
        policyCache.remember(parsed, hash: stored.hash)
        return parsed
    }

    // MARK: Seeding

    /// Makes the database the policy's source of truth: on a database without policy versions, `policies` (the
    /// configuration's) become version 1, effective at once, with no approvals and a "seeded from the configuration"
    /// note, audited `policy.seeded`. On a database that has versions nothing changes; the answer says whether
    /// `policies` still match version 1 (see ``PolicySeeding/warning``). Throws a storage error when the version in
    /// force does not read with the configured currencies, so the service refuses to start rather than fail every
    /// transfer.
    @discardableResult
    public func seedPolicy(_ policies: PolicySet, actor: String = "config") throws(ApprovalError) -> PolicySeeding {
        try store.transaction { transaction throws(ApprovalError) in
            let now = clock.now()
            guard try transaction.latestPolicyVersion() != nil else {
                try seedFirstVersion(policies, in: transaction, now: now, actor: actor)
                return PolicySeeding(seeded: true, effectiveVersion: 1, configurationDiffersFromFirstVersion: false)
            }
            guard let first = try transaction.policyVersion(1) else {
                throw .storage("policy versions are stored but version 1 is missing")
            }
            guard let effective = try transaction.effectivePolicyVersion(),
                  let inForce = try transaction.policyVersion(effective.version)
            else {
                throw .storage("policy versions are stored but none is effective")
            }
            _ = try parsedPolicy(inForce)
            return PolicySeeding(seeded: false, effectiveVersion: effective.version,
                                 configurationDiffersFromFirstVersion: try parsedPolicy(first) != policies)
        }
    }

    /// Stores `policies` as version 1, effective, in the caller's transaction.
    @discardableResult
    func seedFirstVersion(_ policies: PolicySet, in transaction: any StoreTransaction, now: Timestamp, actor: String)
        throws(ApprovalError) -> PolicyVersion
    {
        let json = policies.json
        let text = PolicyVersion.canonicalText(of: json)
        let seeded = PolicyVersion(version: 1, policyJSON: text, hash: PolicyVersion.hash(ofCanonicalText: text),
                                   status: .effective, proposedBy: nil, note: PolicyVersion.seededNote, createdAt: now,
                                   expiresAt: nil, nonce: try randomBytes(32), effectiveAt: now)
        try transaction.insertPolicyVersion(seeded)
        // The fingerprint links this event to the `policy.changed` events a database kept before policy versions.
        let previousFingerprint = try transaction.metadata(Self.policyFingerprintKey)
        try transaction.setMetadata(Self.policyFingerprintKey, policies.fingerprint)
        try ChangeRecorder(transaction: transaction, time: now, actor: actor).audit("policy.seeded", [
            "version": 1, "hash": .string(Hex.encodePrefixed(seeded.hash)), "note": .string(PolicyVersion.seededNote),
            "fingerprint": .string(policies.fingerprint),
            "previous_fingerprint": previousFingerprint.map(JSONValue.string) ?? .null, "policy": json,
        ])
        return seeded
    }

    // MARK: Reading versions

    /// The version in force with who approved it; `not_found` before any version is stored.
    public func effectivePolicy() throws(ApprovalError) -> PolicyVersionDetails {
        try store.read { transaction throws(ApprovalError) in
            guard let effective = try transaction.effectivePolicyVersion(),
                  let stored = try transaction.policyVersion(effective.version)
            else {
                throw .notFound("no policy version is stored yet (the service stores its configuration's policies as "
                    + "version 1 when it starts)")
            }
            return try details(of: stored, in: transaction, now: clock.now())
        }
    }

    /// Version `version` with its document and approvals; `not_found` for an unknown version.
    public func policyVersion(_ version: Int) throws(ApprovalError) -> PolicyVersionDetails {
        try store.read { transaction throws(ApprovalError) in
            guard let stored = try transaction.policyVersion(version) else { throw .notFound("policy version \(version)") }
            return try details(of: stored, in: transaction, now: clock.now())
        }
    }

    /// Every stored version, oldest first.
    public func policyVersions() throws(ApprovalError) -> [PolicyVersionDetails] {
        try store.read { transaction throws(ApprovalError) in
            let now = clock.now()
            var all: [PolicyVersionDetails] = []
            for stored in try transaction.policyVersions(status: nil) {
                all.append(try details(of: stored, in: transaction, now: now))
            }
            return all
        }
    }

    func details(of stored: PolicyVersion, in transaction: any StoreTransaction, now: Timestamp)
        throws(ApprovalError) -> PolicyVersionDetails
    {
        let votes = try transaction.policyApprovals(version: stored.version)
        var names: [String] = []
        for vote in votes { names.append(try transaction.operatorRecord(id: vote.operatorID)?.name ?? vote.operatorID) }
        var proposer: String?
        if let proposedBy = stored.proposedBy {
            proposer = try transaction.operatorRecord(id: proposedBy)?.name ?? proposedBy
        }
        return PolicyVersionDetails(
            version: stored, status: stored.status(at: now), approvedBy: names,
            approvals: try countingPolicyApprovals(votes, in: transaction),
            approvalsRequired: try policyQuorum(in: transaction), proposedBy: proposer,
            document: stored.proposedBy.map { _ in
                typedData.document(.policyChange, message: typedData.policyChangeMessage(for: stored))
            })
    }

    /// The signatures a proposal needs now: ``ApprovalConfiguration/policyApprovals`` distinct active admins, capped at
    /// how many active admins there are (at least one).
    func policyQuorum(in transaction: any StoreTransaction) throws(ApprovalError) -> Int {
        let activeAdmins = try transaction.allOperators().count { $0.role == .admin && $0.status == .active }
        return max(1, min(configuration.policyApprovals, activeAdmins))
    }

    /// Distinct operators among `votes` who are active admins now: a revoked (or demoted) admin's signature no longer
    /// counts.
    func countingPolicyApprovals(_ votes: [PolicyApproval], in transaction: any StoreTransaction) throws(ApprovalError)
        -> Int
    {
        var counted: Set<String> = []
        for vote in votes where !counted.contains(vote.operatorID) {
            guard let voter = try transaction.operatorRecord(id: vote.operatorID), voter.status == .active,
                  voter.role == .admin
            else { continue }
            counted.insert(vote.operatorID)
        }
        return counted.count
    }
}
