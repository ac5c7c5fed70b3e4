import BridgeApprovals

/// One step of the PostgreSQL schema's history. A released migration is never edited: a change is the next one.
public struct PostgresMigration: Sendable {
    /// 1, 2, 3, ... without gaps.
    public let version: Int64
    /// What it does, recorded with it.
    public let name: String
    /// One or more statements, run in the migration's own transaction (PostgreSQL's DDL is transactional).
    public let sql: String

    public init(version: Int64, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }
}

/// Applies migrations to a database that several instances may open at once.
///
/// The whole run holds `pg_advisory_lock(migrationLockKey)` (a session lock), so instances starting together take
/// turns: the first applies what is missing, the others then find it recorded and apply nothing. Each migration runs
/// in one transaction together with its record in `schema_migrations`, after `pg_advisory_xact_lock` on the store's
/// transaction key, so a running instance's transactions never interleave with a schema change.
enum PostgresMigrator {
    /// Applies the `migrations` the database has not had yet and returns the versions applied. A database that
    /// records a version this code does not know (written by a newer WalletBridge), or another name for a known
    /// version, is refused untouched. With `createIfMissing` false, a database without `schema_migrations` (an empty
    /// or foreign database: a typo in the URL) is refused instead of being given the schema.
    static func migrate(_ connection: PostgresConnection, _ migrations: [PostgresMigration], now: Timestamp,
                        createIfMissing: Bool) throws(ApprovalError) -> [Int64] {
        for (index, migration) in migrations.enumerated() where migration.version != Int64(index + 1) {
            throw .storage("migration \(migration.name) has version \(migration.version), expected \(index + 1)")
        }
        let database = connection.databaseName
        try run(connection, "SELECT pg_advisory_lock(\(PostgresApprovalSchema.migrationLockKey))")
        // A session lock: released here, or by the server when the session ends (a broken connection).
        defer { _ = try? connection.execute("SELECT pg_advisory_unlock(\(PostgresApprovalSchema.migrationLockKey))") }
        if !createIfMissing, try !hasMigrationsTable(connection) {
            throw .storage("""
                \(database) holds no WalletBridge tables (no \(PostgresApprovalSchema.migrationsTable)); start the \
                service once (`walletbridge serve`) so it creates them, or check the URL
                """)
        }
        var applied: [Int64] = []
        for migration in migrations {
            try run(connection, """
                BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock(\(PostgresApprovalSchema.transactionLockKey))
                """)
            do throws(ApprovalError) {
                try run(connection, """
                    CREATE TABLE IF NOT EXISTS \(PostgresApprovalSchema.migrationsTable) (
                        version BIGINT PRIMARY KEY,
                        name TEXT NOT NULL,
                        applied_at BIGINT NOT NULL
                    )
                    """)
                let recorded = try appliedMigrations(connection)
                try check(recorded, against: migrations, database: database)
                if !recorded.contains(where: { $0.version == migration.version }) {
                    try run(connection, migration.sql, describedAs: "migration \(migration.version) (\(migration.name))")
                    do throws(PostgresError) {
                        _ = try connection.query(
                            "INSERT INTO \(PostgresApprovalSchema.migrationsTable) (version, name, applied_at) VALUES ($1, $2, $3)",
                            [String(migration.version), migration.name, String(now.millisecondsSinceEpoch)])
                    } catch {
                        throw .postgres(error, sql: "INSERT INTO \(PostgresApprovalSchema.migrationsTable)", database: database)
                    }
                    applied.append(migration.version)
                }
                try run(connection, "COMMIT")
            } catch {
                _ = try? connection.execute("ROLLBACK")
                throw error
            }
        }
        return applied
    }

    /// The migrations recorded in the database, oldest first (none for a database without the table).
    static func appliedMigrations(_ connection: PostgresConnection) throws(ApprovalError) -> [(version: Int64, name: String)] {
        guard try hasMigrationsTable(connection) else { return [] }
        let sql = "SELECT version, name FROM \(PostgresApprovalSchema.migrationsTable) ORDER BY version"
        let result: PostgresResult
        do {
            result = try connection.query(sql)
        } catch {
            throw .postgres(error, sql: sql, database: connection.databaseName)
        }
        var recorded: [(version: Int64, name: String)] = []
        for values in result.rows {
            let row = PostgresRow(values: values, sql: sql)
            recorded.append((try row.int64(0), try row.string(1)))
        }
        return recorded
    }

    private static func hasMigrationsTable(_ connection: PostgresConnection) throws(ApprovalError) -> Bool {
        // to_regclass follows the search path, as the unqualified table names of every statement do.
        let sql = "SELECT to_regclass($1) IS NOT NULL"
        do {
            return try connection.query(sql, [PostgresApprovalSchema.migrationsTable]).rows.first?.first == "t"
        } catch {
            throw .postgres(error, sql: sql, database: connection.databaseName)
        }
    }

    /// Runs `sql`; a failure quotes `describedAs` instead of the SQL when given (a migration's whole text is long).
    private static func run(_ connection: PostgresConnection, _ sql: String, describedAs: String? = nil) throws(ApprovalError) {
        do {
            try connection.execute(sql)
        } catch {
            throw .postgres(error, sql: describedAs ?? sql, database: connection.databaseName)
        }
    }

    private static func check(
        _ recorded: [(version: Int64, name: String)], against migrations: [PostgresMigration], database: String
    ) throws(ApprovalError) {
        for entry in recorded {
            guard let known = migrations.first(where: { $0.version == entry.version }) else {
                throw .storage("""
                    \(database) has schema version \(entry.version) (\(entry.name)), newer than this WalletBridge knows \
                    (\(migrations.count)); run a WalletBridge at least as new as the one that wrote it
                    """)
            }
            guard known.name == entry.name else {
                throw .storage("\(database) records migration \(entry.version) as \"\(entry.name)\", expected \"\(known.name)\"")
            }
        }
    }
}
