import BridgeApprovals
import BridgeCore
import BridgeCrypto
import BridgeStore
import Testing

/// Policy versions and their approvals in SQLite (migration 3): rows round trip, the store keeps one version in
/// force, the migration applies to a database written by the schema before it, and a service on the file keeps the
/// version in force across a restart.
@Suite("SQLite store: policy versions")
struct PolicyStoreTests {
    static func version(_ number: Int, status: PolicyVersion.Status, proposedBy: String? = "op-1") -> PolicyVersion {
        let text = #"{"default":"deny","rules":[{"name":"v\#(number)","then":"allow"}]}"#
        return PolicyVersion(
            version: number, policyJSON: text, hash: PolicyVersion.hash(ofCanonicalText: text), status: status,
            proposedBy: proposedBy, note: proposedBy == nil ? PolicyVersion.seededNote : nil,
            createdAt: Fixtures.start + .seconds(Int64(number)), expiresAt: proposedBy == nil ? nil : Fixtures.start + .seconds(86_400),
            nonce: [UInt8](repeating: UInt8(number), count: 32),
            effectiveAt: status == .effective ? Fixtures.start : nil)
    }

    @Test func versionsApprovalsAndOrdersRoundTrip() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try database.open()
        let first = Self.version(1, status: .effective, proposedBy: nil)
        let second = Self.version(2, status: .proposed)
        let vote = PolicyApproval(version: 2, operatorID: "op-1", signature: [UInt8](repeating: 0x11, count: 65),
                                  createdAt: Fixtures.start + .seconds(5))
        var order = Fixtures.order("o-1")
        order.policyVersion = 2
        let ada = try Fixtures.operatorRecord("op-1", name: "ada", keySeed: 1, role: .admin)
        let ben = try Fixtures.operatorRecord("op-2", name: "ben", keySeed: 2, role: .admin)
        try store.transaction { store throws(ApprovalError) in
            #expect(try store.effectivePolicyVersion() == nil)
            #expect(try store.latestPolicyVersion() == nil)
            try store.insertOperator(ada)
            try store.insertOperator(ben)
            try store.insertPolicyVersion(first)
            try store.insertPolicyVersion(second)
            try store.insertPolicyApproval(vote)
            try store.insertWallet(Fixtures.wallet("w-1"))
            try store.insertOrder(order)
            try store.insertOrder(Fixtures.order("o-2"))
        }
        try store.transaction { store throws(ApprovalError) in
            #expect(try store.policyVersion(1) == first)
            #expect(try store.policyVersion(2) == second)
            #expect(try store.policyVersion(3) == nil)
            let effective = try store.effectivePolicyVersion()
            #expect(effective?.version == 1 && effective?.hash == first.hash)
            #expect(try store.latestPolicyVersion() == 2)
            #expect(try store.policyVersions(status: nil) == [first, second])
            #expect(try store.policyVersions(status: .proposed) == [second])
            #expect(try store.policyApprovals(version: 2) == [vote])
            #expect(try store.policyApprovals(version: 1) == [])
            #expect(try store.policyApproval(signature: vote.signature) == vote)
            #expect(try store.order(id: "o-1")?.policyVersion == 2)
            #expect(try store.order(id: "o-2")?.policyVersion == nil)
        }

        // One version in force, one vote per admin and version, one use per signature: the schema refuses the rest.
        #expect(storageFailure {
            try store.transaction { store throws(ApprovalError) in try store.insertPolicyVersion(Self.version(3, status: .effective)) }
        } != nil)
        #expect(storageFailure {
            try store.transaction { store throws(ApprovalError) in
                try store.insertPolicyApproval(PolicyApproval(version: 2, operatorID: "op-1", signature: [0x22],
                                                              createdAt: Fixtures.start))
            }
        } != nil)
        #expect(storageFailure {
            try store.transaction { store throws(ApprovalError) in
                try store.insertPolicyApproval(PolicyApproval(version: 2, operatorID: "op-2", signature: vote.signature,
                                                              createdAt: Fixtures.start))
            }
        } != nil)
        #expect(storageFailure {
            try store.transaction { store throws(ApprovalError) in try store.updatePolicyVersion(Self.version(7, status: .expired)) }
        } == "no policy version 7 to update (0 rows matched)")

        // Handing over: the old version steps down before the new one steps up.
        try store.transaction { store throws(ApprovalError) in
            var old = first
            old.status = .superseded
            try store.updatePolicyVersion(old)
            var new = second
            new.status = .effective
            new.effectiveAt = Fixtures.start + .seconds(60)
            try store.updatePolicyVersion(new)
        }
        store.close()
        try database.open().transaction { store throws(ApprovalError) in
            #expect(try store.effectivePolicyVersion()?.version == 2)
            #expect(try store.policyVersion(1)?.status == .superseded)
            #expect(try store.policyVersion(2)?.effectiveAt == Fixtures.start + .seconds(60))
            #expect(try store.policyVersion(2)?.policyJSON == second.policyJSON)
        }
    }

    @Test func theEffectiveVersionIsFoundThroughItsIndex() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try database.open()
        let plan = try store.withDatabase { database throws(ApprovalError) in
            try database.query("EXPLAIN QUERY PLAN SELECT version, hash FROM policy_versions WHERE status = 'effective'") {
                row throws(ApprovalError) in try row.string(3)
            }
        }
        #expect(plan == ["SEARCH policy_versions USING INDEX policy_versions_effective (status=?)"])
        store.close()
    }

    @Test func thePolicyMigrationAppliesToADatabaseWrittenByTheSchemaBeforeIt() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        // The file as WalletBridge wrote it before policy versions: migrations 1 and 2, an order without a version.
        let old = try SQLiteDatabase(path: database.path)
        try old.migrate(Array(SQLiteApprovalStore.migrations.prefix(2)), now: Fixtures.start)
        try old.execute("""
            INSERT INTO wallets (id, kind, external_user_id, currency, balance, held, created_at)
                VALUES ('w-1', 'external', 'user-1', 'USD', 10000, 2500, 0);
            INSERT INTO orders (order_id, external_user_id, currency, wallet_id, amount, status, policy_name,
                approvals_required, eligible_approvers, nonce, created_at, expires_at)
                VALUES ('o-old', 'user-1', 'USD', 'w-1', -2500, 'pending_approval', 'large', 2,
                        '{"operators":[],"roles":["approver"]}', zeroblob(32), 0, 7200000);
            """)
        old.close()

        let store = try database.open()
        #expect(try store.withDatabase { database throws(ApprovalError) in try database.appliedMigrations().map(\.version) }
            == [1, 2, 3, 4, 5, 6, 7])
        try store.transaction { store throws(ApprovalError) in
            let order = try store.order(id: "o-old")
            #expect(order != nil && order?.policyVersion == nil)
            #expect(order?.amount == -2_500 && order?.approvalsRequired == 2)
            #expect(try store.effectivePolicyVersion() == nil)
            try store.insertPolicyVersion(Self.version(1, status: .effective, proposedBy: nil))
            #expect(try store.effectivePolicyVersion()?.version == 1)
        }
        #expect(try store.integrityCheck() == "ok")
        store.close()
    }

    @Test func aServiceOnTheFileKeepsTheVersionInForceAcrossARestart() throws {
        let harness = try SQLiteServiceHarness()
        defer { harness.remove() }
        let demo = try PolicySet.demo(currencies: ["USD": SQLiteServiceHarness.usd, "BTC": SQLiteServiceHarness.btc])
        #expect(try harness.service.seedPolicy(demo).seeded)
        try harness.service.createWallet(externalUserID: "u-1", currency: "USD", initialBalance: 1_000_000)
        let ada = try harness.enroll("ada", role: .admin, keyNumber: 1)
        let ben = try harness.enroll("ben", role: .admin, keyNumber: 2)
        let held = try harness.transfer("held", amount: "-1500").order
        #expect(held.policyVersion == 1 && held.approvalsRequired == 2)

        let stricter = try JSONValue(parsing: #"{"default":"deny","rules":[{"name":"medium","when":{"amountAbove":{"USD":"100"}},"then":{"require":{"approvals":1,"roles":["admin"]}}},{"name":"rest","then":"allow"}]}"#)
        let proposal = try harness.service.proposePolicy(stricter, proposerID: ada.record.id)
        let document = try harness.service.policyChangeDocument(version: 2)
        #expect(document == proposal.document)
        for signer in [ada, ben] {
            _ = try harness.service.approvePolicy(version: 2, signature: try SQLiteServiceHarness.sign(document, with: signer.key),
                                                  sessionOperatorID: signer.record.id)
        }
        #expect(try harness.transfer("after", amount: "500").order.policyVersion == 2)

        // After a restart the service is created with the demo policy again, but the database decides.
        try harness.reopen()
        #expect(try harness.service.seedPolicy(demo)
            == PolicySeeding(seeded: false, effectiveVersion: 2, configurationDiffersFromFirstVersion: false))
        let restarted = try harness.transfer("restarted", amount: "500").order
        #expect(restarted.policyVersion == 2 && restarted.policyName == "medium" && restarted.status == .pendingApproval)
        #expect(try harness.service.order(id: "held").0.policyVersion == 1)
        let current = try harness.service.effectivePolicy()
        #expect(current.approvedBy == ["ada", "ben"])
        #expect(current.version.policyJSON == stricter.serialized(.canonical))
        #expect(try harness.service.verifyAuditChain().ok)
    }
}
