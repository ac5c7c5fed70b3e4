import BridgeApprovals
import BridgeCore
import BridgeCrypto
import BridgeStore
import Foundation
import Testing

/// All or nothing, keys unique, invariants enforced, transactions serialized.
@Suite("SQLite store: transactions")
struct StoreTransactionTests {
    @Test func aThrownErrorRollsEverythingBack() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
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
        }
        // Nothing reached the file either.
        store.close()
        try database.open().transaction { store throws(ApprovalError) in
            #expect(try store.allWallets().map(\.id) == ["w-1"])
            #expect(try store.wallet(id: "w-1")?.balance == 10_000)
        }
    }

    @Test func aStorageErrorRollsBackTheWritesBeforeIt() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
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
    @Test func duplicateKeysAreRefused() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
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
        }
        let duplicates: [(String, (any StoreTransaction) throws(ApprovalError) -> Void)] = [
            ("wallets.id", { store throws(ApprovalError) in try store.insertWallet(Fixtures.wallet("w-1", user: "user-9")) }),
            ("wallets.external_user_id, wallets.currency", { store throws(ApprovalError) in
                try store.insertWallet(Fixtures.wallet("w-9", user: "user-1", currency: "USD"))
            }),
            ("orders.order_id", { store throws(ApprovalError) in try store.insertOrder(Fixtures.order("o-1", amount: 5)) }),
            ("approvals.order_id, approvals.operator_id", { store throws(ApprovalError) in
                try store.insertApproval(ApprovalRecord(orderID: "o-1", operatorID: "op-alice", decision: .reject,
                                                        signature: Array(repeating: 8, count: 65), createdAt: Fixtures.start))
            }),
            ("approvals.signature", { store throws(ApprovalError) in
                try store.insertApproval(ApprovalRecord(orderID: "o-2", operatorID: "op-bob", decision: .approve,
                                                        signature: signature, createdAt: Fixtures.start))
            }),
            ("operators.id", { store throws(ApprovalError) in
                try store.insertOperator(sameID)
            }),
            ("operators.name", { store throws(ApprovalError) in
                try store.insertOperator(sameName)
            }),
            ("operators.address", { store throws(ApprovalError) in
                try store.insertOperator(sameAddress)
            }),
            ("invites.code_hash", { store throws(ApprovalError) in try store.insertInvite(invite) }),
            ("login_challenges.nonce", { store throws(ApprovalError) in try store.insertChallenge(challenge) }),
            ("sessions.token_hash", { store throws(ApprovalError) in try store.insertSession(session) }),
        ]
        for (constraint, insert) in duplicates {
            let message = storageFailure { try store.transaction { store throws(ApprovalError) in try insert(store) } }
            #expect(message?.contains("UNIQUE constraint failed: \(constraint)") == true, "\(message ?? "no storage error")")
        }
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

    @Test func updatingAMissingRowIsAnError() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
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
    @Test func invariantsAreEnforcedByTheSchema() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try database.open()
        try store.transaction { store throws(ApprovalError) in
            try store.insertWallet(Fixtures.wallet("w-1", balance: 100))
            try store.insertWallet(Fixtures.settlement("USD"))
        }
        #expect(storageFailure {
            try store.transaction { store throws(ApprovalError) in try store.updateWallet(Fixtures.wallet("w-1", balance: -1)) }
        }?.contains("CHECK constraint failed") == true)
        #expect(storageFailure {
            try store.transaction { store throws(ApprovalError) in try store.updateWallet(Fixtures.wallet("w-1", balance: 100, held: 101)) }
        }?.contains("CHECK constraint failed") == true)
        // The settlement side may go negative.
        var settlement = Fixtures.settlement("USD")
        settlement.balance = -1_000_000
        try store.transaction { store throws(ApprovalError) in try store.updateWallet(settlement) }
        // An order for a wallet that does not exist fails at COMMIT (foreign keys are checked there) and leaves nothing.
        #expect(storageFailure {
            try store.transaction { store throws(ApprovalError) in try store.insertOrder(Fixtures.order("o-1", wallet: "no-such-wallet")) }
        }?.contains("FOREIGN KEY constraint failed") == true)
        try store.transaction { store throws(ApprovalError) in
            #expect(try store.wallet(id: "w-1")?.balance == 100)
            #expect(try store.wallet(id: "crm:USD")?.balance == -1_000_000)
            #expect(try store.order(id: "o-1") == nil)
        }
    }

    @Test func aTransactionHandleDoesNotOutliveItsTransaction() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try database.open()
        let escaped = try store.transaction { store throws(ApprovalError) in store }
        #expect(storageFailure { try escaped.insertWallet(Fixtures.wallet("w-1")) } == "a store transaction was used after it ended")
        store.close()
        #expect(storageFailure { _ = try store.transaction { store throws(ApprovalError) in try store.allWallets() } }?.contains("is closed") == true)
    }

    /// Read-modify-write from 8 threads at once: serialized transactions lose no update.
    @Test func concurrentTransactionsAreSerialized() async throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try database.open()
        try store.transaction { store throws(ApprovalError) in try store.insertWallet(Fixtures.wallet("w-1", balance: 0)) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    for _ in 0..<25 {
                        try store.transaction { store throws(ApprovalError) in
                            guard var wallet = try store.wallet(id: "w-1") else { throw .storage("wallet vanished") }
                            wallet.balance += 1
                            try store.updateWallet(wallet)
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try store.transaction { store throws(ApprovalError) in try store.wallet(id: "w-1")?.balance } == 200)
    }

    /// Another connection (another process, such as `walletbridge audit verify`) sees only committed state.
    @Test func anotherConnectionSeesOnlyCommittedState() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
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
        #expect(try reader.transaction { store throws(ApprovalError) in try store.wallet(id: "w-1")?.balance } == 1)
    }
}
