import BridgeApprovals
import BridgeCore
@testable import BridgePostgres
import BridgeStore
import Foundation
import Testing

extension PostgresTests {
    /// The schema: SQLite's tables, columns and indexes in PostgreSQL, versioned, applied once even when several
    /// instances start together, and refused when written by a newer WalletBridge.
    @Suite("schema and migrations")
    struct MigrationTests {
        @Test func aNewDatabaseGetsEveryMigrationOnceAndAReopenAppliesNothing() async throws {
            let database = try await PostgresTestDatabase.make()
            defer { database.close() }
            let store = try database.open()
            let applied = try store.appliedMigrations()
            #expect(applied.map(\.version) == PostgresApprovalStore.migrations.map(\.version))
            #expect(applied.map(\.name) == PostgresApprovalStore.migrations.map(\.name))
            store.close()
            let again = try database.open()
            #expect(try again.appliedMigrations().count == PostgresApprovalStore.migrations.count)
            let connection = try database.connection()
            defer { connection.close() }
            #expect(try connection.query("SELECT count(*) FROM schema_migrations").rows == [[String(PostgresApprovalStore.migrations.count)]])
        }

        /// Every table, column and named index of the SQLite schema exists in PostgreSQL (plus the identity column
        /// that stands in for SQLite's rowid), so the two stores keep the same data.
        @Test func theTablesColumnsAndIndexesAreSQLites() async throws {
            let database = try await PostgresTestDatabase.make()
            defer { database.close() }
            _ = try database.open()
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wb-pg-schema-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let sqlite = try SQLiteApprovalStore(path: directory + "/schema.sqlite", clock: ManualClock(), checkpointInterval: nil)
            defer { sqlite.close() }
            let sqliteTables = try sqlite.withDatabase { database throws(ApprovalError) -> [String: [String]] in
                let names = try database.query(
                    "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
                ) { row throws(ApprovalError) in try row.string(0) }
                var tables: [String: [String]] = [:]
                for name in names {
                    tables[name] = try database.query("PRAGMA table_info(\(name))") { row throws(ApprovalError) in try row.string(1) }.sorted()
                }
                return tables
            }
            let sqliteIndexes = try sqlite.withDatabase { database throws(ApprovalError) -> Set<String> in
                Set(try database.query(
                    "SELECT name FROM sqlite_schema WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex%'"
                ) { row throws(ApprovalError) in try row.string(0) })
            }
            let connection = try database.connection()
            defer { connection.close() }
            let columns = try connection.query("""
                SELECT table_name, column_name FROM information_schema.columns
                WHERE table_schema = current_schema() ORDER BY table_name, column_name
                """).rows
            var postgresTables: [String: [String]] = [:]
            for row in columns {
                guard let table = row[0], let column = row[1], column != "enrolment_order" else { continue }
                postgresTables[table, default: []].append(column)
            }
            #expect(postgresTables.mapValues { $0.sorted() } == sqliteTables)
            let indexes = Set(try connection.query("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")
                .rows.compactMap { $0[0] })
            #expect(sqliteIndexes.isSubset(of: indexes), "missing: \(sqliteIndexes.subtracting(indexes).sorted())")
        }

        /// Six instances start at once on an empty database: the advisory lock lets one migrate while the others wait,
        /// then they find the migrations recorded. Without it, they would collide creating the same tables.
        @Test func instancesStartingTogetherMigrateOnce() async throws {
            let database = try await PostgresTestDatabase.make()
            defer { database.close() }
            let outcomes = await onThreads(6) { _ -> String? in
                do {
                    let store = try database.open(connections: 1)
                    return try store.appliedMigrations().count == PostgresApprovalStore.migrations.count ? nil : "migrations missing"
                } catch {
                    return "\(error)"
                }
            }
            #expect(outcomes.count == 6)
            #expect(outcomes.compactMap { $0 } == [])
            let connection = try database.connection()
            defer { connection.close() }
            #expect(try connection.query("SELECT version FROM schema_migrations ORDER BY version").rows
                == PostgresApprovalStore.migrations.map { [String($0.version)] })
            #expect(try connection.query("SELECT count(*) FROM pg_tables WHERE tablename = 'wallets'").rows == [["1"]])
        }

        @Test func aDatabaseWrittenByANewerWalletBridgeIsRefusedUntouched() async throws {
            let database = try await PostgresTestDatabase.make()
            defer { database.close() }
            let store = try database.open()
            try store.transaction { store throws(ApprovalError) in try store.insertWallet(Fixtures.wallet("w-1")) }
            store.close()
            let connection = try database.connection()
            defer { connection.close() }
            try connection.execute("INSERT INTO schema_migrations VALUES (99, 'from the future', 0)")
            let message = storageFailure { _ = try database.open() }
            #expect(message?.contains("has schema version 99 (from the future), newer than this WalletBridge knows") == true,
                    "\(message ?? "opened")")
            #expect(message?.contains(database.url) == true)
            try connection.execute("DELETE FROM schema_migrations WHERE version = 99; UPDATE schema_migrations SET name = 'renamed'")
            #expect(storageFailure { _ = try database.open() }?.contains("records migration 1 as \"renamed\"") == true)
            #expect(try connection.query("SELECT id FROM wallets").rows == [["w-1"]])
        }

        /// `admin` and `audit verify` open with createIfMissing false: an empty (or foreign) database is refused, not
        /// given the tables, so a typo in the URL cannot create a second, empty set of books.
        @Test func withoutCreateIfMissingAnEmptyDatabaseIsRefused() async throws {
            let database = try await PostgresTestDatabase.make()
            defer { database.close() }
            let message = storageFailure { _ = try PostgresApprovalStore(url: database.url, createIfMissing: false) }
            #expect(message?.contains("holds no WalletBridge tables") == true, "\(message ?? "opened")")
            let connection = try database.connection()
            defer { connection.close() }
            #expect(try connection.query("SELECT to_regclass('schema_migrations') IS NULL").rows == [["t"]])
            _ = try database.open()
            let existing = try PostgresApprovalStore(url: database.url, createIfMissing: false)
            existing.close()
        }

        /// A database nobody can reach is unavailable (503), named without the password.
        @Test func anUnreachableDatabaseIsUnavailable() throws {
            let error = approvalError {
                _ = try PostgresApprovalStore(url: "postgresql://walletbridge:hunter2-secret@127.0.0.1:1/books?connect_timeout=2")
            }
            guard case .unavailable(let why)? = error else {
                Issue.record("expected the database to be unavailable, got \(String(describing: error))")
                return
            }
            #expect(why.hasPrefix("postgresql://walletbridge@127.0.0.1:1/books: "), "\(why)")
            #expect(!why.contains("hunter2"))
            #expect(!(error?.message.contains("hunter2") ?? true))
        }
    }
}
