import BridgeApprovals
import BridgeCore
import BridgePostgres
import Foundation
import Synchronization
import Testing

extension PostgresTests {
    /// Group commit on PostgreSQL: concurrent transactions of one store share one BEGIN, one advisory lock and one
    /// COMMIT, yet each behaves as if it ran alone, in order, durably (BridgeStoreTests' GroupCommitTests, and what
    /// only a server can do to a group: a COMMIT refused by a deferred trigger, a connection cut mid-group).
    @Suite("group commit")
    struct GroupCommitTests {
        /// Waits until `count` transactions are queued behind a leader (a condition, not a timing assumption).
        /// Blocking: call it on a thread of its own.
        private static func waitUntilQueued(_ store: PostgresApprovalStore, count: Int) {
            while store.queuedTransactionCount < count { usleep(1_000) }
        }

        /// Appends one audit event chained onto whatever the body sees last, and marks `name` in the metadata.
        private static func appendAndMark(_ name: String, in transaction: any StoreTransaction) throws(ApprovalError) -> Int64 {
            let event = Fixtures.auditChain(1, startingAfter: try transaction.lastAuditEvent())[0]
            try transaction.appendAuditEvent(event)
            try transaction.setMetadata("body.\(name)", "written")
            return event.sequence
        }

        /// Builds one group on purpose: thread 0 runs `leader` alone, holding its group open until every body of
        /// `bodies` is queued behind it, in order; those then run as the next group. Returns each body's outcome (or
        /// error) by name, the leader's under "leader".
        private static func runGroup(
            on store: PostgresApprovalStore,
            leader: @escaping @Sendable (any StoreTransaction) throws(ApprovalError) -> String,
            bodies: [(name: String, body: @Sendable (any StoreTransaction) throws(ApprovalError) -> String)]
        ) async -> [String: Result<String, ApprovalError>] {
            let leaderRunning = DispatchSemaphore(value: 0)
            let release = DispatchSemaphore(value: 0)
            let outcomes = await onThreads(2 + bodies.count) { index -> (String, Result<String, ApprovalError>)? in
                if index == bodies.count + 1 {
                    // Only lets the leader go once the group behind it is complete.
                    waitUntilQueued(store, count: bodies.count)
                    release.signal()
                    return nil
                }
                if index == 0 {
                    let outcome = Result { () throws(ApprovalError) -> String in
                        try store.transaction { transaction throws(ApprovalError) in
                            leaderRunning.signal()
                            release.wait()
                            return try leader(transaction)
                        }
                    }
                    return ("leader", outcome)
                }
                leaderRunning.wait()
                leaderRunning.signal()
                // Queue strictly in order, each after the previous one is waiting.
                waitUntilQueued(store, count: index - 1)
                let (name, body) = bodies[index - 1]
                return (name, Result { () throws(ApprovalError) -> String in try store.transaction(body) })
            }
            return Dictionary(uniqueKeysWithValues: outcomes.compactMap { $0 })
        }

        private static func describe(_ outcome: Result<String, ApprovalError>?) -> String {
            switch outcome {
            case .success(let value): value
            case .failure(let error): "error \(error)"
            case nil: "missing"
            }
        }

        /// 16 threads × 10 transfers through ApprovalService: every transfer applies once, the books balance, fewer
        /// COMMITs than transfers ran, and a second instance (its own pool) reads every answer back.
        @Test func concurrentTransfersShareCommitsAndAreDurable() async throws {
            let harness = try await PostgresServiceHarness.make()
            defer { harness.remove() }
            let users = ["u-1", "u-2", "u-3", "u-4"]
            for user in users { try harness.service.createWallet(externalUserID: user, currency: "USD", initialBalance: 100_000) }
            let service = harness.service
            let store = harness.store
            let commitsBefore = store.commitCount
            let threads = 16, perThread = 10
            let failures = await onThreads(threads) { thread -> [String] in
                (0..<perThread).compactMap { index -> String? in
                    // Every thread writes to every wallet, so groups mix transfers on the same rows.
                    let user = users[(thread + index) % users.count]
                    let amount = index.isMultiple(of: 2) ? "-1.25" : "2.50"
                    do {
                        let outcome = try service.submitTransfer(
                            TransferRequest(orderID: "t\(thread)-\(index)", externalUserID: user, currency: "USD", amount: amount))
                        return outcome.order.status == .completed && !outcome.replayed ? nil : "t\(thread)-\(index): \(outcome.order.status)"
                    } catch {
                        return "t\(thread)-\(index): \(error)"
                    }
                }
            }.flatMap { $0 }
            #expect(failures == [])
            let commits = store.commitCount - commitsBefore
            let transfers = threads * perThread
            #expect(commits > 0 && commits < transfers, "\(commits) COMMITs for \(transfers) transfers")

            var expected: [String: Int128] = [:]
            for thread in 0..<threads {
                for index in 0..<perThread {
                    expected[users[(thread + index) % users.count], default: 100_000] += index.isMultiple(of: 2) ? -125 : 250
                }
            }
            // Read back through another instance: its own connections see only what committed.
            let second = try harness.secondInstance()
            for user in users {
                #expect(try second.service.wallet(externalUserID: user, currency: "USD").balance == expected[user])
            }
            let (orders, events) = try second.store.read { transaction throws(ApprovalError) in
                (try transaction.orders(status: .completed, limit: 1_000).filter { $0.orderID.hasPrefix("t") }.count,
                 try transaction.auditEvents(after: 0, limit: 10_000))
            }
            #expect(orders == transfers)
            #expect(events.map(\.sequence) == Array(1...Int64(events.count)))
            #expect(try ApprovalService.verifyAuditChain(store: second.store).ok)
            #expect(try harness.balanceSums() == ["USD": 0])
            // And after a restart of the first instance.
            try harness.reopen()
            for user in users { #expect(try harness.balance(user).balance == expected[user]) }
        }

        /// In one group: a body that throws after writing, one whose statement fails (leaving the transaction in
        /// error until its savepoint is undone), and one that catches such a failure and returns, are rolled back
        /// alone; their group-mates commit, and the next body chains onto the audit event that really is last.
        @Test func aThrowingBodyRollsBackAloneWhileItsGroupMatesCommit() async throws {
            let database = try await PostgresTestDatabase.make()
            defer { database.close() }
            let store = try database.open()
            try store.transaction { store throws(ApprovalError) in try store.insertWallet(Fixtures.wallet("w-1")) }
            let commitsBefore = store.commitCount
            let outcomes = await Self.runGroup(
                on: store,
                leader: { transaction throws(ApprovalError) in "sequence \(try Self.appendAndMark("leader", in: transaction))" },
                bodies: [
                    ("ok-1", { transaction throws(ApprovalError) in "sequence \(try Self.appendAndMark("ok-1", in: transaction))" }),
                    ("fails", { transaction throws(ApprovalError) in
                        let sequence = try Self.appendAndMark("fails", in: transaction)
                        throw .storage("refused after writing event \(sequence)")
                    }),
                    ("duplicate", { transaction throws(ApprovalError) in
                        _ = try Self.appendAndMark("duplicate", in: transaction)
                        try transaction.insertWallet(Fixtures.wallet("w-1"))
                        return "inserted a second w-1"
                    }),
                    // Catches its failed statement and returns: PostgreSQL could not commit it, so it is told so.
                    ("swallowed", { transaction throws(ApprovalError) in
                        _ = try Self.appendAndMark("swallowed", in: transaction)
                        do throws(ApprovalError) { try transaction.insertWallet(Fixtures.wallet("w-1")) } catch {}
                        return "carried on"
                    }),
                    ("ok-2", { transaction throws(ApprovalError) in "sequence \(try Self.appendAndMark("ok-2", in: transaction))" }),
                ]
            )
            #expect(Self.describe(outcomes["leader"]) == "sequence 1")
            #expect(Self.describe(outcomes["ok-1"]) == "sequence 2")
            #expect(Self.describe(outcomes["swallowed"]).contains("its body carried on"), "\(Self.describe(outcomes["swallowed"]))")
            #expect(Self.describe(outcomes["fails"]).contains("refused after writing event 3"), "\(Self.describe(outcomes["fails"]))")
            #expect(Self.describe(outcomes["duplicate"]).contains("wallets_pkey"), "\(Self.describe(outcomes["duplicate"]))")
            // Events 3 of "fails", "duplicate" and "swallowed" were rolled back, so ok-2 chained onto event 2.
            #expect(Self.describe(outcomes["ok-2"]) == "sequence 3")
            // The leader alone, then the five together.
            #expect(store.commitCount - commitsBefore == 2)

            // Alone (no savepoint: the transaction is the body's own), carrying on is refused the same way.
            let alone = storageFailure {
                _ = try store.transaction { transaction throws(ApprovalError) in
                    _ = try Self.appendAndMark("swallowed-alone", in: transaction)
                    do throws(ApprovalError) { try transaction.insertWallet(Fixtures.wallet("w-1")) } catch {}
                }
            }
            #expect(alone?.contains("its body carried on") == true, "\(alone ?? "committed")")

            let other = try database.open()
            let marks = try other.read { transaction throws(ApprovalError) in
                try ["leader", "ok-1", "fails", "duplicate", "swallowed", "ok-2", "swallowed-alone"].map { name throws(ApprovalError) in
                    try transaction.metadata("body.\(name)")
                }
            }
            #expect(marks == ["written", "written", nil, nil, nil, "written", nil])
            #expect(try ApprovalService.verifyAuditChain(store: other).ok)
            let events = try other.read { transaction throws(ApprovalError) in try transaction.auditEvents(after: 0, limit: 10) }
            #expect(events.map(\.sequence) == [1, 2, 3])
        }

        /// A COMMIT the server refuses (a deferred constraint trigger fires at COMMIT) fails every caller of the group
        /// with the storage error, the body that threw included, and leaves nothing of the group; the next
        /// transaction chains onto the last event that did commit.
        @Test func aFailedCommitFailsTheWholeGroupAndLeavesNothing() async throws {
            let database = try await PostgresTestDatabase.make()
            defer { database.close() }
            let store = try database.open()
            let admin = try database.connection()
            try admin.execute("""
                CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF NEW.key = 'body.poison' THEN RAISE EXCEPTION 'poisoned commit'; END IF;
                    RETURN NULL;
                END $$;
                CREATE CONSTRAINT TRIGGER refuse_poison AFTER INSERT OR UPDATE ON metadata
                    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_poison();
                """)
            admin.close()
            let commitsBefore = store.commitCount
            let outcomes = await Self.runGroup(
                on: store,
                leader: { transaction throws(ApprovalError) in "sequence \(try Self.appendAndMark("leader", in: transaction))" },
                bodies: [
                    ("a", { transaction throws(ApprovalError) in "sequence \(try Self.appendAndMark("a", in: transaction))" }),
                    ("throws", { transaction throws(ApprovalError) in
                        _ = try Self.appendAndMark("throws", in: transaction)
                        throw deliberateFailure
                    }),
                    // Its row passes every statement; only the COMMIT runs the deferred trigger.
                    ("poison", { transaction throws(ApprovalError) in "sequence \(try Self.appendAndMark("poison", in: transaction))" }),
                    ("b", { transaction throws(ApprovalError) in "sequence \(try Self.appendAndMark("b", in: transaction))" }),
                ]
            )
            #expect(Self.describe(outcomes["leader"]) == "sequence 1")
            for name in ["a", "throws", "poison", "b"] {
                guard case .failure(.storage(let why))? = outcomes[name] else {
                    Issue.record("\(name): expected the COMMIT's storage error, got \(Self.describe(outcomes[name]))")
                    continue
                }
                #expect(why.contains("poisoned commit") && why.contains("COMMIT"), "\(name): \(why)")
            }
            #expect(store.commitCount - commitsBefore == 1)

            let other = try database.open()
            let marks = try other.read { transaction throws(ApprovalError) in
                try ["leader", "a", "throws", "poison", "b"].map { name throws(ApprovalError) in try transaction.metadata("body.\(name)") }
            }
            #expect(marks == ["written", nil, nil, nil, nil])
            // Through the store whose cached head last named event 4 of "b": it chains onto event 1 all the same.
            #expect(try store.transaction { transaction throws(ApprovalError) in try Self.appendAndMark("after", in: transaction) } == 2)
            #expect(try ApprovalService.verifyAuditChain(store: other).ok)
        }

        /// The leader's connection is cut in the middle of a group: every caller of that group (the ones whose bodies
        /// ran, the one that found the loss, the one that never ran) gets `unavailable` naming the database, nothing
        /// of the group exists, and the next transaction works on a fresh connection.
        @Test func aLostConnectionFailsTheWholeGroupAsUnavailable() async throws {
            let database = try await PostgresTestDatabase.make()
            defer { database.close() }
            let store = try database.open()
            let url = database.url
            let outcomes = await Self.runGroup(
                on: store,
                leader: { transaction throws(ApprovalError) in "sequence \(try Self.appendAndMark("leader", in: transaction))" },
                bodies: [
                    ("a", { transaction throws(ApprovalError) in "sequence \(try Self.appendAndMark("a", in: transaction))" }),
                    ("cut", { transaction throws(ApprovalError) in
                        _ = try Self.appendAndMark("cut", in: transaction)
                        // Ends every other session on the database (the store's, this group's among them) and waits
                        // until they are gone.
                        do {
                            let admin = try PostgresConnection(conninfo: url)
                            defer { admin.close() }
                            _ = try admin.query("""
                                SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity
                                WHERE datname = current_database() AND pid <> pg_backend_pid()
                                """)
                        } catch {
                            return "could not cut the connection: \(error)"
                        }
                        return "still connected: \(try transaction.metadata("body.a") ?? "nil")"
                    }),
                    ("never-ran", { transaction throws(ApprovalError) in "sequence \(try Self.appendAndMark("never-ran", in: transaction))" }),
                ]
            )
            #expect(Self.describe(outcomes["leader"]) == "sequence 1")
            for name in ["a", "cut", "never-ran"] {
                guard case .failure(let error)? = outcomes[name], case .unavailable(let why) = error else {
                    Issue.record("\(name): expected the database to be unavailable, got \(Self.describe(outcomes[name]))")
                    continue
                }
                #expect(why.hasPrefix(store.databaseName + ": "), "\(name): \(why)")
                #expect(error.httpStatus == 503)
            }
            let marks = try store.read { transaction throws(ApprovalError) in
                try ["leader", "a", "cut", "never-ran"].map { name throws(ApprovalError) in try transaction.metadata("body.\(name)") }
            }
            #expect(marks == ["written", nil, nil, nil])
            #expect(try store.transaction { transaction throws(ApprovalError) in try Self.appendAndMark("after", in: transaction) } == 2)
            #expect(try ApprovalService.verifyAuditChain(store: store).ok)
        }

        /// Transactions started inside the bodies of a group run inline in nested savepoints: a nested body that
        /// throws after appending an audit event takes the event (and the cached head) with it, one that returns
        /// commits with its enclosing body, and the chain stays linear across the group.
        @Test func nestedTransactionsInsideAGroupKeepTheAuditChain() async throws {
            let database = try await PostgresTestDatabase.make()
            defer { database.close() }
            let store = try database.open()
            let outcomes = await Self.runGroup(
                on: store,
                leader: { transaction throws(ApprovalError) in "sequence \(try Self.appendAndMark("leader", in: transaction))" },
                bodies: [
                    ("undone-inside", { transaction throws(ApprovalError) in
                        do throws(ApprovalError) {
                            _ = try store.transaction { nested throws(ApprovalError) -> Int64 in
                                _ = try Self.appendAndMark("nested-undone", in: nested)
                                throw deliberateFailure
                            }
                        } catch {
                            guard error == deliberateFailure else { throw error }
                        }
                        return "sequence \(try Self.appendAndMark("undone-inside", in: transaction))"
                    }),
                    ("kept-inside", { transaction throws(ApprovalError) in
                        let nested = try store.transaction { nested throws(ApprovalError) in
                            try Self.appendAndMark("nested-kept", in: nested)
                        }
                        return "sequences \(nested), \(try Self.appendAndMark("kept-inside", in: transaction))"
                    }),
                    ("last", { transaction throws(ApprovalError) in "sequence \(try Self.appendAndMark("last", in: transaction))" }),
                ]
            )
            #expect(Self.describe(outcomes["leader"]) == "sequence 1")
            #expect(Self.describe(outcomes["undone-inside"]) == "sequence 2")
            #expect(Self.describe(outcomes["kept-inside"]) == "sequences 3, 4")
            #expect(Self.describe(outcomes["last"]) == "sequence 5")
            let other = try database.open()
            let marks = try other.read { transaction throws(ApprovalError) in
                try ["nested-undone", "undone-inside", "nested-kept", "kept-inside", "last"].map { name throws(ApprovalError) in
                    try transaction.metadata("body.\(name)")
                }
            }
            #expect(marks == [nil, "written", "written", "written", "written"])
            #expect(try ApprovalService.verifyAuditChain(store: other).ok)
        }
    }

    /// Durable transfers per second through ApprovalService with 1, 8 and 32 threads, each transaction committing
    /// alone (group size 1, as before group commit) and with group commit, side by side. Prints the figures and
    /// asserts none of them (only that every transfer applied and that group size 1 commits each one alone).
    /// Each cell runs for `WALLETBRIDGE_GROUP_COMMIT_BENCH_SECONDS` (0.5 unless set); for figures worth quoting,
    /// run this suite alone so that other tests do not share the server and the cores.
    @Suite("group commit throughput")
    struct GroupCommitThroughput {
        private struct Cell: Sendable {
            let threads: Int
            let transfers: Int
            let commits: Int
            let seconds: Double
            var perSecond: Double { Double(transfers) / seconds }
        }

        /// Runs `threads` threads submitting distinct small credits for `seconds`; counts the transfers that completed.
        private static func measure(_ service: ApprovalService, _ store: PostgresApprovalStore, label: String, threads: Int,
                                    seconds: Double) async -> (Cell, [String]) {
            let commitsBefore = store.commitCount
            let start = Date()
            let deadline = start.addingTimeInterval(seconds)
            let perThread = await onThreads(threads) { thread -> (count: Int, failure: String?) in
                var count = 0
                while Date() < deadline {
                    let request = TransferRequest(orderID: "\(label)-\(threads)-\(thread)-\(count)",
                                                  externalUserID: "u-\(thread)", currency: "USD", amount: "1.00")
                    do {
                        let outcome = try service.submitTransfer(request)
                        guard outcome.order.status == .completed else { return (count, "\(request.orderID): \(outcome.order.status)") }
                    } catch {
                        return (count, "\(request.orderID): \(error)")
                    }
                    count += 1
                }
                return (count, nil)
            }
            let elapsed = Date().timeIntervalSince(start)
            let cell = Cell(threads: threads, transfers: perThread.map { $0.count }.reduce(0, +),
                            commits: store.commitCount - commitsBefore, seconds: elapsed)
            return (cell, perThread.compactMap { $0.failure })
        }

        @Test func durableTransfersPerSecondBeforeAndAfter() async throws {
            let seconds = ProcessInfo.processInfo.environment["WALLETBRIDGE_GROUP_COMMIT_BENCH_SECONDS"].flatMap(Double.init) ?? 0.5
            let threadCounts = [1, 8, 32]
            let clock = ManualClock(Timestamp(secondsSinceEpoch: 1_795_000_000))
            // One database per configuration, on the same server; the stores keep the default 8 connections.
            var setups: [(label: String, store: PostgresApprovalStore, service: ApprovalService)] = []
            var databases: [PostgresTestDatabase] = []
            defer {
                for setup in setups { setup.store.close() }
                for database in databases { database.close() }
            }
            for (label, groupSize) in [("alone", 1), ("grouped", PostgresApprovalStore.defaultMaximumGroupSize)] {
                let database = try await PostgresTestDatabase.make("throughput_\(label)")
                databases.append(database)
                let store = try PostgresApprovalStore(url: database.url, clock: clock, maximumGroupSize: groupSize)
                let service = try PostgresServiceHarness.service(store: store, clock: clock)
                for thread in 0..<threadCounts.max()! {
                    try service.createWallet(externalUserID: "u-\(thread)", currency: "USD", initialBalance: 0)
                }
                // Warm up: statements prepared on a connection or two.
                for index in 0..<20 {
                    _ = try service.submitTransfer(TransferRequest(orderID: "warm-\(index)", externalUserID: "u-0",
                                                                   currency: "USD", amount: "1.00"))
                }
                setups.append((label, store, service))
            }

            var rows: [String] = []
            for threads in threadCounts {
                var cells: [Cell] = []
                for setup in setups {
                    let (cell, failures) = await Self.measure(setup.service, setup.store, label: setup.label, threads: threads,
                                                              seconds: seconds)
                    #expect(failures == [], "\(setup.label), \(threads) threads")
                    cells.append(cell)
                }
                // Group size 1 is the old behaviour: every transfer its own COMMIT.
                #expect(cells[0].commits == cells[0].transfers)
                rows.append(String(format: "%7ld | %10.0f (%5ld in %4.2fs) | %10.0f (%5ld in %4.2fs, %5.1f per COMMIT) | x%.2f",
                                   threads, cells[0].perSecond, cells[0].transfers, cells[0].seconds,
                                   cells[1].perSecond, cells[1].transfers, cells[1].seconds,
                                   Double(cells[1].transfers) / Double(max(1, cells[1].commits)),
                                   cells[1].perSecond / max(cells[0].perSecond, 1)))
            }
            print("""
                Durable transfers/s through ApprovalService on PostgreSQL (fsync=on, \(seconds)s per cell):
                threads | group size 1 (before)       | group commit, up to \(PostgresApprovalStore.defaultMaximumGroupSize) (after)           | speed-up
                \(rows.joined(separator: "\n"))
                """)
        }
    }
}
