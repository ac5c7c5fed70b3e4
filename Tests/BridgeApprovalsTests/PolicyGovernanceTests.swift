import BridgeApprovals
import BridgeCore
import BridgeCrypto
import Testing

/// Device-approved policy versions (CONTRACT 5): seeding, proposals, admins' PolicyChange signatures, quorum, and the
/// version every transfer is decided by, on the manual clock.
@Suite("Policy governance")
struct PolicyGovernanceTests {
    static let currencies = ["USD": Harness.usd, "BTC": Harness.btc]

    /// Above 100 USD: one admin's approval; everything else allowed. As an admin would write it (keys unsorted).
    static let stricterText = """
        {"rules": [{"name": "medium", "when": {"amountAbove": {"USD": "100"}},
                    "then": {"require": {"approvals": 1, "roles": ["admin"]}}},
                   {"name": "rest", "then": "allow"}],
         "default": "deny"}
        """
    /// The canonical text of `stricterText`: sorted keys, no whitespace, numbers and strings as written.
    static let stricterCanonical = #"{"default":"deny","rules":[{"name":"medium","then":{"require":{"approvals":1,"#
        + #""roles":["admin"]}},"when":{"amountAbove":{"USD":"100"}}},{"name":"rest","then":"allow"}]}"#

    static func stricter() throws -> JSONValue { try JSONValue(parsing: stricterText) }

    /// A demo-policy service (above 1,000 USD: 2 approvals) with the policy seeded as version 1, a funded wallet, and
    /// admins ada (1), ben (2), cal (3) and approver ann (4).
    struct Desk {
        let harness: Harness
        let ada: TestOperator
        let ben: TestOperator
        let cal: TestOperator
        let ann: TestOperator
        var service: ApprovalService { harness.service }

        init(policyApprovals: Int = 2, admins: Int = 3) throws {
            harness = try Harness(policy: try PolicySet.demo(currencies: PolicyGovernanceTests.currencies),
                                  configure: { $0.policyApprovals = policyApprovals })
            try harness.service.seedPolicy(try PolicySet.demo(currencies: PolicyGovernanceTests.currencies))
            try harness.service.createWallet(externalUserID: "alice", currency: "USD", initialBalance: 1_000_000)
            ada = try harness.enroll("ada", role: .admin, keyNumber: 1)
            ben = try harness.enroll("ben", role: admins >= 2 ? .admin : .approver, keyNumber: 2)
            cal = try harness.enroll("cal", role: admins >= 3 ? .admin : .approver, keyNumber: 3)
            ann = try harness.enroll("ann", role: .approver, keyNumber: 4)
        }

        func sign(_ version: Int, by signer: TestOperator) throws -> [UInt8] {
            try Harness.sign(try service.policyChangeDocument(version: version), with: signer.key)
        }

        @discardableResult
        func approve(_ version: Int, by signer: TestOperator) throws -> PolicyVersionDetails {
            try service.approvePolicy(version: version, signature: try sign(version, by: signer), sessionOperatorID: signer.id)
        }

        /// Proposes the stricter policy as `proposer` and signs it (the proposer's approval).
        func proposeStricter(by proposer: TestOperator) throws -> PolicyVersionDetails {
            let proposal = try service.proposePolicy(try PolicyGovernanceTests.stricter(), proposerID: proposer.id)
            return try approve(proposal.version.version, by: proposer)
        }
    }

    @Test func theConfigurationsPoliciesAreSeededOnceAsVersionOne() throws {
        let harness = try Harness(policy: ThresholdPolicy())
        let demo = try PolicySet.demo(currencies: Self.currencies)
        #expect(approvalError { _ = try harness.service.effectivePolicy() }?.httpStatus == 404)

        let first = try harness.service.seedPolicy(demo)
        #expect(first == PolicySeeding(seeded: true, effectiveVersion: 1, configurationDiffersFromFirstVersion: false))
        #expect(first.warning == nil)
        let seeded = try harness.service.effectivePolicy()
        #expect(seeded.version.version == 1)
        #expect(seeded.status == .effective)
        #expect(seeded.approvedBy == [])
        #expect(seeded.version.note == "seeded from the configuration")
        #expect(seeded.version.proposedBy == nil && seeded.document == nil)
        #expect(seeded.version.effectiveAt == harness.clock.now())
        #expect(seeded.version.policyJSON == demo.json.serialized(.canonical))
        #expect(seeded.version.hash == Keccak256.hash(Array(demo.json.serialized(.canonical).utf8)))
        let event = try #require(try harness.auditEvents().last)
        #expect(event.kind == "policy.seeded")
        #expect(event.actor == "config")
        #expect(event.payload["version"] == 1)
        #expect(event.payload["fingerprint"] == .string(demo.fingerprint))
        #expect(event.payload["note"] == "seeded from the configuration")

        // A later start changes nothing; a configuration that differs from version 1 is reported, not applied.
        let events = try harness.auditEvents().count
        #expect(try harness.service.seedPolicy(demo)
            == PolicySeeding(seeded: false, effectiveVersion: 1, configurationDiffersFromFirstVersion: false))
        let edited = try PolicySet(json: try Self.stricter(), currencies: Self.currencies)
        let report = try harness.service.seedPolicy(edited)
        #expect(report == PolicySeeding(seeded: false, effectiveVersion: 1, configurationDiffersFromFirstVersion: true))
        #expect(report.warning?.hasPrefix("The configuration's policies differ from policy version 1") == true)
        #expect(try harness.auditEvents().count == events)
        #expect(try harness.service.effectivePolicy().version == seeded.version)

        // From now on the database decides, not the ThresholdPolicy the service was created with: 1,500 USD needs
        // the demo's 2 approvals under its rule name.
        try harness.service.createWallet(externalUserID: "alice", currency: "USD", initialBalance: 500_000)
        let order = try harness.transfer("held", amount: "1500").order
        #expect(order.policyName == "large-transfers" && order.policyVersion == 1)
    }

    @Test func aServiceWithoutVersionsDecidesWithItsFixedPolicyAndRecordsNoVersion() throws {
        let harness = try Harness()
        try harness.service.createWallet(externalUserID: "alice", currency: "USD", initialBalance: 500_000)
        let order = try harness.transfer("o-1", amount: "2000").order
        #expect(order.policyName == "large" && order.policyVersion == nil)
        #expect(try harness.auditEvents().last { $0.kind == "order.received" }?.payload["policy_version"] == nil)
    }

    @Test func proposeAndApproveMakeAVersionEffectiveForTheNextTransfer() throws {
        let desk = try Desk()
        #expect(try desk.harness.transfer("before", amount: "500").order.status == .completed)

        let proposal = try desk.service.proposePolicy(try Self.stricter(), proposerID: desk.ada.id)
        #expect(proposal.version.version == 2)
        #expect(proposal.status == .proposed)
        #expect(proposal.version.policyJSON == Self.stricterCanonical)
        #expect(proposal.version.hash == Keccak256.hash(Array(Self.stricterCanonical.utf8)))
        #expect(proposal.version.expiresAt == desk.harness.clock.now() + .seconds(24 * 3600))
        #expect(proposal.version.nonce.count == 32)
        #expect(proposal.proposedBy == "ada")
        #expect(proposal.approvals == 0 && proposal.approvalsRequired == 2)
        let document = try #require(proposal.document)
        #expect(document["primaryType"] == "PolicyChange")
        #expect(document["types"]?["PolicyChange"] == [
            ["name": "version", "type": "uint64"], ["name": "policyHash", "type": "bytes32"],
            ["name": "expiresAt", "type": "uint64"], ["name": "nonce", "type": "bytes32"],
        ])
        #expect(document["message"]?["version"] == 2)
        #expect(document["message"]?["policyHash"] == .string(Hex.encodePrefixed(proposal.version.hash)))
        #expect(document["message"]?["expiresAt"] == .number(JSONNumber(1_795_000_000 + 86_400)))
        #expect(document["message"]?["nonce"] == .string(Hex.encodePrefixed(proposal.version.nonce)))
        #expect(try desk.service.policyChangeDocument(version: 2) == document)

        // Proposing changes nothing for transfers: 500 USD is still allowed by version 1.
        let stillV1 = try desk.harness.transfer("proposed", amount: "500").order
        #expect(stillV1.status == .completed && stillV1.policyVersion == 1)

        let first = try desk.approve(2, by: desk.ada)
        #expect(first.status == .proposed && first.approvals == 1 && first.approvedBy == ["ada"])
        desk.harness.clock.advance(by: .seconds(60))
        let second = try desk.approve(2, by: desk.ben)
        #expect(second.status == .effective)
        #expect(second.approvals == 2 && second.approvedBy == ["ada", "ben"])
        #expect(second.version.effectiveAt == desk.harness.clock.now())

        // The very next transfer is decided by version 2.
        let after = try desk.harness.transfer("after", amount: "500").order
        #expect(after.status == .pendingApproval)
        #expect(after.policyName == "medium" && after.approvalsRequired == 1 && after.policyVersion == 2)
        #expect(after.eligibleApprovers == ApproverEligibility(roles: [.admin]))

        let current = try desk.service.effectivePolicy()
        #expect(current.version.version == 2 && current.approvedBy == ["ada", "ben"])
        #expect(try desk.service.policyVersion(1).status == .superseded)
        let kinds = try desk.harness.auditEvents().map(\.kind).filter { $0.hasPrefix("policy.") }
        #expect(kinds == ["policy.seeded", "policy.proposed", "policy.approved", "policy.approved", "policy.effective"])
        let effective = try #require(try desk.harness.auditEvents().last { $0.kind == "policy.effective" })
        #expect(effective.payload["version"] == 2)
        #expect(effective.payload["previous_version"] == 1)
        #expect(effective.payload["approved_by"] == ["ada", "ben"])
        #expect(effective.actor == "operator:" + desk.ben.id)
        #expect(try desk.service.verifyAuditChain().ok)
    }

    @Test func aPendingOrderKeepsTheVersionThatHeldIt() throws {
        let desk = try Desk()
        let held = try desk.harness.transfer("held", amount: "-1500").order
        #expect(held.status == .pendingApproval && held.approvalsRequired == 2 && held.policyVersion == 1)

        _ = try desk.proposeStricter(by: desk.ada)
        #expect(try desk.approve(2, by: desk.ben).status == .effective)

        // Version 2 would want one admin; the order still needs version 1's two approvers or admins.
        let (stored, _) = try desk.service.order(id: "held")
        #expect(stored.policyVersion == 1 && stored.approvalsRequired == 2 && stored.policyName == "large-transfers")
        #expect(try desk.harness.approve("held", by: desk.ann).status == .pendingApproval)
        #expect(try desk.harness.approve("held", by: desk.cal).status == .completed)
        #expect(try desk.service.order(id: "held").0.policyVersion == 1)
        #expect(try desk.harness.walletBalance("alice").balance == 1_000_000 - 150_000)
    }

    @Test func anotherServiceOnTheSameStoreSeesTheChangeAtOnce() throws {
        let desk = try Desk()
        // A second process: its own service (and cache) over the same data, created with the old fixed policy.
        let other = ApprovalService(store: desk.harness.store, policy: try PolicySet.demo(currencies: Self.currencies),
                                    configuration: desk.service.configuration, clock: desk.harness.clock)
        #expect(try other.submitTransfer(TransferRequest(orderID: "o-1", externalUserID: "alice", currency: "USD",
                                                         amount: "500")).order.policyVersion == 1)
        _ = try desk.proposeStricter(by: desk.ada)
        _ = try desk.approve(2, by: desk.ben)
        let order = try other.submitTransfer(TransferRequest(orderID: "o-2", externalUserID: "alice", currency: "USD",
                                                             amount: "500")).order
        #expect(order.policyVersion == 2 && order.policyName == "medium" && order.status == .pendingApproval)
    }

    @Test func onlyAdminsProposeAndApprove() throws {
        let desk = try Desk()
        let proposedByApprover = approvalError { _ = try desk.service.proposePolicy(try Self.stricter(), proposerID: desk.ann.id) }
        #expect(proposedByApprover == .forbidden("ann is an approver; only admins propose policy changes"))
        #expect(proposedByApprover?.code == .notPermitted && proposedByApprover?.code.rawValue == -22)

        let proposal = try desk.service.proposePolicy(try Self.stricter(), proposerID: desk.ada.id)
        let version = proposal.version.version
        let signed = try desk.sign(version, by: desk.ann)
        let events = try desk.harness.auditEvents().count
        // Through a session and without one (the signer's own role decides): -22 either way, nothing recorded.
        #expect(approvalError { try desk.service.approvePolicy(version: version, signature: signed, sessionOperatorID: desk.ann.id) }
            == .forbidden("ann is an approver; only admins approve policy changes"))
        #expect(approvalError { try desk.service.approvePolicy(version: version, signature: signed) }?.code == .notPermitted)
        #expect(try desk.harness.auditEvents().count == events)
        #expect(try desk.service.policyVersion(version).approvedBy == [])

        // An admin's session with another admin's signature: refused, it does not recover to the session's operator.
        let bensSignature = try desk.sign(version, by: desk.ben)
        guard case .invalidSignature = approvalError({
            try desk.service.approvePolicy(version: version, signature: bensSignature, sessionOperatorID: desk.ada.id)
        }) else { Issue.record("expected invalidSignature"); return }
    }

    @Test func aSecondVoteAnUnknownOrClosedVersionAndAReplayAreRefused() throws {
        let desk = try Desk()
        let proposal = try desk.proposeStricter(by: desk.ada)
        #expect(proposal.approvals == 1)
        let second = approvalError { try desk.approve(2, by: desk.ada) }
        #expect(second == .conflict("ada already approved policy version 2"))
        #expect(second?.code.rawValue == -23)

        let unknown = approvalError { try desk.service.approvePolicy(version: 9, signature: try desk.sign(2, by: desk.ben),
                                                                     sessionOperatorID: desk.ben.id) }
        #expect(unknown == .notFound("policy version 9"))
        #expect(unknown?.httpStatus == 404)
        #expect(approvalError { _ = try desk.service.policyChangeDocument(version: 9) } == .notFound("policy version 9"))

        let bens = try desk.sign(2, by: desk.ben)
        #expect(try desk.service.approvePolicy(version: 2, signature: bens, sessionOperatorID: desk.ben.id).status == .effective)
        // Effective now: cal's vote is a conflict (-23), as is a replay of ben's signature, and version 1 is superseded.
        let late = approvalError { try desk.approve(2, by: desk.cal) }
        #expect(late?.code == .conflict)
        #expect(approvalError { _ = try desk.service.policyChangeDocument(version: 2) }
            == .conflict("policy version 2 is effective, no longer proposed"))
        #expect(approvalError { try desk.service.approvePolicy(version: 2, signature: bens) }?.code == .conflict)
        #expect(approvalError { _ = try desk.service.policyChangeDocument(version: 1) }
            == .conflict("policy version 1 is superseded, no longer proposed"))
        // Proposing the policy in force again is pointless: -23.
        #expect(approvalError { _ = try desk.service.proposePolicy(try Self.stricter(), proposerID: desk.cal.id) }
            == .conflict("the proposed policy is the one in force (version 2)"))
    }

    @Test func aProposalPastItsExpiryIsRefusedThenMarkedExpired() throws {
        let desk = try Desk()
        _ = try desk.proposeStricter(by: desk.ada)
        let signedInTime = try desk.sign(2, by: desk.ben)
        desk.harness.clock.advance(by: .seconds(24 * 3600))
        let expired = approvalError { try desk.service.approvePolicy(version: 2, signature: signedInTime, sessionOperatorID: desk.ben.id) }
        #expect(expired == .expired("Policy proposal 2 (signatures were accepted until 2026-11-19T11:06:40Z)"))
        #expect(expired?.code.rawValue == -24)
        #expect(try desk.service.policyVersion(2).status == .expired)
        #expect(try desk.service.effectivePolicy().version.version == 1)

        // The next proposal records the expiry; the new version is 3.
        let next = try desk.service.proposePolicy(try JSONValue(parsing: #"{"default":"allow","rules":[]}"#), proposerID: desk.cal.id)
        #expect(next.version.version == 3)
        let events = try desk.harness.auditEvents().filter { $0.kind.hasPrefix("policy.") }.map(\.kind)
        #expect(events.suffix(2) == ["policy.expired", "policy.proposed"])
        #expect(try desk.service.policyVersions().map(\.status) == [.effective, .expired, .proposed])
    }

    @Test func aRevokedAdminsVoteNoLongerCounts() throws {
        let desk = try Desk()
        #expect(try desk.proposeStricter(by: desk.ada).approvals == 1)
        try desk.service.revokeOperator(id: desk.ada.id, actor: "admin:test")
        // ada's signature is kept but no longer counts: ben's is the only one, 1 of 2.
        let afterBen = try desk.approve(2, by: desk.ben)
        #expect(afterBen.status == .proposed)
        #expect(afterBen.approvals == 1 && afterBen.approvalsRequired == 2)
        #expect(afterBen.approvedBy == ["ada", "ben"])
        let afterCal = try desk.approve(2, by: desk.cal)
        #expect(afterCal.status == .effective && afterCal.approvals == 2)
        // A revoked admin cannot vote either.
        _ = try desk.service.proposePolicy(try JSONValue(parsing: #"{"default":"allow","rules":[]}"#), proposerID: desk.ben.id)
        #expect(approvalError { try desk.service.approvePolicy(version: 3, signature: try desk.sign(3, by: desk.ada)) }
            == .operatorRevoked(name: "ada"))
    }

    @Test(arguments: [(configured: 3, admins: 2, required: 2), (configured: 2, admins: 1, required: 1),
                      (configured: 1, admins: 3, required: 1)])
    func theQuorumIsCappedByTheActiveAdmins(configured: Int, admins: Int, required: Int) throws {
        let desk = try Desk(policyApprovals: configured, admins: admins)
        let proposal = try desk.proposeStricter(by: desk.ada)
        #expect(proposal.approvalsRequired == required)
        #expect(proposal.status == (required == 1 ? .effective : .proposed))
        if required == 2 { #expect(try desk.approve(2, by: desk.ben).status == .effective) }
        #expect(try desk.service.effectivePolicy().version.version == 2)
    }

    @Test func aNewerVersionSupersedesOlderProposals() throws {
        let desk = try Desk()
        _ = try desk.proposeStricter(by: desk.ada)
        let allow = try JSONValue(parsing: #"{"default":"allow","rules":[]}"#)
        let third = try desk.service.proposePolicy(allow, proposerID: desk.ben.id)
        #expect(third.version.version == 3)
        _ = try desk.approve(3, by: desk.ben)
        #expect(try desk.approve(3, by: desk.cal).status == .effective)
        #expect(try desk.service.policyVersions().map(\.status) == [.superseded, .superseded, .effective])
        #expect(approvalError { try desk.approve(2, by: desk.ben) } == .conflict("policy version 2 is superseded, no longer proposed"))
        let effective = try #require(try desk.harness.auditEvents().last { $0.kind == "policy.effective" })
        #expect(effective.payload["superseded_proposals"] == [2])
    }

    @Test func anInvalidPolicyIsRefusedNamingTheField() throws {
        let desk = try Desk()
        let bad = try JSONValue(parsing: #"{"rules":[{"name":"x","when":{"currencies":["EUR"]},"then":"allow"}]}"#)
        let failure = approvalError { _ = try desk.service.proposePolicy(bad, proposerID: desk.ada.id) }
        guard case .invalidRequest(let why)? = failure else { Issue.record("expected invalid_request"); return }
        #expect(why.contains("EUR"))
        #expect(try desk.service.policyVersions().count == 1)
    }

    @Test func theFirstProposalOnAStoreWithoutVersionsSeedsTheFixedPolicyFirst() throws {
        let harness = try Harness(policy: try PolicySet.demo(currencies: Self.currencies))
        let ada = try harness.enroll("ada", role: .admin, keyNumber: 1)
        let proposal = try harness.service.proposePolicy(try Self.stricter(), proposerID: ada.id)
        #expect(proposal.version.version == 2)
        let versions = try harness.service.policyVersions()
        #expect(versions.map(\.status) == [.effective, .proposed])
        #expect(versions.first?.version.note == "seeded from the configuration")
        #expect(try harness.auditEvents().first { $0.kind == "policy.seeded" }?.actor == "system")
    }
}
