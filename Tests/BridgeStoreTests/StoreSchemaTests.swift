import BridgeApprovals
import BridgeCore
import BridgeStore
import Testing

/// Migrations, connection settings and the audit chain's shape.
@Suite("SQLite store: schema, settings, audit sequence")
struct StoreSchemaTests {
    @Test func migrationsApplyOnceAndReopeningKeepsTheData() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try database.open()
        let recorded = try store.withDatabase { database throws(ApprovalError) in try database.appliedMigrations().map(\.version) }
        #expect(recorded == SQLiteApprovalStore.migrations.map(\.version))
        #expect(recorded == [1, 2, 3, 4, 5, 6, 7])
        try store.transaction { store throws(ApprovalError) in try store.insertWallet(Fixtures.wallet("w-1", balance: 4_200)) }
        store.close()

        let reopened = try database.open()
        let applied = try reopened.withDatabase { database throws(ApprovalError) in
            try database.migrate(SQLiteApprovalStore.migrations.map { SQLiteMigration(version: $0.version, name: $0.name, sql: "SELECT 1") },
                                 now: Fixtures.start)
        }
        #expect(applied.isEmpty)
        #expect(try reopened.withDatabase { database throws(ApprovalError) in
            try database.queryFirst("SELECT count(*) FROM schema_migrations") { row throws(ApprovalError) in try row.int64(0) }
        } == Int64(SQLiteApprovalStore.migrations.count))
        #expect(try reopened.transaction { store throws(ApprovalError) in try store.wallet(id: "w-1")?.balance } == 4_200)
    }

    @Test("SQLite keeps no allocation statistics: each allocation would take a process-wide mutex")
    func sqliteCountsNoAllocations() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try database.open()
        try store.transaction { store throws(ApprovalError) in try store.insertWallet(Fixtures.wallet("w-1")) }
        // With statistics on, the connection, its schema and its statement cache would show here as bytes in use.
        #expect(!SQLiteDatabase.countsAllocations)
        store.close()
    }

    @Test func theDispatchersQueryReadsOnlyUndeliveredRows() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try database.open()
        let plan = try store.withDatabase { database throws(ApprovalError) in
            try database.query("""
                EXPLAIN QUERY PLAN SELECT id FROM outbox
                WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= 0 ORDER BY id LIMIT 100
                """) { row throws(ApprovalError) in try row.string(3) }
        }
        #expect(plan == ["SCAN outbox USING INDEX outbox_undelivered"])
        store.close()
    }

    @Test("Writing an order builds no temporary index, and its status is still checked")
    func orderWritesOpenNoEphemeralTable() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try database.open()
        defer { store.close() }
        try store.withDatabase { database throws(ApprovalError) in
            let columns = "order_id, external_user_id, currency, wallet_id, amount, status, approvals_required, nonce, created_at"
            for sql in ["INSERT INTO orders (\(columns)) VALUES ('o', 'u', 'USD', 'w', '5', 'completed', 0, x'', 0)",
                        "UPDATE orders SET status = 'expired' WHERE order_id = 'o'"] {
                let opcodes = try database.query("EXPLAIN " + sql) { row throws(ApprovalError) in try row.string(1) }
                #expect(opcodes.contains("Insert") || opcodes.contains("IdxInsert"), "\(sql): \(opcodes)")
                #expect(!opcodes.contains("OpenEphemeral"), "\(sql): \(opcodes)")
            }
            try database.execute("INSERT INTO wallets (id, kind, external_user_id, currency, balance, held, created_at) VALUES ('w', 'external', 'u', 'USD', '0', '0', 0)")
            try database.execute("INSERT INTO orders (order_id, external_user_id, currency, wallet_id, amount, status, approvals_required, nonce, created_at) VALUES ('o', 'u', 'USD', 'w', '5', 'completed', 0, x'', 0)")
            #expect(throws: ApprovalError.self) {
                try database.execute("UPDATE orders SET status = 'approved' WHERE order_id = 'o'")
            }
            #expect(throws: ApprovalError.self) {
                try database.execute("INSERT INTO orders (order_id, external_user_id, currency, wallet_id, amount, status, approvals_required, nonce, created_at) VALUES ('p', 'u', 'USD', 'w', '5', 'Completed', 0, x'', 0)")
            }
        }
    }

    @Test func aLaterMigrationAppliesInItsOwnTransaction() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try database.open()
        let known = SQLiteApprovalStore.migrations.map(\.version)
        let nextVersion = known.last! + 1
        let next = SQLiteApprovalStore.migrations + [
            SQLiteMigration(version: nextVersion, name: "notes", sql: "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL) STRICT"),
        ]
        let broken = SQLiteApprovalStore.migrations + [
            SQLiteMigration(version: nextVersion, name: "broken", sql: "CREATE TABLE half (id INTEGER); INSERT INTO nowhere VALUES (1)"),
        ]
        try store.withDatabase { database throws(ApprovalError) in
            // A failing migration leaves neither its tables nor its record.
            #expect(throws: ApprovalError.self) { try database.migrate(broken, now: Fixtures.start) }
            #expect(try database.appliedMigrations().map(\.version) == known)
            #expect(try database.queryFirst("SELECT count(*) FROM sqlite_schema WHERE name = 'half'") { row throws(ApprovalError) in
                try row.int64(0)
            } == 0)
            #expect(try database.migrate(next, now: Fixtures.start) == [nextVersion])
            #expect(try database.migrate(next, now: Fixtures.start).isEmpty)
            #expect(try database.appliedMigrations().map(\.name) == SQLiteApprovalStore.migrations.map(\.name) + ["notes"])
        }
    }

    @Test func aDatabaseNewerThanTheCodeIsRefused() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try database.open()
        try store.withDatabase { database throws(ApprovalError) in
            try database.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'from the future', 0)")
        }
        store.close()
        #expect(storageFailure { _ = try database.open() }?
            .contains("has schema version 99 (from the future), newer than this WalletBridge knows (\(SQLiteApprovalStore.migrations.count))") == true)
    }

    @Test func aMissingFileIsNotCreatedWhenAskedNotTo() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        #expect(storageFailure { _ = try SQLiteApprovalStore(path: database.path, createIfMissing: false) } == "no database at \(database.path)")
    }

    @Test func walFullSynchronousForeignKeysAndABusyTimeoutAreInForce() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try database.open()
        let settings = try store.withDatabase { database throws(ApprovalError) in
            [try database.pragma("journal_mode"), try database.pragma("synchronous"), try database.pragma("foreign_keys"),
             try database.pragma("busy_timeout")]
        }
        // synchronous: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA.
        #expect(settings == [.text("wal"), .integer(2), .integer(1), .integer(5_000)])
        #expect(try store.integrityCheck() == "ok")
    }

    @Test func anAuditSequenceGapIsRefused() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try database.open()
        let chain = Fixtures.auditChain(4)
        #expect(storageFailure {
            try store.transaction { store throws(ApprovalError) in try store.appendAuditEvent(chain[1]) }
        } == "audit event 2 refused: the next sequence is 1")
        try store.transaction { store throws(ApprovalError) in
            try store.appendAuditEvent(chain[0])
            try store.appendAuditEvent(chain[1])
        }
        #expect(storageFailure {
            try store.transaction { store throws(ApprovalError) in try store.appendAuditEvent(chain[3]) }
        } == "audit event 4 refused: the next sequence is 3")
        #expect(storageFailure {
            try store.transaction { store throws(ApprovalError) in try store.appendAuditEvent(chain[1]) }
        } == "audit event 2 refused: the next sequence is 3")
        try store.transaction { store throws(ApprovalError) in
            #expect(try store.lastAuditEvent()?.sequence == 2)
            try store.appendAuditEvent(chain[2])
            try store.appendAuditEvent(chain[3])
            #expect(try store.auditEvents(after: 0, limit: 10).map(\.sequence) == [1, 2, 3, 4])
        }
    }

    @Test func anAuditEventThatForksTheChainIsRefused() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try database.open()
        let chain = Fixtures.auditChain(2)
        let fork = AuditEvent(sequence: 2, time: chain[1].time, actor: chain[1].actor, kind: chain[1].kind,
                              payload: chain[1].payload, previousHash: Array(repeating: 0xFF, count: 32), hash: chain[1].hash)
        try store.transaction { store throws(ApprovalError) in try store.appendAuditEvent(chain[0]) }
        #expect(storageFailure {
            try store.transaction { store throws(ApprovalError) in try store.appendAuditEvent(fork) }
        } == "audit event 2 refused: its previous hash is not the hash of event 1")
        #expect(try store.transaction { store throws(ApprovalError) in try store.lastAuditEvent()?.sequence } == 1)
    }

    /// The store remembers the newest event it chained onto; another process appending, or a rolled-back append,
    /// must not leave it chaining onto a stale head.
    @Test func theLastAuditEventIsAlwaysTheDatabasesNewest() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let first = try database.open()
        let second = try database.open()
        let chain = Fixtures.auditChain(5)
        try first.transaction { store throws(ApprovalError) in
            try store.appendAuditEvent(chain[0])
            try store.appendAuditEvent(chain[1])
        }
        try second.transaction { store throws(ApprovalError) in
            #expect(try store.lastAuditEvent() == chain[1])
            try store.appendAuditEvent(chain[2])
        }
        try first.transaction { store throws(ApprovalError) in
            #expect(try store.lastAuditEvent() == chain[2])
            try store.appendAuditEvent(chain[3])
        }
        #expect(throws: deliberateFailure) {
            try first.transaction { store throws(ApprovalError) in
                try store.appendAuditEvent(chain[4])
                #expect(try store.lastAuditEvent() == chain[4])
                throw deliberateFailure
            }
        }
        try first.transaction { store throws(ApprovalError) in
            #expect(try store.lastAuditEvent() == chain[3])
            try store.appendAuditEvent(chain[4])
        }
        #expect(try second.transaction { store throws(ApprovalError) in try store.lastAuditEvent() } == chain[4])
    }
}
