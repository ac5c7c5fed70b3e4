import BridgeApprovals
import BridgeCore
import BridgeCrypto
import BridgeStore
import CSQLite
import CSecp256k1
import Foundation

/// `walletbridge-bench approvals`: the session manager's hot paths beside their floors, in the same run.
///
/// - Approval verification (what `submitDecision` computes before it touches the store: parse the signature, rebuild
///   the TransferApproval from the stored order, its EIP-712 digest, recover the signer, compare with the operator,
///   check status, eligibility and expiry) beside raw `secp256k1_ecdsa_recover` alone.
/// - Durable order applications through `ApprovalService.submitTransfer` on SQLite (WAL, synchronous=FULL, a temp
///   file): order, balances, audit events and outbox row in one transaction, beside a bare SQLite loop that inserts
///   one row and commits with the same settings.
/// - Audit chain verification: events re-hashed per second, read from that database.
struct ApprovalBenchmarks {
    let harness: BenchmarkHarness

    func run() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("walletbridge-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }

        let verification = try approvalVerification()
        let (applications, store) = try durableApplications(directory: directory)
        defer { store.close() }
        let audit = try auditVerification(store)

        Report.printTable(title: "walletbridge-bench approvals (best of \(harness.rounds) rounds of \(harness.roundDuration))",
                          [verification] + applications)
        print(Report.pad("audit chain verification", 34) + Report.pad(Report.format(audit.rate), 14, right: true)
            + " events/s  (\(audit.events) events, read from SQLite and re-hashed)")
        print()
        print("targets: approval verification >= 70% of raw recovery; durable applications >= 50% of the bare SQLite rate")
        print("  approval verification: \(String(format: "%.1f%%", verification.ratio * 100)) \(verification.ratio >= 0.7 ? "met" : "NOT met")")
        print("  durable applications: \(String(format: "%.1f%%", applications[0].ratio * 100)) \(applications[0].ratio >= 0.5 ? "met" : "NOT met")")
    }

    // MARK: Approval verification

    func approvalVerification() throws -> Comparison {
        // Test key only (secp256k1.json); never use it for funds.
        let key = try PrivateKey(Hex.decode("c85ef7d79691fe79573b1a7064c19c1a9819ebdbd1faaab1a8ec92344438aaf4") ?? [])
        let signer = Operator(id: "op-bench", name: "alice", role: .approver, address: EthereumAddress(publicKey: key.publicKey),
                              publicKey: key.publicKey.compressed, path: "m/44'/60'/0'/0/0", enrolledAt: Timestamp(secondsSinceEpoch: 0))
        let typedData = try ApprovalTypedData(chainID: 1, deploymentID: [UInt8](repeating: 0xD5, count: 32))
        let now = Timestamp(secondsSinceEpoch: 1_795_000_000)
        let order = TransferOrder(
            orderID: "crm-order-000123", externalUserID: "crm-user-42", currency: "USD", walletID: "w00000001",
            amount: -250_000, status: .pendingApproval, policyName: "large-transfers", approvalsRequired: 2,
            eligibleApprovers: ApproverEligibility(roles: [.approver, .admin]), nonce: [UInt8](repeating: 0x5A, count: 32),
            createdAt: now, expiresAt: now + .seconds(86_400))
        // The prepared document: what the operator's device signed.
        let document = typedData.document(.transferApproval, message: typedData.transferMessage(for: order, decimals: 2))
        let digest = try TypedData(json: document).digest()
        let signature = try EthereumSignature.sign(digest: digest, with: key).bytes

        guard let context = secp256k1_context_create(UInt32(SECP256K1_CONTEXT_NONE)) else {
            throw ApprovalError.storage("secp256k1_context_create failed")
        }
        defer { secp256k1_context_destroy(context) }
        var rawRecoverable = secp256k1_ecdsa_recoverable_signature()
        _ = secp256k1_ecdsa_recoverable_signature_parse_compact(context, &rawRecoverable, signature, Int32(signature[64]) - 27)
        var recovered = secp256k1_pubkey()

        let rates = try harness.compare({
            // As submitDecision does it: the document is rebuilt from the stored order, never taken from the client.
            let parsed = try EthereumSignature(bytes: signature)
            let digest = try typedData.digest(.transferApproval, message: typedData.transferMessage(for: order, decimals: 2))
            let address = try parsed.recoverSigner(digest: digest)
            precondition(address == signer.address && signer.status == .active)
            precondition(order.eligibleApprovers?.roles.contains { signer.role >= $0 } == true)
            precondition(now < (order.expiresAt ?? now))
        }, against: {
            precondition(secp256k1_ecdsa_recover(context, &recovered, &rawRecoverable, digest) == 1)
        })
        return Comparison(name: "approval verification", swiftRate: rates.swift, baselineRate: rates.baseline,
                          baselineName: "secp256k1_ecdsa_recover alone")
    }

    // MARK: Durable applications

    func durableApplications(directory: String) throws -> ([Comparison], SQLiteApprovalStore) {
        let store = try SQLiteApprovalStore(path: directory + "/service.sqlite")
        let usd = try Currency(code: "USD", decimals: 2), btc = try Currency(code: "BTC", decimals: 8)
        let configuration = try ApprovalConfiguration(currencies: [usd, btc], deploymentID: [UInt8](repeating: 0xD5, count: 32))
        let service = ApprovalService(store: store, policy: try PolicySet.demo(currencies: ["USD": usd, "BTC": btc]),
                                      configuration: configuration, clock: SystemClock())
        try service.createWallet(externalUserID: "crm-user-42", currency: "USD", initialBalance: 100_000_000)
        var orderNumber = 0

        let bare = try RawSQLiteLoop.bareInserts(path: directory + "/bare.sqlite")
        defer { bare.close() }
        let sameRows = try RawSQLiteLoop.applicationRows(path: directory + "/rows.sqlite")
        defer { sameRows.close() }

        let apply = {
            orderNumber += 1
            // Small amounts, credits and debits in turn: the policy allows them at once, so each is applied now.
            let outcome = try service.submitTransfer(TransferRequest(
                orderID: "bench-\(orderNumber)", externalUserID: "crm-user-42", currency: "USD",
                amount: orderNumber % 2 == 0 ? "-12.34" : "12.34"))
            precondition(outcome.order.status == .completed)
        }
        let versusBare = try harness.compare(apply, against: bare.commitOnce)
        let versusRows = try harness.compare(apply, against: sameRows.commitOnce)
        return ([
            Comparison(name: "durable order application", swiftRate: versusBare.swift, baselineRate: versusBare.baseline,
                       baselineName: "bare SQLite: 1-row INSERT + COMMIT, same settings (the target's floor)"),
            Comparison(name: "durable order application", swiftRate: versusRows.swift, baselineRate: versusRows.baseline,
                       baselineName: "the same rows written by raw SQL, same schema and settings (context)"),
        ], store)
    }

    // MARK: Audit verification

    func auditVerification(_ store: SQLiteApprovalStore) throws -> (rate: Double, events: Int) {
        let clock = ContinuousClock()
        var best = 0.0
        var events = 0
        for _ in 0..<harness.rounds {
            var result: AuditVerification?
            let elapsed = try clock.measure { result = try ApprovalService.verifyAuditChain(store: store) }
            guard let result, result.ok else { throw ApprovalError.storage("the benchmark's audit chain does not verify") }
            events = result.events
            best = max(best, Double(result.events) / LedgerBenchmarks.seconds(elapsed))
        }
        return (best, events)
    }
}

/// A durable-write floor through the SQLite C API, with the store's connection settings (WAL, synchronous=FULL,
/// foreign keys on) and prepared statements reused: each call runs one transaction and commits it.
final class RawSQLiteLoop {
    private var database: OpaquePointer?
    /// BEGIN IMMEDIATE, then the body's statements, then COMMIT; with groups, SAVEPOINT and RELEASE around each body.
    private var begin: OpaquePointer?, commit: OpaquePointer?, savepoint: OpaquePointer?, release: OpaquePointer?
    private var statements: [OpaquePointer?] = []
    private let bind: (_ statementIndex: Int, _ statement: OpaquePointer?, _ iteration: Int64) -> Void
    private var iteration: Int64 = 0
    /// How many bodies one commit covers.
    let groupSize: Int

    /// `schema` runs once; each call then steps `BEGIN IMMEDIATE`, `groupSize` times every statement of `body` (after
    /// `bind` set its parameters for the body's number; in a savepoint of its own when `groupSize` > 1, as the
    /// store's group commit runs each caller's body), and `COMMIT`.
    init(path: String, schema: String, body: [String], groupSize: Int = 1,
         bind: @escaping (_ statementIndex: Int, _ statement: OpaquePointer?, _ iteration: Int64) -> Void) throws {
        self.bind = bind
        self.groupSize = max(1, groupSize)
        guard sqlite3_open_v2(path, &database, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK,
            sqlite3_exec(database, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON", nil, nil, nil) == SQLITE_OK,
            sqlite3_exec(database, schema, nil, nil, nil) == SQLITE_OK
        else { throw failure("setup") }
        func prepare(_ sql: String) throws -> OpaquePointer? {
            var statement: OpaquePointer?
            guard sqlite3_prepare_v2(database, sql, -1, &statement, nil) == SQLITE_OK else { throw failure(sql) }
            return statement
        }
        begin = try prepare("BEGIN IMMEDIATE")
        commit = try prepare("COMMIT")
        savepoint = try prepare("SAVEPOINT body")
        release = try prepare("RELEASE body")
        statements = try body.map(prepare)
    }

    /// One transaction of `groupSize` bodies, committed (and so fsynced).
    func commitOnce() throws {
        try step(begin, "BEGIN")
        for _ in 0..<groupSize {
            iteration += 1
            if groupSize > 1 { try step(savepoint, "SAVEPOINT") }
            for (index, statement) in statements.enumerated() {
                bind(index, statement, iteration)
                try step(statement, "statement \(index)")
            }
            if groupSize > 1 { try step(release, "RELEASE") }
        }
        try step(commit, "COMMIT")
    }

    private func step(_ statement: OpaquePointer?, _ what: String) throws {
        guard sqlite3_step(statement) == SQLITE_DONE else { throw failure(what) }
        sqlite3_reset(statement)
    }

    func close() {
        for statement in statements + [begin, commit, savepoint, release] { sqlite3_finalize(statement) }
        sqlite3_close(database)
        database = nil
    }

    private func failure(_ what: String) -> ApprovalError {
        .storage("raw SQLite \(what) failed: \(String(cString: sqlite3_errmsg(database)))")
    }

    /// SQLITE_TRANSIENT: SQLite copies what is bound.
    static var transient: sqlite3_destructor_type { unsafeBitCast(-1, to: sqlite3_destructor_type.self) }

    static func bindText(_ statement: OpaquePointer?, _ index: Int32, _ text: String) {
        sqlite3_bind_text(statement, index, text, -1, transient)
    }

    static func bindBlob(_ statement: OpaquePointer?, _ index: Int32, _ bytes: [UInt8]) {
        sqlite3_bind_blob(statement, index, bytes, Int32(bytes.count), transient)
    }

    /// The bare floor: one 64-byte row inserted per transaction.
    static func bareInserts(path: String) throws -> RawSQLiteLoop {
        let payload = [UInt8](repeating: 0xAB, count: 64)
        return try RawSQLiteLoop(
            path: path, schema: "CREATE TABLE rows (id INTEGER PRIMARY KEY, payload BLOB NOT NULL)",
            body: ["INSERT INTO rows (id, payload) VALUES (?, ?)"]
        ) { _, statement, iteration in
            sqlite3_bind_int64(statement, 1, iteration)
            bindBlob(statement, 2, payload)
        }
    }

    /// The rows one applied transfer writes, written directly into the store's own schema with fixed contents (no
    /// service logic, no JSON or hashing in Swift): the order, both balances, two audit events, the outbox row.
    static func applicationRows(path: String, groupSize: Int = 1) throws -> RawSQLiteLoop {
        let schema = SQLiteApprovalStore.migrations.map(\.sql).joined(separator: ";\n") + """
            ;
            INSERT INTO wallets (id, kind, external_user_id, currency, balance, held, created_at)
                VALUES ('w00000001', 'external', 'crm-user-42', 'USD', '100000000', '0', 0);
            INSERT INTO wallets (id, kind, external_user_id, currency, balance, held, created_at)
                VALUES ('crm:USD', 'settlement', '', 'USD', '-100000000', '0', 0);
            """
        // Texts of the sizes the service writes for a small USD transfer.
        let payload = #"{"amount":"12.34","balance_after":"1000012.34","currency":"USD","decision":"allow","external_user_id":"crm-user-42","order_id":"bench-000000","policy":"everything-else","status":"completed","wallet_balance":"1000012.34","wallet_held":"0.00","wallet_id":"w00000001"}"#
        let webhook = #"{"event":"order.completed","order_id":"bench-000000","status":"completed","amount":"12.34","currency":"USD","external_user_id":"crm-user-42"}"#
        let hash = [UInt8](repeating: 0x42, count: 32)
        var balance: Int64 = 100_000_000
        return try RawSQLiteLoop(path: path, schema: schema, body: [
            """
            INSERT INTO orders (order_id, external_user_id, currency, wallet_id, amount, status, policy_name, \
            approvals_required, eligible_approvers, nonce, created_at, expires_at, decided_at, balance_after, reason) \
            VALUES (?, 'crm-user-42', 'USD', 'w00000001', '1234', 'completed', 'everything-else', 0, NULL, x'', ?, NULL, ?, ?, NULL)
            """,
            "UPDATE wallets SET balance = ?, held = '0' WHERE id = 'w00000001'",
            "UPDATE wallets SET balance = ?, held = '0' WHERE id = 'crm:USD'",
            "INSERT INTO audit_events VALUES (?, ?, 'crm', 'order.received', ?, ?, ?)",
            "INSERT INTO audit_events VALUES (?, ?, 'crm', 'order.completed', ?, ?, ?)",
            "INSERT INTO outbox (event, body, created_at, next_attempt_at, attempts) VALUES ('order.completed', ?, ?, ?, 0)",
        ], groupSize: groupSize) { index, statement, iteration in
            let now = 1_795_000_000_000 + iteration
            switch index {
            case 0:
                bindText(statement, 1, "bench-\(iteration)")
                sqlite3_bind_int64(statement, 2, now)
                sqlite3_bind_int64(statement, 3, now)
                balance += 1234
                // Money is canonical decimal text in the store's schema (migration 3), so the raw loop writes text too.
                bindText(statement, 4, String(balance))
            case 1: bindText(statement, 1, String(balance))
            case 2: bindText(statement, 1, String(-balance))
            case 3, 4:
                sqlite3_bind_int64(statement, 1, iteration * 2 + Int64(index) - 4)
                sqlite3_bind_int64(statement, 2, now)
                bindText(statement, 3, payload)
                bindBlob(statement, 4, hash)
                bindBlob(statement, 5, hash)
            default:
                bindText(statement, 1, webhook)
                sqlite3_bind_int64(statement, 2, now)
                sqlite3_bind_int64(statement, 3, now)
            }
        }
    }
}

/// `walletbridge-bench sql-floor`: the durable floor under the service's transfers (issue 16). The rows one applied
/// transfer writes, by raw SQL into the store's schema, `groupSize` transfers to a commit as the store's group commit
/// makes them under load, with the same durability (WAL, synchronous=FULL), for `seconds`; prints one JSON line.
enum SQLFloorBenchmark {
    static func run(groupSize: Int, seconds: Double) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("walletbridge-sql-floor-\(getpid())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let loop = try RawSQLiteLoop.applicationRows(path: directory + "/rows.sqlite", groupSize: groupSize)
        defer { loop.close() }
        let clock = ContinuousClock()
        let start = clock.now
        var transfers = 0
        var commits = 0
        while clock.now - start < .milliseconds(Int(seconds * 1000)) {
            try loop.commitOnce()
            transfers += loop.groupSize
            commits += 1
        }
        let elapsed = LedgerBenchmarks.seconds(clock.now - start)
        print(#"{"transfers_per_second":\#(Int(Double(transfers) / elapsed)),"commits_per_second":\#(Int(Double(commits) / elapsed)),"group":\#(loop.groupSize)}"#)
    }
}
