import BridgeCore
import BridgeCrypto

extension Command {
    /// `walletbridge typed-data-hash --file FILE`: the EIP-712 hashes of typed data, without a device.
    static let typedDataHash = Command(
        name: "typed-data-hash",
        abstract: "Compute the EIP-712 domain hash, message hash and digest of typed data (no device needed).",
        discussion: """
            FILE holds eth_signTypedData_v4 JSON: types (including EIP712Domain), primaryType, domain and message. \
            Prints {"domainHash": "0x...", "messageHash": "0x..." or null, "digest": "0x..."}. The digest is \
            keccak256(0x19 0x01 || domainHash || messageHash), what a device signs; messageHash is null when \
            primaryType is EIP712Domain. Compare the hashes with what a Ledger or Trezor shows before signing.

            Example:
              walletbridge typed-data-hash --file mail.json
            """,
        options: [
            .value("file", "FILE", help: "The typed-data JSON file; - reads standard input.", required: true),
        ],
        run: { arguments, io in
            let text = try io.readTextFile(atPath: try arguments.requiredValue("file"))
            let hashes = try TypedData(jsonText: text).hashes()
            return [
                "domainHash": .string(Hex.encodePrefixed(hashes.domainHash)),
                "messageHash": hashes.messageHash.map { .string(Hex.encodePrefixed($0)) } ?? .null,
                "digest": .string(Hex.encodePrefixed(hashes.digest)),
            ]
        }
    )
}
