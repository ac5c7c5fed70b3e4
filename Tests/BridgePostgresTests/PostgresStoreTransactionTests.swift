import BridgeApprovals
import BridgeCore
import BridgeCrypto
import BridgePostgres
import Foundation
import Synchronization
import Testing

extension PostgresTests {
    /// All or nothing, keys unique, invariants enforced, transactions serialized, reads on a snapshot, a lost
    /// connection reported and recovered (BridgeStoreTests' StoreTransactionTests, on PostgreSQL).
    @Suite("transactions")
    struct TransactionTests {
        @Test func aThrownErrorRollsEverythingBack() async throws {
            let database = try await PostgresTestDatabase.make()
            defer { database.close() }
            let store = try database.open()
            try store.transaction { store throws(ApprovalError) in try store.insertWallet(Fixtures.wallet("w-1", balance: 10_000)) }

            #expect(throws: deliberateFailure) {
                try store.transaction { store throws(ApprovalError) in
                    guard var wallet = try store.wallet(id: "w-1") else { throw .storage("wallet w-1 vanished") }
                    wallet.balance = 0
                    try store.updateWallet(wallet)
                    try store.insertWallet(Fixtures.wallet("w-2", user: "user-2"))
                    try store.insertOrder(Fixtures.order("o-1"))
                    for event in Fixtures.auditChain(2) { try store.appendAuditEvent(event) }
                    _ = try store.insertOutboxMessage(OutboxMessage(event: "order.completed", body: "{}", createdAt: Fixtures.start,
                                                                    nextAttemptAt: Fixtures.start))
                    try store.setMetadata("k", "v")
                    throw deliberateFailure
                }
            }
            try store.transaction { store throws(ApprovalError) in
                #expect(try store.wallet(id: "w-1")?.balance == 10_000)
                #expect(try store.wallet(id: "w-2") == nil)
                #expect(try store.order(id: "o-1") == nil)
                #expect(try store.lastAuditEvent() == nil)
                #expect(try store.dueOutboxMessages(at: Fixtures.start, limit: 10).isEmpty)
                #expect(try store.metadata("k") == nil)
                // The rolled-back chain is not the head: the first event is appended again.
                for event in Fixtures.auditChain(1) { try store.appendAuditEvent(event) }
            }
            store.close()
            try database.open().transaction { store throws(ApprovalError) in
                #expect(try store.allWallets().map(\.id) == ["w-1"])
                #expect(try store.wallet(id: "w-1")?.balance == 10_000)
                #expect(try store.auditEvents(after: 0, limit: 10).map(\.sequence) == [1])
            }
            #expect(store.openConnectionCount == 0)
        }

        @Test func aStorageErrorRollsBackTheWritesBeforeIt() async throws {
            let database = try await PostgresTestDatabase.make()
            defer { database.close() }
            let store = try database.open()
            #expect(throws: ApprovalError.self) {
                try store.transaction { store throws(ApprovalError) in
                    try store.insertWallet(Fixtures.wallet("w-1"))
                    try store.insertWallet(Fixtures.wallet("w-1", user: "user-2"))  // duplicate id
                }
            }
            try store.transaction { store throws(ApprovalError) in #expect(try store.allWallets().isEmpty) }
        }

        /// Each unique key, violated once: a storage error naming the constraint, and the first row untouched.
        @Test func duplicateKeysAreRefused() async throws {
            let database = try await PostgresTestDatabase.make()
            defer { database.close() }
            let store = try database.open()
            let alice = try Fixtures.operatorRecord("op-alice", name: "alice", keySeed: 1)
            let bob = try Fixtures.operatorRecord("op-bob", name: "bob", keySeed: 2)
            let sameID = try Self.renamed(alice, id: "op-alice", name: "alice-2", keySeed: 3)
            let sameName = try Self.renamed(alice, id: "op-alice-2", name: "alice", keySeed: 3)
            let sameAddress = try Self.renamed(alice, id: "op-alice-2", name: "alice-2", keySeed: 1)
            let signature = Array(repeating: UInt8(9), count: 65)
            let invite = Invite(codeHash: Array(repeating: 1, count: 32), role: .approver, createdAt: Fixtures.start,
                                expiresAt: Fixtures.start + .seconds(60))
            let challenge = LoginChallenge(nonce: Array(repeating: 2, count: 32), operatorID: "op-alice", issuedAt: Fixtures.start,
                                           expiresAt: Fixtures.start + .seconds(60))
            let session = OperatorSession(tokenHash: Array(repeating: 3, count: 32), operatorID: "op-alice", createdAt: Fixtures.start,
                                          expiresAt: Fixtures.start + .seconds(60), lastUsedAt: Fixtures.start, boundIP: nil)
            let refusal = TransferRefusal(orderID: "r-1", externalUserID: "user-1", currency: "USD", amount: "-1", status: 400,
                                          type: "insufficient_funds", message: "no", createdAt: Fixtures.start)
            try store.transaction { store throws(ApprovalError) in
                try store.insertWallet(Fixtures.wallet("w-1"))
                try store.insertOrder(Fixtures.order("o-1"))
                try store.insertOrder(Fixtures.order("o-2"))
                try store.insertOperator(alice)
                try store.insertOperator(bob)
                try store.insertApproval(ApprovalRecord(orderID: "o-1", operatorID: "op-alice", decision: .approve,
                                                        signature: signature, createdAt: Fixtures.start))
                try store.insertInvite(invite)
                try store.insertChallenge(challenge)
                try store.insertSession(session)
                try store.insertTransferRefusal(refusal)
                try store.appendAuditEvent(Fixtures.auditChain(1)[0])
            }
            let duplicates: [(String, (any StoreTransaction) throws(ApprovalError) -> Void)] = [
                ("wallets_pkey", { store throws(ApprovalError) in try store.insertWallet(Fixtures.wallet("w-1", user: "user-9")) }),
                ("wallets_open_by_owner", { store throws(ApprovalError) in
                    try store.insertWallet(Fixtures.wallet("w-9", user: "user-1", currency: "USD"))
                }),
                ("orders_pkey", { store throws(ApprovalError) in try store.insertOrder(Fixtures.order("o-1", amount: 5)) }),
                ("approvals_order_id_operator_id_key", { store throws(ApprovalError) in
                    try store.insertApproval(ApprovalRecord(orderID: "o-1", operatorID: "op-alice", decision: .reject,
                                                            signature: Array(repeating: 8, count: 65), createdAt: Fixtures.start))
                }),
                ("approvals_signature_key", { store throws(ApprovalError) in
                    try store.insertApproval(ApprovalRecord(orderID: "o-2", operatorID: "op-bob", decision: .approve,
                                                            signature: signature, createdAt: Fixtures.start))
                }),
                ("operators_pkey", { store throws(ApprovalError) in try store.insertOperator(sameID) }),
                ("operators_name_key", { store throws(ApprovalError) in try store.insertOperator(sameName) }),
                ("operators_address_key", { store throws(ApprovalError) in try store.insertOperator(sameAddress) }),
                ("invites_pkey", { store throws(ApprovalError) in try store.insertInvite(invite) }),
                ("login_challenges_pkey", { store throws(ApprovalError) in try store.insertChallenge(challenge) }),
                ("sessions_pkey", { store throws(ApprovalError) in try store.insertSession(session) }),
                ("order_refusals_pkey", { store throws(ApprovalError) in try store.insertTransferRefusal(refusal) }),
            ]
            for (constraint, insert) in duplicates {
                let message = storageFailure { try store.transaction { store throws(ApprovalError) in try insert(store) } }
                #expect(message?.contains("duplicate key value violates unique constraint \"\(constraint)\"") == true,
                        "\(message ?? "no storage error")")
                #expect(message?.contains("SQLSTATE 23505") == true)
            }
            // The audit chain refuses a second event 1 before the database sees it.
            #expect(storageFailure {
                try store.transaction { store throws(ApprovalError) in try store.appendAuditEvent(Fixtures.auditChain(1)[0]) }
            } == "audit event 1 refused: the next sequence is 2")
            try store.transaction { store throws(ApprovalError) in
                #expect(try store.wallet(id: "w-1")?.externalUserID == "user-1")
                #expect(try store.order(id: "o-1")?.amount == -2_500)
                #expect(try store.approvals(orderID: "o-1").map(\.decision) == [.approve])
                #expect(try store.allOperators().map(\.name) == ["alice", "bob"])
            }
        }

        private static func renamed(_ record: Operator, id: String, name: String, keySeed: UInt8) throws -> Operator {
            let key = try Fixtures.key(keySeed)
            return Operator(id: id, name: name, role: record.role, address: EthereumAddress(publicKey: key.publicKey),
                            publicKey: key.publicKey.compressed, path: record.path, enrolledAt: record.enrolledAt)
        }

        @Test func updatingAMissingRowIsAnError() async throws {
            let database = try await PostgresTestDatabase.make()
            defer { database.close() }
            let store = try database.open()
            #expect(storageFailure {
                try store.transaction { store throws(ApprovalError) in try store.updateWallet(Fixtures.wallet("ghost")) }
            } == "no wallet ghost to update (0 rows matched)")
            #expect(storageFailure {
                try store.transaction { store throws(ApprovalError) in try store.updateOrder(Fixtures.order("ghost")) }
            }?.hasPrefix("no order ghost") == true)
            #expect(storageFailure {
                try store.transaction { store throws(ApprovalError) in
                    try store.updateOutboxMessage(OutboxMessage(event: "x", body: "{}", createdAt: Fixtures.start, nextAttemptAt: Fixtures.start))
                }
            } == "an outbox message without an id cannot be updated")
        }

        /// The schema repeats the service's invariants, so a bug there fails the transaction instead of storing it.
        @Test func invariantsAreEnforcedByTheSchema() async throws {
            let database = try await PostgresTestDatabase.make()
            defer { database.close() }
            let store = try database.open()
            try store.transaction { store throws(ApprovalError) in
                try store.insertWallet(Fixtures.wallet("w-1", balance: 100))
                try store.insertWallet(Fixtures.settlement("USD"))
            }
            #expect(storageFailure {
                try store.transaction { store throws(ApprovalError) in try store.updateWallet(Fixtures.wallet("w-1", balance: -1)) }
            }?.contains("wallets_external_not_negative") == true)
            #expect(storageFailure {
                try store.transaction { store throws(ApprovalError) in try store.updateWallet(Fixtures.wallet("w-1", balance: 100, held: 101)) }
            }?.contains("wallets_held_within_balance") == true)
            #expect(storageFailure {
                try store.transaction { store throws(ApprovalError) in try store.insertOrder(Fixtures.order("zero", amount: 0)) }
            }?.contains("SQLSTATE 23514") == true)
            // The settlement side may go negative.
            var settlement = Fixtures.settlement("USD")
            settlement.balance = -1_000_000
            try store.transaction { store throws(ApprovalError) in try store.updateWallet(settlement) }
            // An order for a wallet that does not exist fails at COMMIT (foreign keys are deferred) and leaves nothing.
            let foreign = storageFailure {
                try store.transaction { store throws(ApprovalError) in try store.insertOrder(Fixtures.order("o-1", wallet: "no-such-wallet")) }
            }
            #expect(foreign?.contains("SQLSTATE 23503") == true, "\(foreign ?? "committed")")
            #expect(foreign?.contains("in: COMMIT") == true)
            // Rows may be written in any order inside one transaction: the order before its wallet.
            try store.transaction { store throws(ApprovalError) in
                try store.insertOrder(Fixtures.order("o-2", wallet: "w-2"))
                try store.insertWallet(Fixtures.wallet("w-2", user: "user-2"))
            }
            try store.transaction { store throws(ApprovalError) in
                #expect(try store.wallet(id: "w-1")?.balance == 100)
                #expect(try store.wallet(id: "crm:USD")?.balance == -1_000_000)
                #expect(try store.order(id: "o-1") == nil)
                #expect(try store.order(id: "o-2")?.walletID == "w-2")
            }
        }

        @Test func aTransactionHandleDoesNotOutliveItsTransaction() async throws {
            let database = try await PostgresTestDatabase.make()
            defer { database.close() }
            let store = try database.open()
            let escaped = try store.transaction { store throws(ApprovalError) in store }
            #expect(storageFailure { try escaped.insertWallet(Fixtures.wallet("w-1")) } == "a store transaction was used after it ended")
            store.close()
            #expect(storageFailure { _ = try store.transaction { store throws(ApprovalError) in try store.allWallets() } }?.contains("is closed") == true)
            #expect(storageFailure { _ = try store.read { store throws(ApprovalError) in try store.allWallets() } }?.contains("is closed") == true)
        }

        /// A read runs on a snapshot and PostgreSQL refuses any write in it.
        @Test func aReadIsASnapshotThatRefusesWrites() async throws {
            let database = try await PostgresTestDatabase.make()
            defer { database.close() }
            let store = try database.open()
            try store.transaction { store throws(ApprovalError) in try store.insertWallet(Fixtures.wallet("w-1", balance: 1)) }
            let message = storageFailure {
                try store.read { store throws(ApprovalError) in try store.insertWallet(Fixtures.wallet("w-2", user: "user-2")) }
            }
            #expect(message?.hasPrefix("a write was attempted inside a read-only store read") == true, "\(message ?? "written")")
            // A commit between two statements of one read does not show through: both see the snapshot.
            let other = try database.open()
            let seen = try store.read { store throws(ApprovalError) -> [Int128?] in
                let before = try store.wallet(id: "w-1")?.balance
                try other.transaction { store throws(ApprovalError) in try store.updateWallet(Fixtures.wallet("w-1", balance: 2)) }
                let after = try store.wallet(id: "w-1")?.balance
                return [before, after]
            }
            #expect(seen == [1, 1])
            #expect(try store.committedWallet(externalUserID: "user-1", currency: "USD")?.balance == 2)
            #expect(try store.read { store throws(ApprovalError) in try store.allWallets().map(\.id) } == ["w-1"])
        }

        /// A transaction started inside a body runs inline in a savepoint (waiting for the lock its enclosing
        /// transaction holds would wait forever); one that throws undoes only itself.
        @Test func aTransactionStartedInsideABodyRunsInlineInsteadOfDeadlocking() async throws {
            let database = try await PostgresTestDatabase.make()
            defer { database.close() }
            let store = try database.open()
            let inner = try store.transaction { outer throws(ApprovalError) in
                try outer.setMetadata("outer", "1")
                return try store.transaction { nested throws(ApprovalError) in
                    try nested.setMetadata("inner", try nested.metadata("outer") ?? "missing")
                    return "inner done"
                }
            }
            #expect(inner == "inner done")
            try store.transaction { outer throws(ApprovalError) in
                try outer.setMetadata("kept", "yes")
                do throws(ApprovalError) {
                    try store.transaction { nested throws(ApprovalError) in
                        try nested.setMetadata("undone", "yes")
                        try nested.insertWallet(Fixtures.wallet("w-1"))
                        try nested.insertWallet(Fixtures.wallet("w-1"))  // fails: the transaction is in error until undone
                    }
                } catch {
                    try outer.setMetadata("caught", "\(error)".contains("wallets_pkey") ? "yes" : "no")
                }
                // A read from inside a body uses a connection of its own and sees only what committed.
                let outside = try store.read { read throws(ApprovalError) in try read.metadata("kept") }
                try outer.setMetadata("read-saw", outside ?? "nothing")
            }
            let values = try store.read { transaction throws(ApprovalError) in
                try ["outer", "inner", "kept", "undone", "caught", "read-saw"].map { key throws(ApprovalError) in try transaction.metadata(key) }
            }
            #expect(values == ["1", "1", "yes", nil, "yes", "nothing"])
            #expect(try store.read { store throws(ApprovalError) in try store.allWallets() }.isEmpty)
        }

        /// Read-modify-write from 8 threads on two instances (separate pools, as two processes): the advisory lock
        /// serializes them across instances, so no update is lost.
        @Test func concurrentTransactionsAreSerializedAcrossInstances() async throws {
            let database = try await PostgresTestDatabase.make()
            defer { database.close() }
            let stores = [try database.open(connections: 4), try database.open(connections: 4)]
            try stores[0].transaction { store throws(ApprovalError) in try store.insertWallet(Fixtures.wallet("w-1", balance: 0)) }
            let failures = await onThreads(8) { index -> String? in
                let store = stores[index % 2]
                do {
                    for _ in 0..<25 {
                        try store.transaction { store throws(ApprovalError) in
                            guard var wallet = try store.wallet(id: "w-1") else { throw .storage("wallet vanished") }
                            wallet.balance += 1
                            try store.updateWallet(wallet)
                        }
                    }
                    return nil
                } catch {
                    return "\(error)"
                }
            }
            #expect(failures.compactMap { $0 } == [])
            #expect(try stores[1].transaction { store throws(ApprovalError) in try store.wallet(id: "w-1")?.balance } == 200)
        }

        /// Another instance sees only committed state.
        @Test func anotherInstanceSeesOnlyCommittedState() async throws {
            let database = try await PostgresTestDatabase.make()
            defer { database.close() }
            let writer = try database.open()
            let reader = try database.open()
            try writer.transaction { store throws(ApprovalError) in try store.insertWallet(Fixtures.wallet("w-1", balance: 1)) }
            #expect(try reader.transaction { store throws(ApprovalError) in try store.wallet(id: "w-1")?.balance } == 1)
            #expect(throws: deliberateFailure) {
                try writer.transaction { store throws(ApprovalError) in
                    try store.updateWallet(Fixtures.wallet("w-1", balance: 2))
                    throw deliberateFailure
                }
            }
            #expect(try reader.read { store throws(ApprovalError) in try store.wallet(id: "w-1")?.balance } == 1)
        }

        /// The server ends every session (a restart, a failover): connections found lost at BEGIN are reset and the
        /// transaction runs; a connection lost inside a body fails that request as unavailable (503), commits
        /// nothing, and the next request works.
        @Test func aLostConnectionIsUnavailableThenRecovered() async throws {
            let database = try await PostgresTestDatabase.make()
            defer { database.close() }
            let store = try database.open(connections: 2)
            try store.transaction { store throws(ApprovalError) in try store.insertWallet(Fixtures.wallet("w-1", balance: 1)) }
            let admin = try database.connection()
            defer { admin.close() }
            let terminateOthers = """
                SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                WHERE datname = current_database() AND pid <> pg_backend_pid()
                """
            _ = try admin.query(terminateOthers)
            // The idle pooled connection was cut: BEGIN finds it lost, the store resets it and goes on.
            #expect(try store.transaction { store throws(ApprovalError) in try store.wallet(id: "w-1")?.balance } == 1)
            #expect(try store.read { store throws(ApprovalError) in try store.wallet(id: "w-1")?.balance } == 1)

            let error = approvalError {
                try store.transaction { store throws(ApprovalError) in
                    try store.updateWallet(Fixtures.wallet("w-1", balance: 5))
                    _ = try? admin.query(terminateOthers)
                    _ = try store.wallet(id: "w-1")
                }
            }
            guard case .unavailable(let why)? = error else {
                Issue.record("expected the database to be unavailable, got \(String(describing: error))")
                return
            }
            #expect(why.hasPrefix(store.databaseName + ": "), "\(why)")
            #expect(error?.httpStatus == 503)
            #expect(try store.transaction { store throws(ApprovalError) in try store.wallet(id: "w-1")?.balance } == 1)
        }
    }
}
