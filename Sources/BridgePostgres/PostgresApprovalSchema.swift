/// The session manager's schema on PostgreSQL, as migrations: the tables, columns, constraints and indexes of
/// BridgeStore's SQLite schema (its migrations 1 to 6) in PostgreSQL's types.
///
/// - Money is `minor_units`: `NUMERIC(39,0)` limited to the `Int128` range, exact (never floating point), written and
///   read as decimal text through `Int128`. Sums are still computed in Swift, where an overflow is refused the same
///   way as on SQLite.
/// - Times are `BIGINT` milliseconds since the Unix epoch, hashes, nonces, keys and signatures `BYTEA`, JSON canonical
///   `TEXT` (never `jsonb`, which would reorder keys and rewrite numbers, and so break the audit hashes).
/// - Identifiers and URLs use the "C" collation, so `ORDER BY id` orders bytewise, as SQLite does, whatever the
///   database's locale.
/// - Foreign keys are `DEFERRABLE INITIALLY DEFERRED`: checked at COMMIT, so a transaction may write rows in any order.
/// - The CHECKs repeat the service's invariants (an external wallet never negative, holds within the balance), so a
///   bug there fails the transaction instead of storing a wrong balance.
/// - SQLite's implicit `rowid` orders operators and votes by insertion; here an identity column does.
///
/// A released migration is never edited: a change is the next migration, with its SQLite twin in BridgeStore.
enum PostgresApprovalSchema {
    /// `pg_advisory_lock` key held while migrations run, so instances starting together migrate once: the others
    /// wait, then find every migration recorded. ("WBMIGRAT" in ASCII.)
    static let migrationLockKey: Int64 = 0x5742_4D49_4752_4154

    /// `pg_advisory_xact_lock` key every store transaction takes first, so transactions are serialized across every
    /// instance on the database, as the service's read-then-write logic assumes. ("WBTRANSX" in ASCII.)
    static let transactionLockKey: Int64 = 0x5742_5452_414E_5358

    /// The table that records which migrations a database has had (the same name as on SQLite).
    static let migrationsTable = "schema_migrations"

    static let migrations: [PostgresMigration] = [
        PostgresMigration(version: 1, name: "session manager: the SQLite schema's migrations 1 to 6", sql: """
            -- Exact 128-bit money: NUMERIC(39,0) holds every Int128, and the CHECK nothing beyond.
            CREATE DOMAIN minor_units AS NUMERIC(39, 0)
                CHECK (VALUE BETWEEN -170141183460469231731687303715884105728 AND 170141183460469231731687303715884105727);

            CREATE TABLE metadata (
                key TEXT COLLATE "C" PRIMARY KEY,
                value TEXT NOT NULL
            );

            CREATE TABLE wallets (
                id TEXT COLLATE "C" PRIMARY KEY,
                kind TEXT NOT NULL CHECK (kind IN ('external', 'settlement')),
                external_user_id TEXT COLLATE "C" NOT NULL,
                currency TEXT COLLATE "C" NOT NULL,
                balance minor_units NOT NULL,
                held minor_units NOT NULL CONSTRAINT wallets_held_not_negative CHECK (held >= 0),
                created_at BIGINT NOT NULL,
                status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
                closed_at BIGINT,
                CONSTRAINT wallets_external_not_negative CHECK (kind = 'settlement' OR balance >= 0),
                CONSTRAINT wallets_held_within_balance CHECK (kind = 'settlement' OR held <= balance)
            );
            -- Only open wallets are unique per (user, currency): a closed wallet keeps its rows.
            CREATE UNIQUE INDEX wallets_open_by_owner ON wallets (external_user_id, currency) WHERE status = 'open';

            CREATE TABLE operators (
                id TEXT COLLATE "C" PRIMARY KEY,
                name TEXT COLLATE "C" NOT NULL UNIQUE,
                role TEXT NOT NULL CHECK (role IN ('approver', 'admin')),
                -- Lowercase 0x-prefixed hex; lookups lowercase their argument.
                address TEXT COLLATE "C" NOT NULL UNIQUE,
                public_key BYTEA NOT NULL,
                path TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
                enrolled_at BIGINT NOT NULL,
                revoked_at BIGINT,
                -- Insertion order (SQLite's rowid): operators enrolled in the same millisecond list as enrolled.
                enrolment_order BIGINT GENERATED ALWAYS AS IDENTITY
            );

            CREATE TABLE orders (
                order_id TEXT COLLATE "C" PRIMARY KEY,
                external_user_id TEXT COLLATE "C" NOT NULL,
                currency TEXT COLLATE "C" NOT NULL,
                wallet_id TEXT COLLATE "C" NOT NULL REFERENCES wallets (id) DEFERRABLE INITIALLY DEFERRED,
                amount minor_units NOT NULL CHECK (amount <> 0),
                status TEXT NOT NULL CHECK (status IN ('pending_approval', 'completed', 'rejected', 'expired')),
                policy_name TEXT,
                approvals_required INTEGER NOT NULL CHECK (approvals_required >= 0),
                -- {"operators":[...],"roles":[...]}, arrays sorted; NULL when nobody needs to approve.
                eligible_approvers TEXT,
                nonce BYTEA NOT NULL,
                created_at BIGINT NOT NULL,
                expires_at BIGINT,
                decided_at BIGINT,
                balance_after minor_units,
                reason TEXT,
                initiator_operator_id TEXT COLLATE "C",
                -- NULL for orders decided before policy versions existed.
                policy_version INTEGER
            );
            -- The expiry sweep and the pending list, oldest first; partial, so an order applied at once (most of them)
            -- never enters them.
            CREATE INDEX orders_pending_by_expiry ON orders (expires_at) WHERE status = 'pending_approval';
            CREATE INDEX orders_pending_by_age ON orders (created_at) WHERE status = 'pending_approval';
            -- Velocity limits: a user's orders (in a currency) since a time.
            CREATE INDEX orders_by_user ON orders (external_user_id, currency, created_at);
            CREATE INDEX orders_pending_by_wallet ON orders (wallet_id) WHERE status = 'pending_approval';

            CREATE TABLE approvals (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                order_id TEXT COLLATE "C" NOT NULL REFERENCES orders (order_id) DEFERRABLE INITIALLY DEFERRED,
                operator_id TEXT COLLATE "C" NOT NULL REFERENCES operators (id) DEFERRABLE INITIALLY DEFERRED,
                decision TEXT NOT NULL CHECK (decision IN ('approve', 'reject')),
                signature BYTEA NOT NULL UNIQUE,
                created_at BIGINT NOT NULL,
                reason TEXT,
                UNIQUE (order_id, operator_id)
            );

            CREATE TABLE invites (
                code_hash BYTEA PRIMARY KEY,
                role TEXT NOT NULL CHECK (role IN ('approver', 'admin')),
                created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                used_at BIGINT,
                used_by_operator_id TEXT COLLATE "C" REFERENCES operators (id) DEFERRABLE INITIALLY DEFERRED
            );

            CREATE TABLE login_challenges (
                nonce BYTEA PRIMARY KEY,
                operator_id TEXT COLLATE "C" NOT NULL REFERENCES operators (id) DEFERRABLE INITIALLY DEFERRED,
                issued_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                used_at BIGINT
            );
            CREATE INDEX login_challenges_by_expiry ON login_challenges (expires_at);
            CREATE INDEX login_challenges_by_operator ON login_challenges (operator_id, issued_at) WHERE used_at IS NULL;

            CREATE TABLE sessions (
                token_hash BYTEA PRIMARY KEY,
                operator_id TEXT COLLATE "C" NOT NULL REFERENCES operators (id) DEFERRABLE INITIALLY DEFERRED,
                created_at BIGINT NOT NULL,
                expires_at BIGINT NOT NULL,
                last_used_at BIGINT NOT NULL,
                bound_ip TEXT,
                revoked_at BIGINT
            );
            CREATE INDEX sessions_by_expiry ON sessions (expires_at);

            -- The audit chain (CONTRACT: `walletbridge audit verify` reads this table).
            -- hash = SHA-256(previous_hash || canonical JSON of {sequence, time, actor, kind, payload}).
            CREATE TABLE audit_events (
                sequence BIGINT PRIMARY KEY CHECK (sequence >= 1),
                time BIGINT NOT NULL,
                actor TEXT NOT NULL,
                kind TEXT NOT NULL,
                payload TEXT NOT NULL,
                previous_hash BYTEA NOT NULL CHECK (length(previous_hash) = 32),
                hash BYTEA NOT NULL CHECK (length(hash) = 32)
            );

            -- Webhooks waiting to be fanned out into deliveries. Rows are marked delivered or failed, never deleted.
            CREATE TABLE outbox (
                id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
                event TEXT NOT NULL,
                body TEXT NOT NULL,
                created_at BIGINT NOT NULL,
                next_attempt_at BIGINT NOT NULL,
                attempts INTEGER NOT NULL CHECK (attempts >= 0),
                delivered_at BIGINT,
                failed_at BIGINT
            );
            -- The undelivered rows in id order, the dispatcher's question.
            CREATE INDEX outbox_undelivered ON outbox (id) WHERE delivered_at IS NULL AND failed_at IS NULL;

            -- Policy governance: versions in the database, admins' device-signed approvals.
            CREATE TABLE policy_versions (
                version INTEGER PRIMARY KEY CHECK (version >= 1),
                -- The policy set's canonical JSON text, exactly as proposed; hash = keccak256 of its UTF-8 bytes.
                policy TEXT NOT NULL,
                hash BYTEA NOT NULL CHECK (length(hash) = 32),
                status TEXT NOT NULL CHECK (status IN ('proposed', 'effective', 'superseded', 'expired')),
                -- NULL for the version seeded from the configuration.
                proposed_by TEXT COLLATE "C" REFERENCES operators (id) DEFERRABLE INITIALLY DEFERRED,
                note TEXT,
                created_at BIGINT NOT NULL,
                expires_at BIGINT,
                nonce BYTEA NOT NULL CHECK (length(nonce) = 32),
                effective_at BIGINT
            );
            -- At most one version in force, and every transfer finds it through this index.
            CREATE UNIQUE INDEX policy_versions_effective ON policy_versions (status) WHERE status = 'effective';

            CREATE TABLE policy_approvals (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                version INTEGER NOT NULL REFERENCES policy_versions (version) DEFERRABLE INITIALLY DEFERRED,
                operator_id TEXT COLLATE "C" NOT NULL REFERENCES operators (id) DEFERRABLE INITIALLY DEFERRED,
                signature BYTEA NOT NULL UNIQUE,
                created_at BIGINT NOT NULL,
                UNIQUE (version, operator_id)
            );

            -- A transfer refused for a business reason keeps that answer under its order id (CONTRACT 4).
            CREATE TABLE order_refusals (
                order_id TEXT COLLATE "C" PRIMARY KEY,
                external_user_id TEXT NOT NULL,
                currency TEXT NOT NULL,
                -- The amount's value in canonical decimal form (DecimalLiteral), or the request's text when not a number.
                amount TEXT NOT NULL,
                status INTEGER NOT NULL CHECK (status BETWEEN 400 AND 499),
                type TEXT NOT NULL,
                message TEXT NOT NULL,
                created_at BIGINT NOT NULL
            );

            -- Webhooks per receiver (CONTRACT 2.4): one delivery per outbox message and configured URL.
            CREATE TABLE webhook_deliveries (
                outbox_id BIGINT NOT NULL REFERENCES outbox (id) DEFERRABLE INITIALLY DEFERRED,
                url TEXT COLLATE "C" NOT NULL,
                attempts INTEGER NOT NULL CHECK (attempts >= 0),
                next_attempt_at BIGINT NOT NULL,
                delivered_at BIGINT,
                failed_at BIGINT,
                last_error TEXT,
                PRIMARY KEY (outbox_id, url)
            );
            CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
                WHERE delivered_at IS NULL AND failed_at IS NULL;
            """),
    ]
}
