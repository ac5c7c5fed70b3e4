extension Command {
    /// `walletbridge`: the root of the whole command tree.
    static let walletbridge = root(subcommands: topLevel.map { $0.make() })

    /// The top-level commands in help order, each built only when asked for. A new command is added here.
    static let topLevel: [(name: String, make: @Sendable () -> Command)] = [
        ("enumerate", { .enumerate }),
        ("address", { .address }),
        ("xpub", { .extendedPublicKey }),
        ("sign-message", { .signMessage }),
        ("sign-typed-data", { .signTypedData }),
        ("typed-data-hash", { .typedDataHash }),
        ("simulate", { .simulate }),
        ("doctor", { .doctor }),
        ("udev", { .udev }),
        ("serve", { .serve }),
        ("audit", { .audit }),
        ("admin", { .admin }),
        ("operator", { .operator }),
        ("bridge", { .bridge }),
    ]

    /// The tree to parse `arguments` against: when they start with a top-level command's name, the root with only
    /// that command, and for `--version` alone the root with none, so a command line builds the commands it names
    /// and not every command's options and help (about half of `walletbridge --version`'s CPU time before, in
    /// `make bench-cli`'s profile). Anything else (nothing, `--help`, a mistyped name) gets the whole tree, whose
    /// listing and suggestions need it.
    static func tree(for arguments: [String]) -> Command {
        if arguments == ["--version"] { return root(subcommands: []) }
        guard let first = arguments.first, let entry = topLevel.first(where: { $0.name == first }) else { return walletbridge }
        return root(subcommands: [entry.make()])
    }

    private static func root(subcommands: [Command]) -> Command {
        Command(
            name: "walletbridge",
            abstract: "Hardware-wallet bridge and transfer-approval service (Ledger, Trezor).",
            discussion: """
                Every command prints exactly one JSON document on standard output; progress and prompts go to \
                standard error. Success exits 0. A failure prints {"error": ..., "code": ..., "hint": ...} and exits 1; \
                a mistake in the command line does the same with exit 2.
                """,
            subcommands: subcommands,
            version: WalletBridgeCLI.version
        )
    }
}
