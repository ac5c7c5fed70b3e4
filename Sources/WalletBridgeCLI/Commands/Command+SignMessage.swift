import BridgeCore
import BridgeDevices

extension Command {
    /// `walletbridge sign-message --path P (--message TEXT | --message-hex HEX) [--coin eth|btc] [--script S]`.
    static let signMessage = Command(
        name: "sign-message",
        abstract: "Sign a message on the device (Ethereum personal_sign, Bitcoin BIP-137).",
        discussion: """
            The device shows the message and signs it once you confirm. Ethereum (EIP-191 personal_sign) prints \
            {"signature": "0x" r s v (v 27/28), "address": ...}; Bitcoin prints {"signature": base64 BIP-137, \
            "address": ...}, the signature exactly as the device returned it. --message signs the UTF-8 bytes of \
            TEXT; --message-hex signs raw bytes.

            Examples:
              walletbridge sign-message --path "m/44'/60'/0'/0/0" --message "hello"
              walletbridge sign-message --coin btc --path "m/84'/0'/0'/0/0" --message-hex 74657374
            """,
        options: [
            .derivationPath,
            .value("message", "TEXT", help: "The message, as text (signed as its UTF-8 bytes)."),
            .value("message-hex", "HEX", help: "The message as hex bytes (with or without 0x)."),
            .coin, .script, .network,
        ],
        optionGroups: DeviceCommand.optionGroups,
        run: { arguments, io in
            let coin = try arguments.coin()
            let request = MessageSigningRequest(
                path: try arguments.derivationPath("path"), message: try messageBytes(arguments), coin: coin,
                script: try arguments.scriptType(for: coin), network: try arguments.network())
            // "Confirm on your Ledger..." comes from the device layer once the right app is open, so the user is not
            // told to confirm a signature while the device asks to open an app.
            return try await DeviceCommand.withDevice(arguments, io) { wallet, options in
                try await wallet.signMessage(request, options).json
            }
        }
    )

    /// The message of `--message` or `--message-hex`: exactly one of them.
    private static func messageBytes(_ arguments: ParsedArguments) throws(UsageError) -> [UInt8] {
        switch (arguments.value("message"), arguments.value("message-hex")) {
        case (let text?, nil):
            return Array(text.utf8)
        case (nil, let hex?):
            guard let bytes = Hex.decode(hex) else {
                throw UsageError("--message-hex '\(hex)' is not an even number of hex digits", about: arguments.commandLine)
            }
            return bytes
        case (nil, nil):
            throw UsageError("Give the message with --message TEXT or --message-hex HEX", about: arguments.commandLine)
        case (_?, _?):
            throw UsageError("Give either --message or --message-hex, not both", about: arguments.commandLine)
        }
    }
}
