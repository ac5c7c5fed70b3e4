import BridgeApprovals
import BridgeCore
@testable import BridgeStore
import Testing

/// The writer connection's wallet rows (`SQLiteWriterWallets`): transfers read their wallets from it instead of
/// SQLite, so it must answer exactly what a `SELECT` inside the write transaction would, whatever was undone or
/// written by another connection in between.
@Suite("SQLite store: the writer's wallet rows")
struct WriterWalletsTests {
    /// What a write transaction reads for w-1, by id and by owner.
    private func readInTransaction(_ store: SQLiteApprovalStore, user: String = "user-1") throws(ApprovalError)
        -> (byID: Int128?, byOwner: String?) {
        try store.transaction { transaction throws(ApprovalError) in
            (try transaction.wallet(id: "w-1")?.balance,
             try transaction.wallet(externalUserID: user, currency: "USD")?.id)
        }
    }

    private func setBalance(_ store: SQLiteApprovalStore, _ balance: Int128) throws(ApprovalError) {
        try store.transaction { transaction throws(ApprovalError) in
            guard var wallet = try transaction.wallet(id: "w-1") else { throw .storage("wallet w-1 vanished") }
            wallet.balance = balance
            try transaction.updateWallet(wallet)
        }
    }

    @Test func aWrittenWalletIsReadBackFromTheRowsKept() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try database.open()
        defer { store.close() }
        #expect(store.writerWalletCount == 0)
        try store.transaction { transaction throws(ApprovalError) in try transaction.insertWallet(Fixtures.wallet("w-1")) }
        #expect(store.writerWalletCount == 1)
        try setBalance(store, 7_000)
        #expect(store.writerWalletCount == 1)
        #expect(try readInTransaction(store) == (7_000, "w-1"))
        // Reads outside the writer do not use (or fill) it, and see the same row.
        #expect(try store.read { read throws(ApprovalError) in try read.wallet(id: "w-1")?.balance } == 7_000)
    }

    @Test func aBodyThatThrowsLeavesNothingOfItsChangeBehind() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try database.open()
        defer { store.close() }
        try store.transaction { transaction throws(ApprovalError) in try transaction.insertWallet(Fixtures.wallet("w-1")) }
        #expect(try readInTransaction(store) == (10_000, "w-1"))

        #expect(throws: ApprovalError.self) {
            try store.transaction { transaction throws(ApprovalError) in
                guard var wallet = try transaction.wallet(id: "w-1") else { throw .storage("wallet w-1 vanished") }
                wallet.balance = 5
                try transaction.updateWallet(wallet)
                #expect(try transaction.wallet(id: "w-1")?.balance == 5)
                throw .storage("changed my mind")
            }
        }
        #expect(store.writerWalletCount == 0)
        #expect(try readInTransaction(store) == (10_000, "w-1"))
        // A wallet inserted by a body that failed is not found afterwards either.
        #expect(throws: ApprovalError.self) {
            try store.transaction { transaction throws(ApprovalError) in
                try transaction.insertWallet(Fixtures.wallet("w-2", user: "user-2"))
                throw .storage("changed my mind")
            }
        }
        #expect(try readInTransaction(store, user: "user-2") == (10_000, nil))
    }

    @Test func anotherConnectionsCommitIsSeen() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try database.open()
        defer { store.close() }
        try store.transaction { transaction throws(ApprovalError) in try transaction.insertWallet(Fixtures.wallet("w-1")) }
        #expect(try readInTransaction(store) == (10_000, "w-1"))
        #expect(store.writerWalletCount == 1)

        // A second store on the same file: another process's connection, as far as SQLite can tell.
        let other = try database.open()
        try setBalance(other, 3_000)
        try other.transaction { transaction throws(ApprovalError) in
            guard var wallet = try transaction.wallet(id: "w-1") else { throw .storage("wallet w-1 vanished") }
            wallet.status = .closed
            wallet.closedAt = Fixtures.start
            try transaction.updateWallet(wallet)
            try transaction.insertWallet(Fixtures.wallet("w-9", balance: 1))
        }
        other.close()

        #expect(try readInTransaction(store) == (3_000, "w-9"))
    }

    @Test func aClosedWalletIsNoLongerItsOwnersOpenWallet() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try database.open()
        defer { store.close() }
        try store.transaction { transaction throws(ApprovalError) in try transaction.insertWallet(Fixtures.wallet("w-1")) }
        #expect(try readInTransaction(store) == (10_000, "w-1"))
        try store.transaction { transaction throws(ApprovalError) in
            guard var wallet = try transaction.wallet(id: "w-1") else { throw .storage("wallet w-1 vanished") }
            wallet.status = .closed
            wallet.closedAt = Fixtures.start
            try transaction.updateWallet(wallet)
        }
        #expect(try readInTransaction(store) == (10_000, nil))
        try store.transaction { transaction throws(ApprovalError) in
            try transaction.insertWallet(Fixtures.wallet("w-2", balance: 42))
        }
        #expect(try store.transaction { transaction throws(ApprovalError) in
            try transaction.wallet(externalUserID: "user-1", currency: "USD")?.balance
        } == 42)
    }

    @Test func beyondItsCapacityItStartsOver() {
        let rows = SQLiteWriterWallets(capacity: 2)
        rows.remember(Fixtures.wallet("w-1", user: "a"))
        rows.remember(Fixtures.wallet("w-2", user: "b"))
        rows.remember(Fixtures.wallet("w-2", user: "b", balance: 5))
        #expect(rows.count == 2)
        rows.remember(Fixtures.wallet("w-3", user: "c"))
        #expect(rows.count == 1)
        #expect(rows.wallet(id: "w-1") == nil)
        #expect(rows.openWallet(externalUserID: "a", currency: "USD") == nil)
        #expect(rows.openWallet(externalUserID: "c", currency: "USD")?.id == "w-3")
    }
}
