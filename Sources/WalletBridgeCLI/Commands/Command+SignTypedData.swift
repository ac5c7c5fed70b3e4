import BridgeCrypto
import BridgeDevices

extension Command {
    /// `walletbridge sign-typed-data --path P --file FILE [--mode full|hashed]`.
    static let signTypedData = Command(
        name: "sign-typed-data",
        abstract: "Sign EIP-712 typed data on the device.",
        discussion: """
            FILE holds eth_signTypedData_v4 JSON (types including EIP712Domain, primaryType, domain, message). \
            Prints {"signature": "0x" r s v, "address": ..., "domainHash": "0x...", "messageHash": "0x..." or null, \
            "digest": "0x..."}. --mode full (the default) sends every field so the device shows them one by one \
            (clear signing; a Ledger needs "Raw messages" or "Blind signing" enabled in the Ethereum app's settings); \
            --mode hashed sends only the domain hash and message hash (a Ledger needs "Blind signing"). Compare \
            the hashes with `walletbridge typed-data-hash`.

            Example:
              walletbridge sign-typed-data --path "m/44'/60'/0'/0/0" --file approval.json
            """,
        options: [
            .derivationPath,
            .value("file", "FILE", help: "The typed-data JSON file; - reads standard input.", required: true),
            .value("mode", "full|hashed", help: "full: every field shown on the device (clear signing); hashed: only the two hashes (blind signing).",
                   default: "full"),
        ],
        optionGroups: DeviceCommand.optionGroups,
        run: { arguments, io in
            let path = try arguments.derivationPath("path")
            let mode = try arguments.choice("mode", from: TypedDataSigningMode.allCases.map { ($0.rawValue, $0) }) ?? .full
            let typedData = try TypedData(jsonText: try io.readTextFile(atPath: try arguments.requiredValue("file")))
            // The device layer prompts ("Review each field, then confirm on your Ledger...") once the app is open.
            return try await DeviceCommand.withDevice(arguments, io) { wallet, options in
                try await wallet.signTypedData(path: path, typedData: typedData, mode: mode, options).json
            }
        }
    )
}
