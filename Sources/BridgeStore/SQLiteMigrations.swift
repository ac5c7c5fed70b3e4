import BridgeApprovals

/// One step of a schema's history. A released migration is never edited: a change is the next migration.
public struct SQLiteMigration: Sendable {
    /// 1, 2, 3, ... without gaps.
    public let version: Int64
    /// What it does, recorded with it.
    public let name: String
    /// One or more statements, run in the migration's own transaction.
    public let sql: String
    /// True for a migration that rebuilds tables (SQLite cannot change a column's type in place): foreign keys are
    /// off while it runs, as SQLite's documented table-rebuild procedure needs, and `PRAGMA foreign_key_check` must
    /// find nothing before it commits.
    public let rebuildsTables: Bool

    public init(version: Int64, name: String, rebuildsTables: Bool = false, sql: String) {
        self.version = version
        self.name = name
        self.rebuildsTables = rebuildsTables
        self.sql = sql
    }
}

extension SQLiteDatabase {
    /// The table that records which migrations a database has had.
    static let migrationsTable = "schema_migrations"

    /// Applies the `migrations` the database has not had yet, in order, each in one transaction together with its
    /// record in `schema_migrations`, and returns the versions applied. A database that records a version this code
    /// does not know (written by a newer WalletBridge), or a different name for a known version, is refused
    /// untouched: running old code on it could corrupt what the newer schema means.
    @discardableResult
    public func migrate(_ migrations: [SQLiteMigration], now: Timestamp) throws(ApprovalError) -> [Int64] {
        for (index, migration) in migrations.enumerated() where migration.version != Int64(index + 1) {
            throw .storage("migration \(migration.name) has version \(migration.version), expected \(index + 1)")
        }
        var applied: [Int64] = []
        for migration in migrations {
            // PRAGMA foreign_keys is a no-op inside a transaction: it is switched around the migration's own.
            if migration.rebuildsTables { try execute("PRAGMA foreign_keys=OFF") }
            defer { if migration.rebuildsTables { try? execute("PRAGMA foreign_keys=ON") } }
            let didApply = try transaction { () throws(ApprovalError) -> Bool in
                try execute("""
                    CREATE TABLE IF NOT EXISTS \(Self.migrationsTable) (
                        version INTEGER PRIMARY KEY,
                        name TEXT NOT NULL,
                        applied_at INTEGER NOT NULL
                    ) STRICT
                    """)
                let recorded = try appliedMigrations()
                try Self.check(recorded, against: migrations, path: path)
                guard !recorded.contains(where: { $0.version == migration.version }) else { return false }
                try execute(migration.sql)
                if migration.rebuildsTables {
                    let broken = try query("PRAGMA foreign_key_check") { row throws(ApprovalError) in try row.string(0) }
                    guard broken.isEmpty else {
                        throw .storage("migration \(migration.version) left rows without their parent in \(broken)")
                    }
                }
                try run(
                    "INSERT INTO \(Self.migrationsTable) (version, name, applied_at) VALUES (?, ?, ?)",
                    [.integer(migration.version), .text(migration.name), .integer(now.millisecondsSinceEpoch)]
                )
                return true
            }
            if didApply { applied.append(migration.version) }
        }
        return applied
    }

    /// The migrations recorded in the database, oldest first (none for a new file).
    public func appliedMigrations() throws(ApprovalError) -> [(version: Int64, name: String)] {
        let exists = try queryFirst(
            "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?", [.text(Self.migrationsTable)]
        ) { _ in true } ?? false
        guard exists else { return [] }
        return try query("SELECT version, name FROM \(Self.migrationsTable) ORDER BY version") { row throws(ApprovalError) in
            (version: try row.int64(0), name: try row.string(1))
        }
    }

    private static func check(
        _ recorded: [(version: Int64, name: String)], against migrations: [SQLiteMigration], path: String
    ) throws(ApprovalError) {
        for entry in recorded {
            guard let known = migrations.first(where: { $0.version == entry.version }) else {
                throw .storage("""
                    \(path) has schema version \(entry.version) (\(entry.name)), newer than this WalletBridge knows \
                    (\(migrations.count)); run a WalletBridge at least as new as the one that wrote it
                    """)
            }
            guard known.name == entry.name else {
                throw .storage("\(path) records migration \(entry.version) as \"\(entry.name)\", expected \"\(known.name)\"")
            }
        }
    }
}
