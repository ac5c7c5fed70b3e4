import BridgeApprovals
import BridgeCore
import BridgeServer
import FoundationEssentials

extension Command {
    /// `walletbridge admin wallet`: the CRM's external wallets, on the service's own machine (CONTRACT 5).
    static let adminWallet = Command(
        name: "wallet",
        abstract: "Create, import, list and close the CRM users' external wallets (station-local).",
        discussion: """
            Each subcommand opens the service's database directly (safe while the service runs) with --config FILE \
            or --db FILE, and every change is audited with your user name. Opening balances come from the \
            currency's settlement account, so each currency's books still sum to zero.
            """,
        subcommands: [.adminWalletCreate, .adminWalletImport, .adminWalletList, .adminWalletClose]
    )

    /// `walletbridge admin wallet create --user U --currency C [--initial-balance AMOUNT]`.
    static let adminWalletCreate = Command(
        name: "create",
        abstract: "Create a CRM user's wallet in a configured currency.",
        discussion: """
            Prints the wallet as the CRM sees it: {"id", "external_user_id", "amount", "currency", "decimals"}. \
            AMOUNT is decimal text in the currency's units (250.00), exact to its decimals. Audited as wallet.created.

            Example:
              walletbridge admin wallet create --user user_123 --currency USD --initial-balance 250.00 \\
                --db ./var/walletbridge.sqlite
            """,
        options: [
            .value("user", "U", help: "The CRM's external_user_id.", required: true),
            .value("currency", "C", help: "A configured currency code (USD).", required: true),
            .value("initial-balance", "AMOUNT", help: "Opening balance in the currency's units.", default: "0"),
        ] + AdminStation.options,
        run: { arguments, io in
            let wallet = ApprovalService.NewWallet(
                externalUserID: try arguments.requiredValue("user"), currency: try arguments.requiredValue("currency"),
                initialBalance: try arguments.requiredValue("initial-balance"))
            return try AdminStation.withService(arguments) { service throws(ApprovalError) in
                guard let created = try service.createWallets([wallet], actor: AdminStation.actor).first else {
                    throw .storage("the wallet was not created")
                }
                return try AdminWalletCommand.json(created, service)
            }
        }
    )

    /// `walletbridge admin wallet import --file F.csv`.
    static let adminWalletImport = Command(
        name: "import",
        abstract: "Create many wallets from a CSV file, all or nothing.",
        discussion: """
            The file's header is `external_user_id,currency` or `external_user_id,currency,initial_balance`; one \
            wallet per line after it (fields may be "quoted"). Every wallet is created in one transaction, or none: \
            the first bad line (unknown currency, malformed amount, a wallet that exists, the same pair twice) is \
            named in the error and nothing is created. Prints {"created": N}.

            Example:
              walletbridge admin wallet import --file wallets.csv --db ./var/walletbridge.sqlite
            """,
        options: [.value("file", "F.csv", help: "The CSV file (- for standard input).", required: true)]
            + AdminStation.options,
        run: { arguments, io in
            let path = try arguments.requiredValue("file")
            let text = try io.readTextFile(atPath: path)
            let wallets = try AdminWalletCommand.parseCSV(text)
            return try AdminStation.withService(arguments) { service throws(ApprovalError) in
                let created = try service.createWallets(wallets, actor: AdminStation.actor, firstLineNumber: 2)
                io.progress("Created \(created.count) wallet(s) from \(path).")
                return ["created": .number(JSONNumber(created.count))]
            }
        }
    )

    /// `walletbridge admin wallet list [--user U]`.
    static let adminWalletList = Command(
        name: "list",
        abstract: "List the open external wallets, in id order.",
        discussion: """
            Prints {"data": [wallet...], "count": N}, the shape of the CRM's POST /wallets. Closed wallets are not \
            listed.

            Example:
              walletbridge admin wallet list --user user_123 --db ./var/walletbridge.sqlite
            """,
        options: [.value("user", "U", help: "Only this CRM user's wallets.")] + AdminStation.options,
        run: { arguments, _ in
            let users = arguments.value("user").map { [$0] }
            return try AdminStation.withService(arguments) { service throws(ApprovalError) in
                let (wallets, total) = try service.wallets(externalUserIDs: users, skip: 0, limit: Int.max)
                var data: [JSONValue] = []
                for wallet in wallets { data.append(try AdminWalletCommand.json(wallet, service)) }
                return ["data": .array(data), "count": .number(JSONNumber(total))]
            }
        }
    )

    /// `walletbridge admin wallet close ID`.
    static let adminWalletClose = Command(
        name: "close",
        abstract: "Close a wallet at zero balance with nothing held or pending.",
        discussion: """
            A closed wallet keeps its history but is no longer listed or found by the CRM (getOne answers 404, a \
            transfer account_not_found). Refused (code -23) while it holds money or has orders waiting for approval. \
            Audited as wallet.closed. Prints {"id", "status": "closed"}.

            Example:
              walletbridge admin wallet close w00000042 --db ./var/walletbridge.sqlite
            """,
        options: AdminStation.options,
        arguments: [CommandArgument("ID", help: "The wallet id, as `admin wallet list` shows it.")],
        run: { arguments, _ in
            guard let id = arguments.argument("ID") else { throw UsageError("Missing ID", about: arguments.commandLine) }
            return try AdminStation.withService(arguments) { service throws(ApprovalError) in
                let closed = try service.closeWallet(id: id, actor: AdminStation.actor)
                return ["id": .string(closed.id), "status": .string(closed.status.rawValue)]
            }
        }
    )
}

/// The `admin wallet` commands' shared parts.
enum AdminWalletCommand {
    /// The wallet as the CRM sees it.
    static func json(_ wallet: Wallet, _ service: ApprovalService) throws(ApprovalError) -> JSONValue {
        wallet.crmJSON(decimals: try service.configuration.currency(wallet.currency).decimals)
    }

    /// The import file: a header naming `external_user_id,currency[,initial_balance]`, then one wallet per line.
    /// Trailing blank lines are ignored; a blank line inside, or one with the wrong number of fields, is refused by number.
    static func parseCSV(_ text: String) throws(ApprovalError) -> [ApprovalService.NewWallet] {
        // "\r\n" is one Character in Swift, and a newline like "\n": both end a line.
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
        guard let header = lines.first else { throw .invalidRequest("the file is empty") }
        let columns = try fields(header, line: 1).map { $0.trimmingWhitespace() }
        guard columns == ["external_user_id", "currency"] || columns == ["external_user_id", "currency", "initial_balance"]
        else {
            throw .invalidRequest("line 1: the header must be external_user_id,currency[,initial_balance], not \(header)")
        }
        var data = Array(lines.dropFirst())
        while data.last?.trimmingWhitespace().isEmpty == true { data.removeLast() }
        var wallets: [ApprovalService.NewWallet] = []
        for (offset, line) in data.enumerated() {
            let number = offset + 2
            // Entry k is line k + 1 (createWallets names refusals by that number), so blank lines are refused.
            guard !line.trimmingWhitespace().isEmpty else { throw .invalidRequest("line \(number) is empty") }
            let values = try fields(line, line: number)
            guard values.count == columns.count else {
                throw .invalidRequest("line \(number): \(values.count) fields, the header has \(columns.count)")
            }
            wallets.append(ApprovalService.NewWallet(externalUserID: values[0], currency: values[1],
                                                     initialBalance: values.count > 2 ? values[2] : "0"))
        }
        return wallets
    }

    /// One CSV line's fields (RFC 4180 quoting: `"a,b"`, `""` for a quote).
    static func fields(_ line: String, line number: Int) throws(ApprovalError) -> [String] {
        var fields: [String] = []
        var current = ""
        var quoted = false
        var characters = line.makeIterator()
        while let character = characters.next() {
            switch (character, quoted) {
            case ("\"", false) where current.isEmpty: quoted = true
            case ("\"", true):
                // "" inside quotes is one quote; a lone " ends the quoted part.
                var lookahead = characters
                if lookahead.next() == "\"" { current.append("\""); characters = lookahead } else { quoted = false }
            case (",", false):
                fields.append(current)
                current = ""
            default: current.append(character)
            }
        }
        guard !quoted else { throw .invalidRequest("line \(number): an unterminated quoted field") }
        fields.append(current)
        return fields
    }
}
