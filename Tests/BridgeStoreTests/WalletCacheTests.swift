import BridgeApprovals
import BridgeCore
@testable import BridgeStore
import Dispatch
import Synchronization
import Testing

/// The wallet cache behind `committedWallet(externalUserID:currency:)`: never older than what has committed, and
/// answered without borrowing a connection.
@Suite("SQLite store: wallet cache")
struct WalletCacheTests {
    private func balance(_ store: SQLiteApprovalStore, user: String = "user-1") throws(ApprovalError) -> Int128? {
        try store.committedWallet(externalUserID: user, currency: "USD")?.balance
    }

    @Test func aCachedWalletFollowsEachCommit() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try database.open()
        try store.transaction { store throws(ApprovalError) in try store.insertWallet(Fixtures.wallet("w-1", balance: 10_000)) }
        #expect(store.cachedWalletCount == 0)
        #expect(try balance(store) == 10_000)
        #expect(store.cachedWalletCount == 1)

        try store.changeWallet(balance: 7_500)
        #expect(store.cachedWalletCount == 0)
        #expect(try balance(store) == 7_500)
        #expect(try balance(store) == 7_500)
        #expect(store.cachedWalletCount == 1)
        #expect(try balance(store, user: "nobody") == nil)
        store.close()
    }

    @Test func aCacheHitBorrowsNoConnection() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try SQLiteApprovalStore(path: database.path, clock: ManualClock(), readConnections: 1)
        try store.transaction { store throws(ApprovalError) in try store.insertWallet(Fixtures.wallet("w-1", balance: 10_000)) }
        #expect(try balance(store) == 10_000)

        // The outer read holds the only connection: a nested read that needed one would wait forever.
        let nested = try store.read { outer throws(ApprovalError) -> Int128? in
            _ = try outer.wallet(id: "w-1")
            return try balance(store)
        }
        #expect(nested == 10_000)
        store.close()
    }

    @Test func aReadInProgressIsNotCachedOverANewerCommit() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try database.open()
        try store.transaction { store throws(ApprovalError) in try store.insertWallet(Fixtures.wallet("w-1", balance: 10_000)) }

        // A lookup's read that began before a commit answers the old balance, but must not leave it in the cache.
        let generation = try #require(store.walletCacheGeneration)
        try store.changeWallet(balance: 2_000)
        #expect(try store.read { store throws(ApprovalError) in try store.wallet(id: "w-1")?.balance } == 2_000)
        store.rememberWallet(Fixtures.wallet("w-1", balance: 10_000), generation: generation)
        #expect(store.cachedWalletCount == 0)
        #expect(try balance(store) == 2_000)
        store.close()
    }

    @Test func aWriteInProgressIsNeitherSeenNorCached() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try database.open()
        try store.transaction { store throws(ApprovalError) in try store.insertWallet(Fixtures.wallet("w-1", balance: 10_000)) }
        #expect(try balance(store) == 10_000)

        var seenDuringWrite: [Int128?] = []
        try store.transaction { transaction throws(ApprovalError) in
            guard var wallet = try transaction.wallet(id: "w-1") else { throw .storage("wallet w-1 vanished") }
            wallet.balance = 1
            try transaction.updateWallet(wallet)
            seenDuringWrite.append(try balance(store))
            seenDuringWrite.append(try balance(store))
        }
        #expect(seenDuringWrite == [10_000, 10_000])
        // Had a read during the write cached 10,000, this would still say so.
        #expect(try balance(store) == 1)
        store.close()
    }

    @Test func aRolledBackWriteLeavesTheCommittedBalance() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try database.open()
        try store.transaction { store throws(ApprovalError) in try store.insertWallet(Fixtures.wallet("w-1", balance: 10_000)) }
        #expect(try balance(store) == 10_000)

        #expect(throws: ApprovalError.self) {
            try store.transaction { transaction throws(ApprovalError) in
                guard var wallet = try transaction.wallet(id: "w-1") else { throw .storage("wallet w-1 vanished") }
                wallet.balance = 5
                try transaction.updateWallet(wallet)
                throw .storage("changed my mind")
            }
        }
        #expect(try balance(store) == 10_000)
        #expect(try balance(store) == 10_000)
        store.close()
    }

    @Test func aZeroCapacityCacheStillReads() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try SQLiteApprovalStore(path: database.path, clock: ManualClock(), cachedWallets: 0)
        try store.transaction { store throws(ApprovalError) in try store.insertWallet(Fixtures.wallet("w-1", balance: 10_000)) }
        #expect(try balance(store) == 10_000)
        #expect(store.cachedWalletCount == 0)
        store.close()
    }

    /// Readers race a writer that adds 1 per commit: no read may return less than what had committed when it began,
    /// and no reader may ever see the balance go down.
    @Test func concurrentReadsNeverSeeAnOlderBalanceThanCommitted() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try SQLiteApprovalStore(path: database.path, clock: ManualClock(), readConnections: 2)
        try store.transaction { store throws(ApprovalError) in try store.insertWallet(Fixtures.wallet("w-1", balance: 0)) }

        let commits = 300
        let committed = Atomic<Int64>(0)
        let problems = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 5) { index in
            do {
                if index == 0 {
                    for value in 1...Int128(commits) {
                        try store.changeWallet(balance: value)
                        committed.store(Int64(value), ordering: .sequentiallyConsistent)
                    }
                } else {
                    var last: Int128 = 0
                    while last < Int128(commits) {
                        let floor = Int128(committed.load(ordering: .sequentiallyConsistent))
                        guard let seen = try balance(store) else { throw ApprovalError.storage("wallet vanished") }
                        if seen < floor || seen < last {
                            problems.withLock { $0.append("read \(seen) after \(floor) committed (last seen \(last))") }
                            return
                        }
                        last = seen
                    }
                }
            } catch {
                problems.withLock { $0.append("\(error)") }
            }
        }
        #expect(problems.withLock { $0 } == [])
        #expect(try balance(store) == Int128(commits))
        store.close()
    }
}
