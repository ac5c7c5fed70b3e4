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
        // Exact 128-bit money (CONTRACT 4): SQLite's integers are 64-bit, so amounts, balances and holds become
        // canonical decimal text ("-12345": no leading zeros, no "+", no exponent), written and read only through
        // Int128; sums are computed in Swift, never by SQL (whose sum() of text would go through REAL). The CHECKs
        // keep the text canonical and external balances non-negative. Wallets gain a status: a closed wallet keeps
        // its rows, and only open wallets are unique per (user, currency).
        SQLiteMigration(version: 3, name: "money as exact 128-bit decimal text; wallets open or closed",
                        rebuildsTables: true, sql: """
            CREATE TABLE wallets_v3 (
                id TEXT PRIMARY KEY,
                kind TEXT NOT NULL CHECK (kind IN ('external', 'settlement')),
                external_user_id TEXT NOT NULL,
                currency TEXT NOT NULL,
                balance TEXT NOT NULL CHECK (\(canonicalInteger("balance"))),
                held TEXT NOT NULL CHECK (\(canonicalInteger("held"))) CHECK (held NOT GLOB '-*'),
                created_at INTEGER NOT NULL,
                status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
                closed_at INTEGER,
                CHECK (kind = 'settlement' OR balance NOT GLOB '-*'),
                -- held <= balance: for canonical non-negative decimal text, shorter is smaller and equal lengths
                -- compare as text.
                CHECK (kind = 'settlement' OR length(held) < length(balance)
                       OR (length(held) = length(balance) AND held <= balance))
            ) STRICT;
            INSERT INTO wallets_v3 (id, kind, external_user_id, currency, balance, held, created_at)
                SELECT id, kind, external_user_id, currency, CAST(balance AS TEXT), CAST(held AS TEXT), created_at
                FROM wallets;
            DROP TABLE wallets;
            ALTER TABLE wallets_v3 RENAME TO wallets;
            CREATE UNIQUE INDEX wallets_open_by_owner ON wallets (external_user_id, currency) WHERE status = 'open';

            CREATE TABLE orders_v3 (
                order_id TEXT PRIMARY KEY,
                external_user_id TEXT NOT NULL,
                currency TEXT NOT NULL,
                wallet_id TEXT NOT NULL REFERENCES wallets (id) DEFERRABLE INITIALLY DEFERRED,
                amount TEXT NOT NULL CHECK (\(canonicalInteger("amount"))) CHECK (amount <> '0'),
                status TEXT NOT NULL CHECK (status IN ('pending_approval', 'completed', 'rejected', 'expired')),
                policy_name TEXT,
                approvals_required INTEGER NOT NULL CHECK (approvals_required >= 0),
                eligible_approvers TEXT,
                nonce BLOB NOT NULL,
                created_at INTEGER NOT NULL,
                expires_at INTEGER,
                decided_at INTEGER,
                balance_after TEXT CHECK (balance_after IS NULL OR (\(canonicalInteger("balance_after")))),
                reason TEXT,
                initiator_operator_id TEXT
            ) STRICT, WITHOUT ROWID;
            INSERT INTO orders_v3
                SELECT order_id, external_user_id, currency, wallet_id, CAST(amount AS TEXT), status, policy_name,
                       approvals_required, eligible_approvers, nonce, created_at, expires_at, decided_at,
                       CAST(balance_after AS TEXT), reason, initiator_operator_id
                FROM orders;
            DROP TABLE orders;
            ALTER TABLE orders_v3 RENAME TO orders;
            CREATE INDEX orders_pending_by_expiry ON orders (expires_at) WHERE status = 'pending_approval';
            CREATE INDEX orders_pending_by_age ON orders (created_at) WHERE status = 'pending_approval';
            CREATE INDEX orders_by_user ON orders (external_user_id, currency, created_at);
            CREATE INDEX orders_pending_by_wallet ON orders (wallet_id) WHERE status = 'pending_approval';
            """),
        // Policy governance: the policy is versioned in the database (the configuration's `policies` become version
        // 1), admins approve a new version with device signatures, and each order records the version that decided it.
        SQLiteMigration(version: 4, name: "policy governance: policy versions, their approvals, orders' policy version", sql: """
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
        // Hardening (CONTRACT 4): a transfer refused for a business reason keeps that answer under its order id, and
        // expired login challenges and sessions are deleted by age (the service's sweep), through these indexes.
        SQLiteMigration(version: 5, name: "refused transfers kept by order id; challenges and sessions pruned by expiry", sql: """
            CREATE TABLE order_refusals (
                order_id TEXT PRIMARY KEY,
                external_user_id TEXT NOT NULL,
                currency TEXT NOT NULL,
                -- The amount's value in canonical decimal form (DecimalLiteral), or the request's text when not a number.
                amount TEXT NOT NULL,
                status INTEGER NOT NULL CHECK (status BETWEEN 400 AND 499),
                type TEXT NOT NULL,
                message TEXT NOT NULL,
                created_at INTEGER NOT NULL
            ) STRICT, WITHOUT ROWID;
            CREATE INDEX login_challenges_by_expiry ON login_challenges (expires_at);
            CREATE INDEX login_challenges_by_operator ON login_challenges (operator_id, issued_at) WHERE used_at IS NULL;
            CREATE INDEX sessions_by_expiry ON sessions (expires_at);
            """),
        // Webhooks per receiver (CONTRACT 2.4, issue 11): an outbox row is fanned out into one delivery per configured
        // URL, each with its own attempts and schedule, so a receiver that never answers delays no other. Rows queued
        // before this migration keep their attempts and due time when they are fanned out.
        SQLiteMigration(version: 6, name: "webhook deliveries: one per outbox message and receiver URL", sql: """
            CREATE TABLE webhook_deliveries (
                outbox_id INTEGER NOT NULL REFERENCES outbox (id) DEFERRABLE INITIALLY DEFERRED,
                url TEXT NOT NULL,
                attempts INTEGER NOT NULL CHECK (attempts >= 0),
                next_attempt_at INTEGER NOT NULL,
                delivered_at INTEGER,
                failed_at INTEGER,
                last_error TEXT,
                PRIMARY KEY (outbox_id, url)
            ) STRICT, WITHOUT ROWID;
            CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
                WHERE delivered_at IS NULL AND failed_at IS NULL;
            """),
        // An IN list of more than two constants in a CHECK makes SQLite build a temporary index each time the
        // statement runs (OP_OpenEphemeral: a b-tree and its pager opened, filled and closed), so every order insert
        // and status update paid for one: about a fifth of the group-commit leader's time in a transfer (issue 16's
        // profile). The same rule as comparisons costs a few instructions. SQLite cannot alter a CHECK, so the table is
        // rebuilt (columns, rows and indexes as they were).
        SQLiteMigration(version: 7, name: "orders: the status CHECK as comparisons, not an IN list",
                        rebuildsTables: true, sql: """
            CREATE TABLE orders_v7 (
                order_id TEXT PRIMARY KEY,
                external_user_id TEXT NOT NULL,
                currency TEXT NOT NULL,
                wallet_id TEXT NOT NULL REFERENCES wallets (id) DEFERRABLE INITIALLY DEFERRED,
                amount TEXT NOT NULL CHECK (\(canonicalInteger("amount"))) CHECK (amount <> '0'),
                status TEXT NOT NULL CHECK (\(oneOf("status", ["pending_approval", "completed", "rejected", "expired"]))),
                policy_name TEXT,
                approvals_required INTEGER NOT NULL CHECK (approvals_required >= 0),
                eligible_approvers TEXT,
                nonce BLOB NOT NULL,
                created_at INTEGER NOT NULL,
                expires_at INTEGER,
                decided_at INTEGER,
                balance_after TEXT CHECK (balance_after IS NULL OR (\(canonicalInteger("balance_after")))),
                reason TEXT,
                initiator_operator_id TEXT,
                policy_version INTEGER
            ) STRICT, WITHOUT ROWID;
            INSERT INTO orders_v7 SELECT order_id, external_user_id, currency, wallet_id, amount, status, policy_name,
                approvals_required, eligible_approvers, nonce, created_at, expires_at, decided_at, balance_after, reason,
                initiator_operator_id, policy_version FROM orders;
            DROP TABLE orders;
            ALTER TABLE orders_v7 RENAME TO orders;
            CREATE INDEX orders_pending_by_expiry ON orders (expires_at) WHERE status = 'pending_approval';
            CREATE INDEX orders_pending_by_age ON orders (created_at) WHERE status = 'pending_approval';
            CREATE INDEX orders_by_user ON orders (external_user_id, currency, created_at);
            CREATE INDEX orders_pending_by_wallet ON orders (wallet_id) WHERE status = 'pending_approval';
            """),
    ]

    /// A CHECK that `column` is one of `values` (constants of this file, never input), written as comparisons joined
    /// by OR: see migration 7 for why not `IN (...)`.
    static func oneOf(_ column: String, _ values: [String]) -> String {
        values.map { "\(column) = '\($0)'" }.joined(separator: " OR ")
    }

    /// A CHECK that `column` holds a canonical decimal integer of at most 39 digits: "0", or digits not starting
    /// with 0, optionally after "-".
    static func canonicalInteger(_ column: String) -> String {
        """
        length(\(column)) BETWEEN 1 AND 40 AND (\(column) = '0' \
        OR (\(column) GLOB '[1-9]*' AND \(column) NOT GLOB '*[^0-9]*') \
        OR (\(column) GLOB '-[1-9]*' AND substr(\(column), 2) NOT GLOB '*[^0-9]*'))
        """
    }
}
