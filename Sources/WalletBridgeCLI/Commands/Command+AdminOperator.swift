import BridgeApprovals
import BridgeCore
import BridgeServer
import BridgeStore
import FoundationEssentials

extension Command {
    /// `walletbridge admin operator`: the enrolled operators, on the service's own machine.
    static let adminOperator = Command(
        name: "operator",
        abstract: "List the enrolled operators, or revoke one (station-local).",
        discussion: """
            Both subcommands open the service's SQLite database directly (safe while the service runs). An admin at \
            a desk revokes with a device signature instead: `walletbridge operator revoke`.
            """,
        subcommands: [.adminOperatorList, .adminOperatorRevoke]
    )

    /// `walletbridge admin operator list [--db FILE]`.
    static let adminOperatorList = Command(
        name: "list",
        abstract: "List every enrolled operator, active and revoked, in enrolment order.",
        discussion: """
            Prints {"operators": [{"name", "address", "role", "status", "enrolled_at"}]}: address EIP-55, role \
            approver or admin, status active or revoked, enrolled_at RFC 3339 UTC.

            Example:
              walletbridge admin operator list --db /var/lib/walletbridge/walletbridge.sqlite
            """,
        options: AdminStation.options,
        run: { arguments, _ in
            try AdminStation.withService(arguments) { service throws(ApprovalError) in
                ["operators": .array(try service.operators().map(OperatorAPI.operatorListEntry))]
            }
        }
    )

    /// `walletbridge admin operator revoke NAME --reason R [--db FILE]`.
    static let adminOperatorRevoke = Command(
        name: "revoke",
        abstract: "Revoke an operator at once: their sessions end and their approvals on pending orders stop counting.",
        discussion: """
            For a compromised or departed operator. In one database transaction: the operator is marked revoked, \
            every session of theirs ends (their token answers -21 from then on, and they cannot sign in again), and \
            their approvals on orders still pending approval stop counting, so those orders need other approvers. \
            Audited as operator.revoked (with the reason, the sessions ended and the orders affected) by \
            cli:<your user name>, and approval.withdrawn per affected order. Prints {"name", "status": "revoked"}. \
            An unknown name is an error (code -10, HTTP 404 on the API); an operator already revoked is -23.

            Example:
              walletbridge admin operator revoke bob --reason "laptop stolen" \\
                --db /var/lib/walletbridge/walletbridge.sqlite
            """,
        options: [.value("reason", "R", help: "Why, in a few words; it is kept in the audit log.", required: true),
                 ] + AdminStation.options,
        arguments: [CommandArgument("NAME", help: "The operator's name, as `walletbridge admin operator list` shows it.")],
        run: { arguments, io in
            guard let name = arguments.argument("NAME") else {
                throw UsageError("Missing NAME", about: arguments.commandLine)
            }
            let reason = try arguments.requiredValue("reason")
            return try AdminStation.withService(arguments) { service throws(ApprovalError) in
                let outcome = try service.revokeOperator(name: name, reason: reason, actor: "cli:" + CurrentUser.name)
                io.progress("Revoked \(name): \(outcome.endedSessions.count) session(s) ended; approvals withdrawn from "
                    + "\(outcome.withdrawnOrderIDs.count) pending order(s)"
                    + (outcome.withdrawnOrderIDs.isEmpty ? "." : ": " + outcome.withdrawnOrderIDs.joined(separator: ", ")))
                return OperatorAPI.revokedJSON(outcome.revokedOperator)
            }
        }
    )
}
