import BridgeApprovals
import BridgeCore
import BridgeStore
import FoundationEssentials

extension Command {
    /// `walletbridge admin`: administration run on the service's machine, against its database.
    static let admin = Command(
        name: "admin",
        abstract: "Administer the transfer-approval service on its own machine: invites, wallets, operators.",
        subcommands: [.adminInvite, .adminWallet, .adminOperator]
    )

    /// `walletbridge admin invite --role approver|admin [--db FILE]`.
    static let adminInvite = Command(
        name: "invite",
        abstract: "Create a one-time invite for an operator to enrol with a role.",
        discussion: """
            Writes the invite straight into the service's SQLite database (safe while the service runs) and prints \
            {"invite": CODE, "role": ROLE}. The code is shown once (only its SHA-256 is stored), works once, and \
            expires after 24 hours; hand it to the operator, who runs `walletbridge operator enroll --invite CODE`. \
            Audited as invite.created with the local user's name.

            Example:
              walletbridge admin invite --role approver --db /var/lib/walletbridge/walletbridge.sqlite
            """,
        options: [
            .value("role", "approver|admin", help: "What the operator may do: approver (decide transfers) or admin (also administer).",
                   required: true),
        ] + AdminStation.options,
        run: { arguments, io in
            let role = try arguments.choice("role", from: OperatorRole.allCases.map { ($0.rawValue, $0) }) ?? .approver
            return try AdminStation.withService(arguments) { service throws(ApprovalError) in
                let code = try service.createInvite(role: role, actor: AdminStation.actor)
                io.progress("Invite for a new \(role.rawValue) created; it works once, within 24 hours.")
                return ["invite": .string(code), "role": .string(role.rawValue)]
            }
        }
    )
}
