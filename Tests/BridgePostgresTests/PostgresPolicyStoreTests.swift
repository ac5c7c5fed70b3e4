import BridgeApprovals
import BridgeCore
import BridgeCrypto
import BridgePostgres
import Testing

extension PostgresTests {
    /// Policy versions and their approvals on PostgreSQL: rows round trip, the store keeps one version in force, and
    /// a service keeps the version in force across a restart (BridgeStoreTests' PolicyStoreTests).
    @Suite("policy versions")
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

        @Test func versionsApprovalsAndOrdersRoundTrip() async throws {
            let database = try await PostgresTestDatabase.make()
            defer { database.close() }
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
                #expect(try store.policyVersions(status: .expired) == [])
                #expect(try store.policyApprovals(version: 2) == [vote])
                #expect(try store.policyApprovals(version: 1) == [])
                #expect(try store.policyApproval(signature: vote.signature) == vote)
                #expect(try store.order(id: "o-1")?.policyVersion == 2)
                #expect(try store.order(id: "o-2")?.policyVersion == nil)
            }

            // One version in force, one vote per admin and version, one use per signature: the schema refuses the rest.
            #expect(storageFailure {
                try store.transaction { store throws(ApprovalError) in try store.insertPolicyVersion(Self.version(3, status: .effective)) }
            }?.contains("policy_versions_effective") == true)
            #expect(storageFailure {
                try store.transaction { store throws(ApprovalError) in
                    try store.insertPolicyApproval(PolicyApproval(version: 2, operatorID: "op-1", signature: [0x22],
                                                                  createdAt: Fixtures.start))
                }
            }?.contains("policy_approvals_version_operator_id_key") == true)
            #expect(storageFailure {
                try store.transaction { store throws(ApprovalError) in
                    try store.insertPolicyApproval(PolicyApproval(version: 2, operatorID: "op-2", signature: vote.signature,
                                                                  createdAt: Fixtures.start))
                }
            }?.contains("policy_approvals_signature_key") == true)
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

        @Test func theEffectiveVersionIsFoundThroughItsIndex() async throws {
            let database = try await PostgresTestDatabase.make()
            defer { database.close() }
            _ = try database.open()
            let connection = try database.connection()
            defer { connection.close() }
            // The table is empty, so the planner would rather scan; without that choice it must use the partial index.
            try connection.execute("SET enable_seqscan = off")
            let plan = try connection.query("EXPLAIN SELECT version, hash FROM policy_versions WHERE status = 'effective'")
                .rows.compactMap { $0.first ?? nil }.joined(separator: "\n")
            #expect(plan.contains("policy_versions_effective"), "\(plan)")
        }

        @Test func aServiceOnTheDatabaseKeepsTheVersionInForceAcrossARestart() async throws {
            let harness = try await PostgresServiceHarness.make()
            defer { harness.remove() }
            let demo = try PolicySet.demo(currencies: ["USD": PostgresServiceHarness.usd, "BTC": PostgresServiceHarness.btc])
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
                _ = try harness.service.approvePolicy(version: 2, signature: try PostgresServiceHarness.sign(document, with: signer.key),
                                                      sessionOperatorID: signer.record.id)
            }
            #expect(try harness.transfer("after", amount: "500").order.policyVersion == 2)

            // Another instance started with the demo policy finds version 2 in force: the database decides.
            let second = try harness.secondInstance()
            #expect(try second.service.seedPolicy(demo)
                == PolicySeeding(seeded: false, effectiveVersion: 2, configurationDiffersFromFirstVersion: false))
            try harness.reopen()
            let restarted = try harness.transfer("restarted", amount: "500").order
            #expect(restarted.policyVersion == 2 && restarted.policyName == "medium" && restarted.status == .pendingApproval)
            #expect(try harness.service.order(id: "held").0.policyVersion == 1)
            let current = try harness.service.effectivePolicy()
            #expect(current.approvedBy == ["ada", "ben"])
            #expect(current.version.policyJSON == stricter.serialized(.canonical))
            #expect(try harness.service.verifyAuditChain().ok)
        }
    }

    /// What revoking an operator reads and writes (BridgeStoreTests' StoreRevocationQueryTests, on PostgreSQL).
    @Suite("revoking an operator's sessions and pending approvals")
    struct RevocationQueryTests {
        static let now = Fixtures.start + .seconds(600)

        static func session(_ byte: UInt8, operatorID: String, createdAt: Timestamp = Fixtures.start,
                            expiresAt: Timestamp = Fixtures.start + .seconds(3600), revokedAt: Timestamp? = nil) -> OperatorSession {
            OperatorSession(tokenHash: Array(repeating: byte, count: 32), operatorID: operatorID, createdAt: createdAt,
                            expiresAt: expiresAt, lastUsedAt: createdAt, boundIP: nil, revokedAt: revokedAt)
        }

        static func approval(_ orderID: String, by operatorID: String, _ byte: UInt8) -> ApprovalRecord {
            ApprovalRecord(orderID: orderID, operatorID: operatorID, decision: .approve, signature: Array(repeating: byte, count: 65),
                           createdAt: Fixtures.start)
        }

        @Test func sessionsEndAndPendingApprovalsAreFound() async throws {
            let database = try await PostgresTestDatabase.make()
            defer { database.close() }
            let store = try database.open()
            let alice = try Fixtures.operatorRecord("op-alice", name: "alice", keySeed: 1)
            let bob = try Fixtures.operatorRecord("op-bob", name: "bob", keySeed: 2)
            try store.transaction { store throws(ApprovalError) in
                try store.insertWallet(Fixtures.wallet("w-1"))
                try store.insertOperator(alice)
                try store.insertOperator(bob)
                try store.insertOrder(Fixtures.order("o-1", createdAt: Fixtures.start + .seconds(20)))
                try store.insertOrder(Fixtures.order("o-2", createdAt: Fixtures.start + .seconds(10)))
                try store.insertOrder(Fixtures.order("o-3", status: .completed))
                for (order, byte) in [("o-1", 1), ("o-2", 2), ("o-3", 3)] as [(String, UInt8)] {
                    try store.insertApproval(Self.approval(order, by: "op-alice", byte))
                }
                try store.insertApproval(Self.approval("o-1", by: "op-bob", 4))
                try store.insertSession(Self.session(1, operatorID: "op-alice"))
                try store.insertSession(Self.session(2, operatorID: "op-alice", createdAt: Fixtures.start + .seconds(5)))
                try store.insertSession(Self.session(3, operatorID: "op-alice", expiresAt: Self.now))
                try store.insertSession(Self.session(4, operatorID: "op-alice", revokedAt: Fixtures.start + .seconds(1)))
                try store.insertSession(Self.session(5, operatorID: "op-bob"))
            }
            let pending = try store.read { store throws(ApprovalError) in try store.pendingApprovals(operatorID: "op-alice") }
            #expect(pending.map(\.orderID) == ["o-2", "o-1"])
            #expect(pending.map(\.signature) == [Array(repeating: 2, count: 65), Array(repeating: 1, count: 65)])
            #expect(try store.read { store throws(ApprovalError) in try store.pendingApprovals(operatorID: "op-bob") }
                .map(\.orderID) == ["o-1"])

            let ended = try store.transaction { store throws(ApprovalError) in
                try store.revokeSessions(operatorID: "op-alice", at: Self.now)
            }
            #expect(ended == [Array(repeating: 1, count: 32), Array(repeating: 2, count: 32)])
            try store.read { store throws(ApprovalError) in
                #expect(try store.session(tokenHash: Array(repeating: 1, count: 32))?.revokedAt == Self.now)
                #expect(try store.session(tokenHash: Array(repeating: 2, count: 32))?.revokedAt == Self.now)
                #expect(try store.session(tokenHash: Array(repeating: 3, count: 32))?.revokedAt == nil, "expired: left alone")
                #expect(try store.session(tokenHash: Array(repeating: 4, count: 32))?.revokedAt == Fixtures.start + .seconds(1))
                #expect(try store.session(tokenHash: Array(repeating: 5, count: 32))?.revokedAt == nil, "bob's")
            }
            #expect(try store.transaction { store throws(ApprovalError) in
                try store.revokeSessions(operatorID: "op-alice", at: Self.now)
            }.isEmpty)
            #expect(throws: ApprovalError.self) {
                try store.transaction { store throws(ApprovalError) in
                    #expect(try store.revokeSessions(operatorID: "op-bob", at: Self.now).count == 1)
                    throw ApprovalError.storage("deliberate")
                }
            }
            #expect(try store.read { store throws(ApprovalError) in
                try store.session(tokenHash: Array(repeating: 5, count: 32))?.revokedAt
            } == nil)
        }
    }
}
