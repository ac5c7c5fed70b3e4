import BridgeDevices

extension Command {
    /// `walletbridge xpub --path P [--network main|test]`.
    static let extendedPublicKey = Command(
        name: "xpub",
        abstract: "Show the extended public key (xpub) of a path and the master key's fingerprint.",
        discussion: """
            Prints {"xpub": ..., "publicKey": "0x...", "chainCode": "0x...", "fingerprint": "8 hex digits"}. The \
            xpub is the BIP-32 serialization (xpub... for --network main, the default; tpub... for test); the \
            fingerprint is the master key's, as HWI prints it.

            Example:
              walletbridge xpub --path "m/84'/0'/0'"
            """,
        options: [.derivationPath, .network],
        optionGroups: DeviceCommand.optionGroups,
        run: { arguments, io in
            let path = try arguments.derivationPath("path")
            let network = try arguments.network()
            return try await DeviceCommand.withDevice(arguments, io) { wallet, options in
                try await wallet.extendedPublicKey(path: path, network: network, options).json
            }
        }
    )
}
