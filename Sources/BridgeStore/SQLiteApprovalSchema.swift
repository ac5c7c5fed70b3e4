/// The session manager's schema, as migrations. Tables are STRICT, so a value of the wrong type is refused on write;
/// CHECK constraints repeat the invariants the service keeps (an external wallet never negative, holds within the
/// balance), so a bug there fails a transaction instead of storing a wrong balance.
///
/// Times are integer milliseconds since the Unix epoch, money integer minor units, hashes and nonces blobs, JSON
/// canonical text (sorted keys, compact). Foreign keys are checked at COMMIT, so a transaction may write rows in any
/// order.
enum SQLiteApprovalSchema {
    static let migrations: [SQLiteMigration] = [
        SQLiteMigration(version: 1, name: "session manager: wallets, orders, approvals, operators, audit chain, outbox", sql: """
            CREATE TABLE metadata (
                key TEXT PRIMARY KEY,
                value TEXT NOT NULL
            ) STRICT;

            CREATE TABLE wallets (
                id TEXT PRIMARY KEY,
                kind TEXT NOT NULL CHECK (kind IN ('external', 'settlement')),
                external_user_id TEXT NOT NULL,
                currency TEXT NOT NULL,
                balance INTEGER NOT NULL,
                held INTEGER NOT NULL CHECK (held >= 0),
                created_at INTEGER NOT NULL,
                UNIQUE (external_user_id, currency),
                CHECK (kind = 'settlement' OR (balance >= 0 AND held <= balance))
            ) STRICT;

            CREATE TABLE operators (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                role TEXT NOT NULL CHECK (role IN ('approver', 'admin')),
                -- Lowercase 0x-prefixed hex; lookups lowercase their argument.
                address TEXT NOT NULL UNIQUE,
                public_key BLOB NOT NULL,
                path TEXT NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
                enrolled_at INTEGER NOT NULL,
                revoked_at INTEGER
            ) STRICT;

            CREATE TABLE orders (
                order_id TEXT PRIMARY KEY,
                external_user_id TEXT NOT NULL,
                currency TEXT NOT NULL,
                wallet_id TEXT NOT NULL REFERENCES wallets (id) DEFERRABLE INITIALLY DEFERRED,
                amount INTEGER NOT NULL,
                status TEXT NOT NULL CHECK (status IN ('pending_approval', 'completed', 'rejected', 'expired')),
                policy_name TEXT,
                approvals_required INTEGER NOT NULL CHECK (approvals_required >= 0),
                -- {"operators":[...],"roles":[...]}, arrays sorted; NULL when nobody needs to approve.
                eligible_approvers TEXT,
                nonce BLOB NOT NULL,
                created_at INTEGER NOT NULL,
                expires_at INTEGER,
                decided_at INTEGER,
                balance_after INTEGER,
                reason TEXT,
                initiator_operator_id TEXT
            ) STRICT, WITHOUT ROWID;
            -- The expiry sweep and the pending list, oldest first. Partial: an order applied at once (most of them)
            -- never enters these, so its transaction writes fewer pages.
            CREATE INDEX orders_pending_by_expiry ON orders (expires_at) WHERE status = 'pending_approval';
            CREATE INDEX orders_pending_by_age ON orders (created_at) WHERE status = 'pending_approval';
            -- Velocity limits: a user's orders (in a currency) since a time.
            CREATE INDEX orders_by_user ON orders (external_user_id, currency, created_at);

            CREATE TABLE approvals (
                id INTEGER PRIMARY KEY,
                order_id TEXT NOT NULL REFERENCES orders (order_id) DEFERRABLE INITIALLY DEFERRED,
                operator_id TEXT NOT NULL REFERENCES operators (id) DEFERRABLE INITIALLY DEFERRED,
                decision TEXT NOT NULL CHECK (decision IN ('approve', 'reject')),
                signature BLOB NOT NULL UNIQUE,
                created_at INTEGER NOT NULL,
                reason TEXT,
                UNIQUE (order_id, operator_id)
            ) STRICT;

            CREATE TABLE invites (
                code_hash BLOB PRIMARY KEY,
                role TEXT NOT NULL CHECK (role IN ('approver', 'admin')),
                created_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL,
                used_at INTEGER,
                used_by_operator_id TEXT REFERENCES operators (id) DEFERRABLE INITIALLY DEFERRED
            ) STRICT;

            CREATE TABLE login_challenges (
                nonce BLOB PRIMARY KEY,
                operator_id TEXT NOT NULL REFERENCES operators (id) DEFERRABLE INITIALLY DEFERRED,
                issued_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL,
                used_at INTEGER
            ) STRICT;

            CREATE TABLE sessions (
                token_hash BLOB PRIMARY KEY,
                operator_id TEXT NOT NULL REFERENCES operators (id) DEFERRABLE INITIALLY DEFERRED,
                created_at INTEGER NOT NULL,
                expires_at INTEGER NOT NULL,
                last_used_at INTEGER NOT NULL,
                bound_ip TEXT,
                revoked_at INTEGER
            ) STRICT;

            -- The audit chain (CONTRACT: `walletbridge audit verify` reads this table).
            -- hash = SHA-256(previous_hash || canonical JSON of {sequence, time, actor, kind, payload}).
            CREATE TABLE audit_events (
                sequence INTEGER PRIMARY KEY CHECK (sequence >= 1),
                time INTEGER NOT NULL,
                actor TEXT NOT NULL,
                kind TEXT NOT NULL,
                payload TEXT NOT NULL,
                previous_hash BLOB NOT NULL CHECK (length(previous_hash) = 32),
                hash BLOB NOT NULL CHECK (length(hash) = 32)
            ) STRICT;

            -- Webhooks waiting for delivery. Rows are marked delivered or failed, never deleted, so ids are never
            -- reused without AUTOINCREMENT (which would write sqlite_sequence in every transaction).
            CREATE TABLE outbox (
                id INTEGER PRIMARY KEY,
                event TEXT NOT NULL,
                body TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                next_attempt_at INTEGER NOT NULL,
                attempts INTEGER NOT NULL CHECK (attempts >= 0),
                delivered_at INTEGER,
                failed_at INTEGER
            ) STRICT;
            CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE delivered_at IS NULL AND failed_at IS NULL;
            """),
        // The dispatcher asks for the oldest undelivered messages (ORDER BY id). outbox_due cannot give that order, so
        // SQLite scanned the whole table, every delivered row included, on every pass: this index holds only the
        // undelivered rows, in id order.
        SQLiteMigration(version: 2, name: "outbox: undelivered messages in id order", sql: """
            CREATE INDEX outbox_undelivered ON outbox (id) WHERE delivered_at IS NULL AND failed_at IS NULL;
            DROP INDEX outbox_due;
            """),
        // Policy governance: the policy is versioned in the database (the configuration's `policies` become version
        // 1), admins approve a new version with device signatures, and each order records the version that decided it.
        SQLiteMigration(version: 3, name: "policy governance: policy versions, their approvals, orders' policy version", sql: """
            CREATE TABLE policy_versions (
                version INTEGER PRIMARY KEY CHECK (version >= 1),
                -- The policy set's canonical JSON text, exactly as proposed; hash = keccak256 of its UTF-8 bytes.
                policy TEXT NOT NULL,
                hash BLOB NOT NULL CHECK (length(hash) = 32),
                status TEXT NOT NULL CHECK (status IN ('proposed', 'effective', 'superseded', 'expired')),
                -- NULL for the version seeded from the configuration.
                proposed_by TEXT REFERENCES operators (id) DEFERRABLE INITIALLY DEFERRED,
                note TEXT,
                created_at INTEGER NOT NULL,
                expires_at INTEGER,
                nonce BLOB NOT NULL CHECK (length(nonce) = 32),
                effective_at INTEGER
            ) STRICT;
            -- At most one version in force, and every transfer finds it through this index.
            CREATE UNIQUE INDEX policy_versions_effective ON policy_versions (status) WHERE status = 'effective';

            CREATE TABLE policy_approvals (
                id INTEGER PRIMARY KEY,
                version INTEGER NOT NULL REFERENCES policy_versions (version) DEFERRABLE INITIALLY DEFERRED,
                operator_id TEXT NOT NULL REFERENCES operators (id) DEFERRABLE INITIALLY DEFERRED,
                signature BLOB NOT NULL UNIQUE,
                created_at INTEGER NOT NULL,
                UNIQUE (version, operator_id)
            ) STRICT;

            -- NULL for orders decided before policy versions existed.
            ALTER TABLE orders ADD COLUMN policy_version INTEGER;
            """),
    ]
}
