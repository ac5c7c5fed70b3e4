import BridgeCore
import BridgeDevices

extension Command {
    /// `walletbridge operator revoke NAME --reason R --server URL --path P [device]`.
    static let operatorRevoke = Command(
        name: "revoke",
        abstract: "Revoke an operator (admins): sign the OperatorRevocation on your device, submit it.",
        discussion: """
            The service sends an EIP-712 OperatorRevocation built from the stored operator (their address and name), \
            your reason, a random nonce and an expiry 5 minutes ahead. It is checked (the operator and reason you \
            asked for) and shown on standard error; compare it with what the device shows, then confirm there. The \
            service accepts it only from an active admin's session and key: the operator's sessions end at once and \
            their approvals on pending orders stop counting. Prints {"name", "status": "revoked"}.
            Codes: -22 you are not an admin, -23 already revoked, -24 signed too late (run it again).

            Example (against `walletbridge serve --demo`: alice, an admin, revokes bob with her simulated Ledger):
              walletbridge operator revoke bob --reason "laptop stolen" --server http://127.0.0.1:8080 \\
                --transport sim:ledger --path "m/44'/60'/0'/0/0"
            """,
        options: [.server, .value("reason", "R", help: "Why, in a few words; it is signed and kept in the audit log.", required: true),
                  .derivationPath, .signingMode],
        optionGroups: DeviceCommand.optionGroups,
        arguments: [CommandArgument("NAME", help: "The operator to revoke, by name.")],
        run: { arguments, io in
            guard let name = arguments.argument("NAME") else {
                throw UsageError("Missing NAME", about: arguments.commandLine)
            }
            let reason = try arguments.requiredValue("reason")
            return try await OperatorCommand.withDesk(arguments, io) { desk in
                let signer = try await desk.address()
                // As for decisions: only fetching the document retries with a fresh sign-in on a refused token.
                let (token, fetched) = try await desk.withSession { token in
                    (token, try await desk.client.revocationDocument(name: name, reason: reason, token: token))
                }
                let revocation = try OperatorRevocationDocument(fetched, name: name, reason: reason)
                for line in revocation.summary { io.progress(line) }
                let signature = try await desk.sign(revocation.document, as: signer)
                return try await desk.client.revoke(name: name, reason: reason, nonce: revocation.nonce,
                                                    expiresAt: revocation.expiresAt, signature: signature, token: token)
            }
        }
    )

    /// `walletbridge operator logout --server URL --path P [device]`.
    static let operatorLogout = Command(
        name: "logout",
        abstract: "Sign out: end your session on the service and delete the saved token.",
        discussion: """
            Ends the session saved for this server and the device's address at --path (POST /operator/logout) and \
            deletes its token file from $XDG_STATE_HOME/walletbridge/. Nothing is signed; the device only tells \
            which operator you are. Prints {"logged_out": true, "session_ended": BOOL}: session_ended is false when \
            there was no saved token or the service had already ended the session. When the service cannot be \
            reached, the token is kept (code -3) so you can sign out once it is back.

            Example (alice of `walletbridge serve --demo`, with her simulated Ledger):
              walletbridge operator logout --server http://127.0.0.1:8080 --transport sim:ledger \\
                --path "m/44'/60'/0'/0/0"
            """,
        options: [.server, .derivationPath],
        optionGroups: DeviceCommand.optionGroups,
        run: { arguments, io in
            try await OperatorCommand.withDesk(arguments, io) { desk in
                let address = try await desk.address().checksummed
                let server = desk.client.serverIdentity
                var ended = false
                if let cached = desk.tokens.token(server: server, address: address) {
                    do {
                        _ = try await desk.client.logout(token: cached.token)
                        ended = true
                    } catch let error as OperatorAPIError where error.isUnauthorized {
                        // Expired, idle or revoked already: nothing left to end on the service.
                        io.progress("The service had already ended this session (\(error.message)).")
                    }
                }
                desk.tokens.remove(server: server, address: address)
                io.progress(ended ? "Signed out of \(server) as \(address)." : "No live session for \(address) at \(server).")
                return ["logged_out": true, "session_ended": .bool(ended)]
            }
        }
    )
}
