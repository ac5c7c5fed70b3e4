extension Command {
    /// `walletbridge`: the root of the command tree. A new command is added to `subcommands` here.
    static let walletbridge = Command(
        name: "walletbridge",
        abstract: "Hardware-wallet bridge and transfer-approval service (Ledger, Trezor).",
        discussion: """
            Every command prints exactly one JSON document on standard output; progress and prompts go to \
            standard error. Success exits 0. A failure prints {"error": ..., "code": ..., "hint": ...} and exits 1; \
            a mistake in the command line does the same with exit 2.
            """,
        subcommands: [
            .enumerate,
            .address,
            .extendedPublicKey,
            .signMessage,
            .signTypedData,
            .typedDataHash,
            .simulate,
            .doctor,
            .udev,
            .serve,
            .audit,
            .admin,
            .operator,
            .bridge,
        ],
        version: WalletBridgeCLI.version
    )
}
