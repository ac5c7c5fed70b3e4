import BridgeApprovals
import BridgeCore
import BridgeStore
import Dispatch
import Foundation
import Synchronization
import Testing

/// `SQLiteApprovalStore.read`: read-only pooled connections that see committed snapshots and refuse writes.
@Suite("SQLite store: reads")
struct ReadPoolTests {
    @Test func aReadSeesWhatWasCommitted() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try database.open()
        try store.transaction { store throws(ApprovalError) in try store.insertWallet(Fixtures.wallet("w-1", balance: 10_000)) }
        #expect(try store.read { store throws(ApprovalError) in try store.wallet(id: "w-1")?.balance } == 10_000)

        try store.transaction { store throws(ApprovalError) in
            guard var wallet = try store.wallet(id: "w-1") else { throw .storage("wallet w-1 vanished") }
            wallet.balance = 7_500
            try store.updateWallet(wallet)
        }
        // The pooled connection is reused and must not keep the old snapshot.
        #expect(try store.read { store throws(ApprovalError) in try store.wallet(id: "w-1")?.balance } == 7_500)
        store.close()
    }

    @Test func aReadDoesNotSeeAWriteThatHasNotCommitted() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try database.open()
        try store.transaction { store throws(ApprovalError) in try store.insertWallet(Fixtures.wallet("w-1", balance: 10_000)) }

        // A read does not wait for the writer, so it can run while the writer's transaction is open.
        var seenDuringWrite: Int128?
        try store.transaction { transaction throws(ApprovalError) in
            guard var wallet = try transaction.wallet(id: "w-1") else { throw .storage("wallet w-1 vanished") }
            wallet.balance = 1
            try transaction.updateWallet(wallet)
            try transaction.insertWallet(Fixtures.wallet("w-2", user: "user-2"))
            seenDuringWrite = try store.read { store throws(ApprovalError) in
                #expect(try store.wallet(id: "w-2") == nil)
                return try store.wallet(id: "w-1")?.balance
            }
        }
        #expect(seenDuringWrite == 10_000)
        #expect(try store.read { store throws(ApprovalError) in try store.wallet(id: "w-1")?.balance } == 1)
        store.close()
    }

    @Test func aReadKeepsOneSnapshotWhileAWriterCommits() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try database.open()
        try store.transaction { store throws(ApprovalError) in try store.insertWallet(Fixtures.wallet("w-1", balance: 10_000)) }

        let balances = try store.read { reader throws(ApprovalError) -> (Int128?, Int128?) in
            let before = try reader.wallet(id: "w-1")?.balance
            try store.transaction { writer throws(ApprovalError) in
                guard var wallet = try writer.wallet(id: "w-1") else { throw .storage("wallet w-1 vanished") }
                wallet.balance = 2_000
                try writer.updateWallet(wallet)
            }
            return (before, try reader.wallet(id: "w-1")?.balance)
        }
        #expect(balances.0 == 10_000)
        #expect(balances.1 == 10_000)
        #expect(try store.read { store throws(ApprovalError) in try store.wallet(id: "w-1")?.balance } == 2_000)
        store.close()
    }

    @Test func aWriteInsideAReadFailsAndSaysSo() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try database.open()
        try store.transaction { store throws(ApprovalError) in try store.insertWallet(Fixtures.wallet("w-1", balance: 10_000)) }

        let updateMessage = storageFailure {
            try store.read { store throws(ApprovalError) in
                guard var wallet = try store.wallet(id: "w-1") else { throw .storage("wallet w-1 vanished") }
                wallet.balance = 0
                try store.updateWallet(wallet)
            }
        }
        #expect(updateMessage?.contains("a write was attempted inside a read-only store read") == true)
        #expect(updateMessage?.contains("UPDATE wallets") == true)
        let insertMessage = storageFailure {
            try store.read { store throws(ApprovalError) in try store.setMetadata("k", "v") }
        }
        #expect(insertMessage?.contains("read-only store read") == true)

        // Nothing was written, and the connections still serve reads.
        #expect(try store.read { store throws(ApprovalError) in try store.wallet(id: "w-1")?.balance } == 10_000)
        #expect(try store.read { store throws(ApprovalError) in try store.metadata("k") } == nil)
        store.close()
    }

    @Test func aReadAfterCloseFails() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try database.open()
        _ = try store.read { store throws(ApprovalError) in try store.allWallets() }
        store.close()
        let message = storageFailure { _ = try store.read { store throws(ApprovalError) in try store.allWallets() } }
        #expect(message?.contains("is closed") == true)
    }

    @Test func concurrentReadsSeeConsistentTotalsWhileAWriterCommits() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try SQLiteApprovalStore(path: database.path, clock: ManualClock(), readConnections: 4)
        let users = (1...6).map { "user-\($0)" }
        let totals: [String: Int128] = ["USD": 6 * 10_000, "BTC": 6 * 5_000]
        try store.transaction { store throws(ApprovalError) in
            for (index, user) in users.enumerated() {
                try store.insertWallet(Fixtures.wallet("usd-\(index)", user: user, currency: "USD", balance: 10_000))
                try store.insertWallet(Fixtures.wallet("btc-\(index)", user: user, currency: "BTC", balance: 5_000))
            }
        }

        let readerCount = 8
        let readsPerReader = 150
        let commits = 300
        let problems = Mutex<[String]>([])
        let readsDone = Atomic<Int>(0)
        // Iteration 0 writes, moving money between wallets of one currency so each currency's sum never changes;
        // the others read every wallet and check the sums. 8 reads may run at once but only 4 connections exist.
        DispatchQueue.concurrentPerform(iterations: readerCount + 1) { index in
            do {
                if index == 0 {
                    for commit in 0..<commits {
                        let currency = commit.isMultiple(of: 2) ? "usd" : "btc"
                        let from = "\(currency)-\(commit % users.count)", to = "\(currency)-\((commit + 1) % users.count)"
                        try store.transaction { store throws(ApprovalError) in
                            guard var source = try store.wallet(id: from), var target = try store.wallet(id: to) else {
                                throw .storage("a wallet vanished")
                            }
                            let amount = Int128(1 + commit % 7)
                            source.balance -= amount
                            try store.updateWallet(source)
                            target.balance += amount
                            try store.updateWallet(target)
                        }
                    }
                } else {
                    for _ in 0..<readsPerReader {
                        let wallets = try store.read { store throws(ApprovalError) in try store.allWallets() }
                        let sums = Dictionary(grouping: wallets, by: \.currency).mapValues { $0.reduce(0) { $0 + $1.balance } }
                        if sums != totals { problems.withLock { $0.append("sums \(sums), expected \(totals)") } }
                        readsDone.add(1, ordering: .relaxed)
                    }
                }
            } catch {
                problems.withLock { $0.append("\(error)") }
            }
        }

        #expect(problems.withLock { $0 } == [])
        #expect(readsDone.load(ordering: .relaxed) == readerCount * readsPerReader)
        let final = try store.read { store throws(ApprovalError) in try store.allWallets() }
        #expect(final.filter { $0.currency == "USD" }.reduce(0) { $0 + $1.balance } == totals["USD"])
        #expect(final.filter { $0.currency == "BTC" }.reduce(0) { $0 + $1.balance } == totals["BTC"])
        #expect(final.contains { $0.balance != 10_000 && $0.balance != 5_000 })
        store.close()
    }

    @Test func theInMemoryStoreReadsThroughATransaction() throws {
        let store = InMemoryApprovalStore()
        try store.transaction { store throws(ApprovalError) in try store.insertWallet(Fixtures.wallet("w-1", balance: 4_200)) }
        #expect(try store.read { store throws(ApprovalError) in try store.wallet(id: "w-1")?.balance } == 4_200)
    }
}
