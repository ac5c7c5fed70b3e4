import BridgeCore
import BridgeCrypto
import BridgeDevices

extension Command {
    /// `walletbridge operator`: what an operator does at their desk, with their device, against the service.
    static let `operator` = Command(
        name: "operator",
        abstract: "Enrol as an operator, list pending transfers, approve or reject them with your device.",
        discussion: """
            Every subcommand talks to the service's operator API (--server) and signs with the device the device \
            options select (any --transport; sim:ledger for demos). Signing in: the device signs the service's \
            one-time login challenge; the session token is kept in $XDG_STATE_HOME/walletbridge/ (default \
            ~/.local/state/walletbridge/, file mode 0600) and reused until it expires.
            """,
        subcommands: [.operatorEnroll, .operatorPending, .operatorApprove, .operatorReject, .operatorRevoke, .operatorLogout,
                      .operatorPolicy]
    )

    /// `walletbridge operator enroll --server URL --invite CODE --name NAME --path P [device]`.
    static let operatorEnroll = Command(
        name: "enroll",
        abstract: "Enrol your device's key as an operator, with an invite from an admin.",
        discussion: """
            The service sends an EIP-712 Enrollment (name, invite, address, path); the device signs it; the service \
            stores your address and public key (nothing secret). Prints the enrolled operator.

            Example:
              walletbridge operator enroll --server http://127.0.0.1:8080 --invite 3f2a... --name carol \\
                --path "m/44'/60'/0'/0/0"
            """,
        options: [.server, .value("invite", "CODE", help: "The invite code from `walletbridge admin invite`.", required: true),
                  .value("name", "NAME", help: "Your operator name, unique on the service.", required: true),
                  .derivationPath, .signingMode],
        optionGroups: DeviceCommand.optionGroups,
        run: { arguments, io in
            let name = try arguments.requiredValue("name")
            let invite = try arguments.requiredValue("invite")
            return try await OperatorCommand.withDesk(arguments, io) { desk in
                let address = try await desk.address()
                let path = desk.path.description
                let document = try await desk.client.enrollmentDocument(
                    name: name, invite: invite, address: address.checksummed, path: path)
                let message = document["message"]
                guard document["primaryType"]?.stringValue == "Enrollment", message?["name"]?.stringValue == name,
                      message?["invite"]?.stringValue == invite, message?["path"]?.stringValue == path,
                      message?["address"]?.stringValue?.lowercased() == address.checksummed.lowercased()
                else {
                    throw GenericBridgeError(.protocolError, "The service's Enrollment document is not the one asked for",
                                             hint: "Refusing to sign it. Check that --server points at your WalletBridge service.")
                }
                io.progress("Enrolling \(name) as \(address.checksummed) (\(path)) at \(desk.client.serverIdentity).")
                let signature = try await desk.sign(document, as: address)
                return try await desk.client.enroll(name: name, invite: invite, address: address.checksummed, path: path,
                                                    signature: signature)
            }
        }
    )

    /// `walletbridge operator pending --server URL --path P [device]`.
    static let operatorPending = Command(
        name: "pending",
        abstract: "List the transfers waiting for approval.",
        discussion: """
            Prints {"transfers": [...]} as the service answers it. Signs in with the device first when there is no \
            saved session.

            Example:
              walletbridge operator pending --server http://127.0.0.1:8080 --path "m/44'/60'/0'/0/0"
            """,
        options: [.server, .derivationPath, .signingMode],
        optionGroups: DeviceCommand.optionGroups,
        run: { arguments, io in
            try await OperatorCommand.withDesk(arguments, io) { desk in
                try await desk.withSession { token in try await desk.client.pendingTransfers(token: token) }
            }
        }
    )

    /// `walletbridge operator approve ORDER_ID --server URL --path P [device]`.
    static let operatorApprove = Command(
        name: "approve",
        abstract: "Approve a pending transfer: check it, sign the TransferApproval on your device, submit it.",
        discussion: """
            Shows the transfer on standard error (amount, currency, direction, user, policy, expiry); compare it with \
            what the device shows, then confirm there. Prints the order's new state.

            Example:
              walletbridge operator approve ORDER-42 --server http://127.0.0.1:8080 --path "m/44'/60'/0'/0/0"
            """,
        options: [.server, .derivationPath, .signingMode],
        optionGroups: DeviceCommand.optionGroups,
        arguments: [CommandArgument("ORDER_ID", help: "The CRM's order_id of the pending transfer.")],
        run: { arguments, io in
            try await OperatorCommand.decide(arguments, io, rejectionReason: nil)
        }
    )

    /// `walletbridge operator reject ORDER_ID --reason R --server URL --path P [device]`.
    static let operatorReject = Command(
        name: "reject",
        abstract: "Reject a pending transfer: sign the TransferRejection (with your reason) on your device, submit it.",
        discussion: """
            One signed rejection ends the order at once (a held debit is released). Prints the order's new state.

            Example:
              walletbridge operator reject ORDER-42 --reason "unknown payee" --server http://127.0.0.1:8080 \\
                --path "m/44'/60'/0'/0/0"
            """,
        options: [.server, .value("reason", "R", help: "Why, in a few words; it is signed and kept in the audit log.", required: true),
                  .derivationPath, .signingMode],
        optionGroups: DeviceCommand.optionGroups,
        arguments: [CommandArgument("ORDER_ID", help: "The CRM's order_id of the pending transfer.")],
        run: { arguments, io in
            try await OperatorCommand.decide(arguments, io, rejectionReason: try arguments.requiredValue("reason"))
        }
    )
}

/// What the operator subcommands share: the desk they work at and the decision flow.
enum OperatorCommand {
    /// Opens the selected device and the service's client, and runs `body` at that desk.
    static func withDesk(_ arguments: ParsedArguments, _ io: CommandIO,
                         _ body: (OperatorDesk) async throws -> JSONValue) async throws -> JSONValue {
        let environment = OperatorEnvironment.current
        let client = try OperatorAPIClient(server: try arguments.requiredValue("server"), transport: environment.transport)
        let path = try arguments.derivationPath("path")
        let mode = try arguments.choice("mode", from: TypedDataSigningMode.allCases.map { ($0.rawValue, $0) }) ?? .full
        return try await DeviceCommand.withDevice(arguments, io) { wallet, options in
            try await body(OperatorDesk(client: client, tokens: environment.tokenCache, wallet: wallet, options: options,
                                        path: path, mode: mode, io: io))
        }
    }

    /// Approve or reject: fetch the document, show it, sign it on the device, submit, return the new state.
    static func decide(_ arguments: ParsedArguments, _ io: CommandIO, rejectionReason: String?) async throws -> JSONValue {
        guard let orderID = arguments.argument("ORDER_ID") else {
            throw UsageError("Missing ORDER_ID", about: arguments.commandLine)
        }
        return try await withDesk(arguments, io) { desk in
            let signer = try await desk.address()
            // Only fetching the document retries with a fresh sign-in on 401: once the session has just worked, a 401
            // on submitting means the signature was refused, and signing again would not change that.
            let (token, fetched) = try await desk.withSession { token in
                (token, try await desk.client.approvalDocument(orderID: orderID, rejectionReason: rejectionReason, token: token))
            }
            let decision = try TransferDecisionDocument(fetched, orderID: orderID, rejectionReason: rejectionReason)
            for line in decision.summary { io.progress(line) }
            let signature = try await desk.sign(decision.document, as: signer)
            if let rejectionReason {
                return try await desk.client.reject(orderID: orderID, signature: signature, reason: rejectionReason, token: token)
            }
            return try await desk.client.approve(orderID: orderID, signature: signature, token: token)
        }
    }
}

extension CommandOption {
    /// `--server URL`: the service's operator API.
    static let server = CommandOption.value(
        "server", "URL", help: "The WalletBridge service, e.g. http://127.0.0.1:8080 (https:// when it has TLS).", required: true)
    /// `--mode full|hashed` for the documents operators sign.
    static let signingMode = CommandOption.value(
        "mode", "full|hashed",
        help: "full: the device shows every field (clear signing, the default); hashed: only the two hashes (needs Blind signing).",
        default: "full")
}
