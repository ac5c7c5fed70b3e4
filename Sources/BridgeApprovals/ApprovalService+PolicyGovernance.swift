import BridgeCore
import BridgeCrypto

extension ApprovalService {
    /// Proposes `policy` (the configuration's `policies` grammar, see ``PolicySet/init(json:currencies:)``) as the next
    /// policy version, for the active admin `proposerID`. Nothing changes for transfers until enough admins sign its
    /// `PolicyChange` (``approvePolicy(version:signature:sessionOperatorID:)``; the proposer's own signature counts).
    ///
    /// The version stores the canonical text of `policy` as proposed, its keccak256, 32 random nonce bytes and an
    /// expiry ``ApprovalConfiguration/policyProposalLifetime`` away; audited `policy.proposed`. Proposals whose window
    /// has closed are marked expired in the same transaction (`policy.expired`). A store without versions first gets
    /// the service's fixed policy as version 1 (``seedPolicy(_:actor:)``).
    ///
    /// Throws `invalid_request` for a policy that does not read (naming the rule and field), `forbidden` (-22) for a
    /// proposer who is not an admin, `operator_revoked` for a revoked one, and `conflict` (-23) for the policy already
    /// in force.
    public func proposePolicy(_ policy: JSONValue, proposerID: String) throws(ApprovalError) -> PolicyVersionDetails {
        let proposed = try PolicySet(json: policy, currencies: configuration.currenciesByCode)
        let text = PolicyVersion.canonicalText(of: policy)
        let hash = PolicyVersion.hash(ofCanonicalText: text)
        return try store.transaction { transaction throws(ApprovalError) in
            let now = clock.now()
            guard let proposer = try transaction.operatorRecord(id: proposerID) else {
                throw .sessionInvalid("operator \(proposerID) does not exist")
            }
            guard proposer.status == .active else { throw .operatorRevoked(name: proposer.name) }
            guard proposer.role == .admin else {
                throw .forbidden("\(proposer.name) is an \(proposer.role.rawValue); only admins propose policy changes")
            }
            let recorder = ChangeRecorder(transaction: transaction, time: now, actor: "operator:" + proposer.id)
            let inForce = try currentOrSeededVersion(in: transaction, now: now)
            guard try parsedPolicy(inForce) != proposed else {
                throw .conflict("the proposed policy is the one in force (version \(inForce.version))")
            }
            try expireClosedProposals(in: transaction, now: now, recorder: recorder)
            let proposal = PolicyVersion(
                version: (try transaction.latestPolicyVersion() ?? 0) + 1, policyJSON: text, hash: hash,
                status: .proposed, proposedBy: proposer.id, createdAt: now,
                expiresAt: now + configuration.policyProposalLifetime, nonce: try randomBytes(32))
            try transaction.insertPolicyVersion(proposal)
            try recorder.audit("policy.proposed", [
                "version": .number(JSONNumber(proposal.version)), "hash": .string(Hex.encodePrefixed(hash)),
                "proposed_by": .string(proposer.id), "operator_name": .string(proposer.name),
                "nonce": .string(Hex.encodePrefixed(proposal.nonce)),
                "expires_at": .string((proposal.expiresAt ?? now).rfc3339),
                "based_on_version": .number(JSONNumber(inForce.version)), "policy": policy,
            ])
            return try details(of: proposal, in: transaction, now: now)
        }
    }

    /// The EIP-712 `PolicyChange` of proposed version `version`, built from the stored proposal: what an admin's
    /// device signs. `not_found` for an unknown version, `conflict` for one no longer proposed, `expired` past its
    /// window.
    public func policyChangeDocument(version: Int) throws(ApprovalError) -> JSONValue {
        let proposal = try store.read { transaction throws(ApprovalError) in
            guard let stored = try transaction.policyVersion(version) else { throw .notFound("policy version \(version)") }
            return stored
        }
        try Self.requireOpen(proposal, now: clock.now())
        return typedData.document(.policyChange, message: typedData.policyChangeMessage(for: proposal))
    }

    /// Records an admin's device signature on proposed version `version`; when distinct active admins reach the
    /// quorum (``ApprovalConfiguration/policyApprovals``, capped at the active admins) the version becomes effective
    /// at once, for every transfer received after this transaction commits: the version in force and older
    /// proposals are superseded, audited `policy.effective`. Each vote is audited `policy.approved`.
    ///
    /// The signature must recover, over the `PolicyChange` rebuilt from the STORED proposal, to an active admin who
    /// is the session's operator (when `sessionOperatorID` is given). Refusals change nothing: `forbidden` (-22) for
    /// a session operator or signer who is not an admin, `not_found` for an unknown version, `conflict` (-23) for a
    /// version no longer proposed or an admin's second vote (and `signature_replayed` for a reused signature),
    /// `expired` (-24) past the proposal's window, `signature_invalid` when it recovers to someone else.
    @discardableResult
    public func approvePolicy(version: Int, signature: [UInt8], sessionOperatorID: String? = nil)
        throws(ApprovalError) -> PolicyVersionDetails
    {
        let parsedSignature = try Self.parseSignature(signature)
        return try store.transaction { transaction throws(ApprovalError) in
            let now = clock.now()
            var sessionOperator: Operator?
            if let sessionOperatorID {
                guard let record = try transaction.operatorRecord(id: sessionOperatorID) else {
                    throw .sessionInvalid("operator \(sessionOperatorID) does not exist")
                }
                guard record.role == .admin else {
                    throw .forbidden("\(record.name) is an \(record.role.rawValue); only admins approve policy changes")
                }
                sessionOperator = record
            }
            guard var proposal = try transaction.policyVersion(version) else {
                throw .notFound("policy version \(version)")
            }
            try Self.requireOpen(proposal, now: now)
            let digest = try typedData.digest(.policyChange, message: typedData.policyChangeMessage(for: proposal))
            let signer = try Self.recoverSigner(parsedSignature, digest: digest)
            if let sessionOperator, sessionOperator.address != signer {
                throw .invalidSignature("it does not recover to \(sessionOperator.name)'s key over policy version "
                    + "\(version)'s PolicyChange as stored (signed content differs, or another key signed)")
            }
            guard let admin = try transaction.operatorRecord(address: Hex.encodePrefixed(signer.bytes)) else {
                throw .notEnrolled(address: signer.checksummed)
            }
            guard admin.status == .active else { throw .operatorRevoked(name: admin.name) }
            guard admin.role == .admin else {
                throw .forbidden("\(admin.name) is an \(admin.role.rawValue); only admins approve policy changes")
            }
            let earlier = try transaction.policyApprovals(version: version)
            guard !earlier.contains(where: { $0.operatorID == admin.id }) else {
                throw .conflict("\(admin.name) already approved policy version \(version)")
            }
            // Devices sign deterministically, so an admin's second vote is caught above by name; this catches
            // anything else presenting a signature already recorded.
            if try transaction.policyApproval(signature: signature) != nil { throw .replayedSignature }
            let vote = PolicyApproval(version: version, operatorID: admin.id, signature: signature, createdAt: now)
            try transaction.insertPolicyApproval(vote)

            let approvals = try countingPolicyApprovals(earlier + [vote], in: transaction)
            let required = try policyQuorum(in: transaction)
            let recorder = ChangeRecorder(transaction: transaction, time: now, actor: "operator:" + admin.id)
            try recorder.audit("policy.approved", [
                "version": .number(JSONNumber(version)), "hash": .string(Hex.encodePrefixed(proposal.hash)),
                "operator_id": .string(admin.id), "operator_name": .string(admin.name),
                "address": .string(admin.address.checksummed), "signature": .string(Hex.encodePrefixed(signature)),
                "approvals": .number(JSONNumber(approvals)), "approvals_required": .number(JSONNumber(required)),
            ])
            if approvals >= required {
                try makeEffective(&proposal, in: transaction, now: now, recorder: recorder)
            }
            return try details(of: proposal, in: transaction, now: now)
        }
    }

    // MARK: Steps

    /// `conflict` unless `proposal` is still proposed, `expired` once its window has closed.
    static func requireOpen(_ proposal: PolicyVersion, now: Timestamp) throws(ApprovalError) {
        guard proposal.status == .proposed else {
            throw .conflict("policy version \(proposal.version) is \(proposal.status.rawValue), no longer proposed")
        }
        if let expiresAt = proposal.expiresAt, now >= expiresAt {
            throw .expired("Policy proposal \(proposal.version) (signatures were accepted until \(expiresAt.rfc3339))")
        }
    }

    /// The version in force; on a store without versions, the service's fixed policy stored as version 1 first, so a
    /// proposal always has a predecessor.
    func currentOrSeededVersion(in transaction: any StoreTransaction, now: Timestamp) throws(ApprovalError)
        -> PolicyVersion
    {
        if let effective = try transaction.effectivePolicyVersion() {
            guard let stored = try transaction.policyVersion(effective.version) else {
                throw .storage("policy version \(effective.version) is effective but missing")
            }
            return stored
        }
        guard try transaction.latestPolicyVersion() == nil, let fixed = policy as? PolicySet else {
            throw .conflict("no policy version is in force to change; start the service with its configuration first")
        }
        return try seedFirstVersion(fixed, in: transaction, now: now, actor: "system")
    }

    /// Marks proposals whose window has closed as expired, audited `policy.expired`.
    func expireClosedProposals(in transaction: any StoreTransaction, now: Timestamp, recorder: ChangeRecorder)
        throws(ApprovalError)
    {
        for var proposal in try transaction.policyVersions(status: .proposed) {
            guard let expiresAt = proposal.expiresAt, now >= expiresAt else { continue }
            proposal.status = .expired
            try transaction.updatePolicyVersion(proposal)
            try recorder.audit("policy.expired", [
                "version": .number(JSONNumber(proposal.version)), "hash": .string(Hex.encodePrefixed(proposal.hash)),
                "expires_at": .string(expiresAt.rfc3339),
            ])
        }
    }

    /// `proposal` takes effect now: the version in force is superseded, and so are older proposals (drafted against
    /// what this one replaces, they must not take effect after it). Stores enforce a single effective version, so the
    /// old one steps down before the new one steps up.
    func makeEffective(_ proposal: inout PolicyVersion, in transaction: any StoreTransaction, now: Timestamp,
                       recorder: ChangeRecorder) throws(ApprovalError)
    {
        let parsed = try parsedPolicy(proposal)
        var previousVersion: JSONValue = .null
        if let previous = try transaction.effectivePolicyVersion(), var old = try transaction.policyVersion(previous.version) {
            old.status = .superseded
            try transaction.updatePolicyVersion(old)
            previousVersion = .number(JSONNumber(old.version))
        }
        var superseded: [JSONValue] = []
        for var stale in try transaction.policyVersions(status: .proposed) where stale.version < proposal.version {
            stale.status = .superseded
            try transaction.updatePolicyVersion(stale)
            superseded.append(.number(JSONNumber(stale.version)))
        }
        proposal.status = .effective
        proposal.effectiveAt = now
        try transaction.updatePolicyVersion(proposal)
        try transaction.setMetadata(Self.policyFingerprintKey, parsed.fingerprint)

        var approvedBy: [JSONValue] = []
        for vote in try transaction.policyApprovals(version: proposal.version) {
            approvedBy.append(.string(try transaction.operatorRecord(id: vote.operatorID)?.name ?? vote.operatorID))
        }
        try recorder.audit("policy.effective", [
            "version": .number(JSONNumber(proposal.version)), "hash": .string(Hex.encodePrefixed(proposal.hash)),
            "previous_version": previousVersion, "superseded_proposals": .array(superseded),
            "approved_by": .array(approvedBy), "fingerprint": .string(parsed.fingerprint),
        ])
    }
}
