import BridgeApprovals
import BridgeCore
@testable import BridgeStore
import Testing

/// The writer connection's wallet rows (`SQLiteWriterWallets`): transfers read their wallets from it instead of
/// SQLite, so it must answer exactly what a `SELECT` inside the write transaction would, whatever was undone or
/// written by another connection in between.
@Suite("SQLite store: the writer's wallet rows")
struct WriterWalletsTests {
    /// What a write transaction reads: w-1's balance by id, and the id of `user`'s open USD wallet.
    private func readInTransaction(_ store: SQLiteApprovalStore, user: String = "user-1") throws(ApprovalError)
        -> (byID: Int128?, byOwner: String?) {
        try store.transaction { transaction throws(ApprovalError) in
            (try transaction.wallet(id: "w-1")?.balance,
             try transaction.wallet(externalUserID: user, currency: "USD")?.id)
        }
    }

    /// A fresh store holding w-1 (10,000, user-1's USD wallet), which a write transaction has read once.
    private func withStore(_ body: (SQLiteApprovalStore, TemporaryDatabase) throws -> Void) throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try database.open()
        defer { store.close() }
        #expect(store.writerWalletCount == 0)
        try store.transaction { transaction throws(ApprovalError) in try transaction.insertWallet(Fixtures.wallet("w-1")) }
        #expect(try readInTransaction(store) == (10_000, "w-1"))
        #expect(store.writerWalletCount == 1)
        try body(store, database)
    }

    /// A transaction whose body throws after running `change`: it must leave nothing behind.
    private func abandoned(_ store: SQLiteApprovalStore, _ change: (any StoreTransaction) throws(ApprovalError) -> Void) {
        #expect(throws: ApprovalError.self) {
            try store.transaction { transaction throws(ApprovalError) in
                try change(transaction)
                throw deliberateFailure
            }
        }
    }

    @Test func aWrittenWalletIsReadBackFromTheRowsKept() throws {
        try withStore { store, _ in
            try store.changeWallet(balance: 7_000)
            #expect(store.writerWalletCount == 1)
            #expect(try readInTransaction(store) == (7_000, "w-1"))
            // Reads outside the writer do not use (or fill) it, and see the same row.
            #expect(try store.read { read throws(ApprovalError) in try read.wallet(id: "w-1")?.balance } == 7_000)
        }
    }

    @Test func aBodyThatThrowsLeavesNothingOfItsChangeBehind() throws {
        try withStore { store, _ throws in
            abandoned(store) { transaction throws(ApprovalError) in
                guard var wallet = try transaction.wallet(id: "w-1") else { throw .storage("wallet w-1 vanished") }
                wallet.balance = 5
                try transaction.updateWallet(wallet)
                #expect(try transaction.wallet(id: "w-1")?.balance == 5)
            }
            #expect(store.writerWalletCount == 0)
            #expect(try readInTransaction(store) == (10_000, "w-1"))
            // A wallet inserted by a body that failed is not found afterwards either.
            abandoned(store) { transaction throws(ApprovalError) in
                try transaction.insertWallet(Fixtures.wallet("w-2", user: "user-2"))
            }
            #expect(try readInTransaction(store, user: "user-2") == (10_000, nil))
        }
    }

    @Test func anotherConnectionsCommitIsSeen() throws {
        try withStore { store, database in
            // A second store on the same file: another process's connection, as far as SQLite can tell.
            let other = try database.open()
            try other.changeWallet(balance: 3_000)
            try other.changeWallet(close: true)
            try other.transaction { transaction throws(ApprovalError) in
                try transaction.insertWallet(Fixtures.wallet("w-9", balance: 1))
            }
            other.close()
            #expect(try readInTransaction(store) == (3_000, "w-9"))
        }
    }

    @Test func aClosedWalletIsNoLongerItsOwnersOpenWallet() throws {
        try withStore { store, _ in
            try store.changeWallet(close: true)
            #expect(try readInTransaction(store) == (10_000, nil))
            try store.transaction { transaction throws(ApprovalError) in
                try transaction.insertWallet(Fixtures.wallet("w-2", balance: 42))
            }
            #expect(try store.transaction { transaction throws(ApprovalError) in
                try transaction.wallet(externalUserID: "user-1", currency: "USD")?.balance
            } == 42)
        }
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
