import BridgeDevices

extension Command {
    /// `walletbridge address --path P [--coin eth|btc] [--script S] [--network N] [--display]`.
    static let address = Command(
        name: "address",
        abstract: "Show the address and public key of a path on the device.",
        discussion: """
            Prints {"address": ..., "path": ..., "publicKey": "0x..."}: the address in its own format (EIP-55 for \
            Ethereum; Base58 or Bech32 for Bitcoin) and the compressed public key. With --display the device shows \
            the address and waits for you to confirm that it matches.

            Examples:
              walletbridge address --path "m/44'/60'/0'/0/0"
              walletbridge address --coin btc --path "m/84'/0'/0'/0/0" --display
            """,
        options: [
            .derivationPath, .coin, .script, .network,
            .flag("display", help: "Show the address on the device and wait for the user to confirm it."),
        ],
        optionGroups: DeviceCommand.optionGroups,
        run: { arguments, io in
            let coin = try arguments.coin()
            let request = AddressRequest(
                path: try arguments.derivationPath("path"), coin: coin, script: try arguments.scriptType(for: coin),
                network: try arguments.network(), display: arguments.flag("display"))
            // The device layer says when to compare and confirm: after any app switch it asks for first.
            return try await DeviceCommand.withDevice(arguments, io) { wallet, options in
                try await wallet.address(request, options).json
            }
        }
    )
}
