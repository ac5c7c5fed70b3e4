import BridgeApprovals
import BridgeCore
import BridgeStore
import FoundationEssentials

extension Command {
    /// `walletbridge audit`: the audit chain group.
    static let audit = Command(
        name: "audit",
        abstract: "Check the audit chain of the transfer-approval service's database.",
        subcommands: [.auditVerify]
    )

    /// `walletbridge audit verify [--db FILE]`.
    static let auditVerify = Command(
        name: "verify",
        abstract: "Recompute every hash of the audit chain and report the first event that does not verify.",
        discussion: """
            Reads the table audit_events of the service's SQLite database. Every event (order received, decision, \
            approval, rejection, application, expiry, operator, session and policy changes) carries \
            hash = SHA-256(previous hash || canonical JSON of {sequence, time, actor, kind, payload}); the first \
            event's previous hash is 32 zero bytes. Prints {"ok": true, "events": N, "head": "0x..."} where head is the \
            last event's hash: note it somewhere else, and a later run that prints the same head (or a chain that \
            continues from it) proves nothing before it was rewritten. A broken chain is an error naming the first \
            bad event's sequence and why (exit 1). Safe while the service runs: the chain is read in pages, each a \
            consistent snapshot.

            Examples:
              walletbridge audit verify
              walletbridge audit verify --db /var/lib/walletbridge/walletbridge.sqlite
              walletbridge audit verify --db postgresql://walletbridge@db.internal/walletbridge
            """,
        options: [
            .value("db", "FILE|URL", help: "The service's database: a SQLite file or a PostgreSQL URL (postgresql://...).", default: SQLiteApprovalStore.defaultPath),
        ],
        run: { arguments, io in
            let path = try arguments.requiredValue("db")
            let database = DatabaseLocation(path)
            let opened = try database.open(createIfMissing: false)
            defer { opened.close() }
            let store = opened.store
            let verification = try ApprovalService.verifyAuditChain(store: store)
            if let broken = verification.firstBroken {
                throw GenericBridgeError(
                    .internalError,
                    "Audit chain broken at event \(broken.sequence): \(broken.reason)",
                    hint: "Events before \(broken.sequence) verify. The database was altered or damaged outside the "
                        + "service: keep a copy for investigation and restore it from a backup.")
            }
            io.progress("Verified \(verification.events) audit events in \(database.displayName).")
            return [
                "ok": true,
                "events": .number(JSONNumber(verification.events)),
                "head": .string(Hex.encodePrefixed(verification.head)),
            ]
        }
    )
}
