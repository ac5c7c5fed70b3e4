import BridgeApprovals
import BridgeCore
import BridgeStore
import Foundation

extension Command {
    /// `walletbridge admin`: administration run on the service's machine, against its database.
    static let admin = Command(
        name: "admin",
        abstract: "Administer the transfer-approval service on its own machine (invites).",
        subcommands: [.adminInvite, .adminOperator]
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
            .value("db", "FILE", help: "The service's SQLite database.", default: SQLiteApprovalStore.defaultPath),
        ],
        run: { arguments, io in
            let role = try arguments.choice("role", from: OperatorRole.allCases.map { ($0.rawValue, $0) }) ?? .approver
            let path = try arguments.requiredValue("db")
            guard FileManager.default.fileExists(atPath: path) else {
                throw GenericBridgeError(
                    .badArgument, "No database at '\(path)'",
                    hint: "Start the service once (`walletbridge serve`) so it creates its database, or give it with --db FILE "
                        + "(default \(SQLiteApprovalStore.defaultPath)).")
            }
            let store = try SQLiteApprovalStore(path: path, createIfMissing: false)
            defer { store.close() }
            let service = try AdminService.open(store: store)
            let code = try service.createInvite(role: role, actor: "cli:" + NSUserName())
            io.progress("Invite for a new \(role.rawValue) created in \(path); it works once, within 24 hours.")
            return ["invite": .string(code), "role": .string(role.rawValue)]
        }
    )
}

/// The session manager as the admin commands use it: the service's own database, its deployment id, and the default
/// configuration's currencies and lifetimes. Invites need no policy, so the demo policy stands in.
enum AdminService {
    static func open(store: SQLiteApprovalStore) throws(ApprovalError) -> ApprovalService {
        let clock = SystemClock()
        let currencies = [try Currency(code: "USD", decimals: 2), try Currency(code: "BTC", decimals: 8)]
        let deploymentID = try ApprovalConfiguration.loadOrCreateDeploymentID(store: store, clock: clock)
        let configuration = try ApprovalConfiguration(currencies: currencies, deploymentID: deploymentID)
        return ApprovalService(store: store, policy: try PolicySet.demo(currencies: configuration.currenciesByCode),
                               configuration: configuration, clock: clock)
    }
}
