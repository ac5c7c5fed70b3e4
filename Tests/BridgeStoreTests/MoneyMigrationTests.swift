import BridgeApprovals
import BridgeCore
import BridgeStore
import Testing

/// Migration 3 moves a database written by the Int64 schema (migrations 1-2) to exact 128-bit decimal text, keeping
/// every amount, every row and every reference.
@Suite("SQLite store: the 128-bit money migration")
struct MoneyMigrationTests {
    /// A database as the previous release left it: migrations 1 and 2 only, with wallets, orders and an approval
    /// written as that schema wrote them (INTEGER money).
    func previousReleaseDatabase() throws -> TemporaryDatabase {
        let temporary = try TemporaryDatabase()
        let database = try SQLiteDatabase(path: temporary.path)
        let previous = Array(SQLiteApprovalStore.migrations.prefix(2))
        #expect(try database.migrate(previous, now: Fixtures.start) == [1, 2])
        try database.transaction { () throws(ApprovalError) in
            try database.execute("""
                INSERT INTO wallets VALUES ('crm:USD', 'settlement', '', 'USD', -9223372036854775000, 0, 1);
                INSERT INTO wallets VALUES ('w00000001', 'external', 'alice', 'USD', 9223372036854775000, 250, 1);
                INSERT INTO wallets VALUES ('w00000002', 'external', 'bob', 'USD', 0, 0, 1);
                INSERT INTO operators VALUES ('op-1', 'ann', 'approver', '0x01', x'02', 'm/0', 'active', 1, NULL);
                INSERT INTO orders VALUES ('o-1', 'alice', 'USD', 'w00000001', -250, 'pending_approval', 'big', 2, NULL,
                                           x'00', 5, 10, NULL, NULL, NULL, NULL);
                INSERT INTO orders VALUES ('o-2', 'alice', 'USD', 'w00000001', 9223372036854775000, 'completed', NULL, 0,
                                           NULL, x'', 4, NULL, 4, 9223372036854775000, NULL, NULL);
                INSERT INTO approvals (order_id, operator_id, decision, signature, created_at) VALUES
                    ('o-1', 'op-1', 'approve', x'AA', 6);
                """)
        }
        database.close()
        return temporary
    }

    @Test func amountsBalancesAndReferencesSurviveTheMigration() throws {
        let temporary = try previousReleaseDatabase()
        defer { temporary.remove() }
        let store = try temporary.open()
        defer { store.close() }
        let versions = try store.withDatabase { database throws(ApprovalError) in
            try database.appliedMigrations().map(\.version)
        }
        #expect(versions == SQLiteApprovalStore.migrations.map(\.version))

        let (alice, settlement, pending, completed, approvals) = try store.read { transaction throws(ApprovalError) in
            (try transaction.wallet(id: "w00000001"), try transaction.wallet(id: "crm:USD"),
             try transaction.order(id: "o-1"), try transaction.order(id: "o-2"), try transaction.approvals(orderID: "o-1"))
        }
        #expect(alice?.balance == 9_223_372_036_854_775_000)
        #expect(alice?.held == 250)
        #expect(alice?.status == .open)
        #expect(settlement?.balance == -9_223_372_036_854_775_000)
        #expect(pending?.amount == -250)
        #expect(completed?.balanceAfter == 9_223_372_036_854_775_000)
        #expect(approvals.map(\.operatorID) == ["op-1"])
        #expect(try store.withDatabase { database throws(ApprovalError) in
            try database.query("PRAGMA foreign_key_check") { row throws(ApprovalError) in try row.string(0) }
        }.isEmpty)
        // Stored as canonical decimal text now, and past Int64: a balance of 10^30 round-trips exactly.
        let big = try store.transaction { transaction throws(ApprovalError) -> Int128? in
            guard var bob = try transaction.wallet(id: "w00000002") else { return nil }
            bob.balance = 1_000_000_000_000_000_000_000_000_000_000
            try transaction.updateWallet(bob)
            return try transaction.wallet(externalUserID: "bob", currency: "USD")?.balance
        }
        #expect(big == 1_000_000_000_000_000_000_000_000_000_000)
        #expect(try store.withDatabase { database throws(ApprovalError) in
            try database.queryFirst("SELECT typeof(balance) || ':' || balance FROM wallets WHERE id = 'w00000002'") {
                row throws(ApprovalError) in try row.string(0)
            }
        } == "text:1000000000000000000000000000000")
    }

    @Test func theSchemaRefusesNonCanonicalMoneyText() throws {
        let temporary = try TemporaryDatabase()
        defer { temporary.remove() }
        let store = try temporary.open()
        defer { store.close() }
        for bad in ["007", "1.5", "+1", "1e3", "", "-0", "12a"] {
            #expect(storageFailure {
                try store.withDatabase { database throws(ApprovalError) in
                    _ = try database.run("INSERT INTO wallets (id, kind, external_user_id, currency, balance, held, created_at) "
                        + "VALUES ('w-bad', 'settlement', '', 'X', ?, '0', 1)", [.text(bad)])
                }
            }?.contains("CHECK constraint failed") == true, "\"\(bad)\"")
        }
    }
}
