import BridgeCore

extension Command {
    /// `walletbridge operator policy`: the transfer policy, changed only with admins' device signatures.
    static let operatorPolicy = Command(
        name: "policy",
        abstract: "Show the transfer policy in force; propose or approve a new version with your device (admins).",
        discussion: """
            The service keeps the policy in versions: the configuration's `policies` are version 1; every later \
            version is proposed by an admin and takes effect, for orders received afterwards and without a restart, \
            once governance.policyApprovals distinct active admins (default 2, at most the number of active admins) \
            signed its EIP-712 PolicyChange {version, policyHash, expiresAt, nonce} on their devices. Pending orders \
            keep the version that held them.

            Example:
              walletbridge operator policy show --server http://127.0.0.1:8080 --path "m/44'/60'/0'/0/0"
            """,
        subcommands: [.operatorPolicyShow, .operatorPolicyPropose, .operatorPolicyApprove]
    )

    /// `walletbridge operator policy show --server URL --path P [device]`.
    static let operatorPolicyShow = Command(
        name: "show",
        abstract: "Print the policy version in force and the admins who approved it.",
        discussion: """
            Prints {"version","hash","policy":{...},"approved_by":[names],"effective_at"}; the version seeded from \
            the configuration has no approvers and says so in "note". Signs in with the device first when there is \
            no saved session.

            Example:
              walletbridge operator policy show --server http://127.0.0.1:8080 --transport sim:ledger \\
                --path "m/44'/60'/0'/0/0"
            """,
        options: [.server, .derivationPath, .signingMode],
        optionGroups: DeviceCommand.optionGroups,
        run: { arguments, io in
            try await OperatorCommand.withDesk(arguments, io) { desk in
                try await desk.withSession { token in try await desk.client.currentPolicy(token: token) }
            }
        }
    )

    /// `walletbridge operator policy propose --file P.json --server URL --path P [device]`.
    static let operatorPolicyPropose = Command(
        name: "propose",
        abstract: "Propose a new policy version (admins) and approve it with your device.",
        discussion: """
            P.json is a policy set in the configuration's `policies` grammar, e.g. \
            {"default":"deny","rules":[{"name":"large","when":{"amountAbove":{"USD":"500"}},\
            "then":{"require":{"approvals":2,"roles":["approver","admin"]}}},{"name":"rest","then":"allow"}]}. \
            The service checks it and answers the PolicyChange to sign; before the device sees it, the CLI checks \
            that its policyHash is the keccak256 of the canonical JSON of P.json (sorted keys, no whitespace) and \
            prints the policy and that hash on standard error: compare the hash with the one your device shows. Your \
            signature counts as the first approval. Prints {"version","hash","approvals","approvals_required",\
            "expires_at","status":"proposed"|"effective"}.

            Example:
              walletbridge operator policy propose --file policy.json --server http://127.0.0.1:8080 \\
                --path "m/44'/60'/0'/0/0"
            """,
        options: [.server, .value("file", "P.json", help: "The proposed policy set (JSON); - reads standard input.", required: true),
                  .derivationPath, .signingMode],
        optionGroups: DeviceCommand.optionGroups,
        run: { arguments, io in
            let path = try arguments.requiredValue("file")
            let policy: JSONValue
            do {
                policy = try JSONValue(parsing: try io.readTextFile(atPath: path))
            } catch let error as JSONParseError {
                throw GenericBridgeError(.badArgument, "\(path) is not JSON: \(error.message)",
                                         hint: "Write the policy set as JSON: {\"default\": ..., \"rules\": [...]}.")
            }
            guard policy.objectValue != nil else {
                throw GenericBridgeError(.badArgument, "\(path) holds a JSON \(policy.typeName), not a policy set object",
                                         hint: "Write the policy set as JSON: {\"default\": ..., \"rules\": [...]}.")
            }
            return try await OperatorCommand.withDesk(arguments, io) { desk in
                let signer = try await desk.address()
                let (token, proposal) = try await desk.withSession { token in
                    (token, try await desk.client.proposePolicy(policy, token: token))
                }
                guard let version = proposal["version"]?.numberValue?.int64Value.flatMap({ Int(exactly: $0) }),
                      let document = proposal["document"]
                else {
                    throw desk.client.malformed("POST /operator/policy/proposals", expected: "{version, hash, document}")
                }
                let change = try PolicyChangeDocument(document, version: version, policy: policy)
                for line in change.summary { io.progress(line) }
                let signature = try await desk.sign(change.document, as: signer)
                return try await desk.client.approvePolicy(version: version, signature: signature, token: token)
            }
        }
    )

    /// `walletbridge operator policy approve VERSION --server URL --path P [device]`.
    static let operatorPolicyApprove = Command(
        name: "approve",
        abstract: "Approve a proposed policy version with your device (admins).",
        discussion: """
            Fetches the proposal, checks that its PolicyChange is for VERSION and that its policyHash is the \
            keccak256 of the canonical JSON of the policy shown, prints that policy and hash on standard error, and \
            has the device sign the PolicyChange. Prints {"version","hash","approvals","approvals_required",\
            "expires_at","status"}; "status" is "effective" once enough admins approved. A version no longer \
            proposed is -23, one past its window -24, and only admins may approve (-22).

            Example:
              walletbridge operator policy approve 2 --server http://127.0.0.1:8080 --path "m/44'/60'/1'/0/0"
            """,
        options: [.server, .derivationPath, .signingMode],
        optionGroups: DeviceCommand.optionGroups,
        arguments: [CommandArgument("VERSION", help: "The proposed policy version, as `operator policy propose` printed it.")],
        run: { arguments, io in
            guard let text = arguments.argument("VERSION"), let version = Int(text), version >= 1 else {
                throw UsageError("VERSION must be a positive integer, e.g. 2", about: arguments.commandLine)
            }
            return try await OperatorCommand.withDesk(arguments, io) { desk in
                let signer = try await desk.address()
                let (token, fetched) = try await desk.withSession { token in
                    (token, try await desk.client.policyVersion(version, token: token))
                }
                try OperatorCommand.requireProposed(fetched, version: version)
                guard let policy = fetched["policy"], let document = fetched["document"], document.objectValue != nil else {
                    throw desk.client.malformed("GET /operator/policy/\(version)", expected: "{policy, document}")
                }
                let change = try PolicyChangeDocument(document, version: version, policy: policy)
                for line in change.summary { io.progress(line) }
                if let approvedBy = fetched["approved_by"]?.arrayValue, !approvedBy.isEmpty {
                    io.progress("  approved so far by " + approvedBy.compactMap(\.stringValue).joined(separator: ", "))
                }
                let signature = try await desk.sign(change.document, as: signer)
                return try await desk.client.approvePolicy(version: version, signature: signature, token: token)
            }
        }
    )
}

extension OperatorCommand {
    /// Refuses, before the device is asked, a version the service says is no longer open for signatures: -23 for
    /// one already effective or superseded, -24 for one past its window.
    static func requireProposed(_ version: JSONValue, version number: Int) throws(GenericBridgeError) {
        switch version["status"]?.stringValue {
        case "proposed"?, nil:
            return
        case "expired"?:
            throw GenericBridgeError(.expired, "Policy version \(number)'s proposal has expired",
                                     hint: "Propose it again: `walletbridge operator policy propose --file P.json`.")
        case let status?:
            throw GenericBridgeError(.conflict, "Policy version \(number) is \(status), no longer proposed",
                                     hint: "Nothing to sign: see the version in force with `walletbridge operator policy show`.")
        }
    }
}
