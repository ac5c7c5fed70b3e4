import BridgeCore
import BridgeCrypto

extension ApprovalTypedData {
    /// The `OperatorRevocation` message an admin's device signs to revoke an operator: the operator's STORED address and
    /// name, the admin's reason, a random nonce and an expiry in Unix seconds. Plain types only (address, string,
    /// bytes32, uint64), so a Ledger or Trezor shows every field as it is.
    public func operatorRevocationMessage(operatorAddress: EthereumAddress, name: String, reason: String,
                                          nonce: [UInt8], expiresAt: Timestamp) -> JSONObject {
        [
            "operator": .string(operatorAddress.checksummed),
            "name": .string(name),
            "reason": .string(reason),
            "nonce": .string(Hex.encodePrefixed(nonce)),
            "expiresAt": .number(JSONNumber(expiresAt.secondsSinceEpoch)),
        ]
    }
}
