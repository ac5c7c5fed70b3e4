import BridgeApprovals
import BridgeCore

/// The EIP-712 `OperatorRevocation` the service sends an admin, checked before the device sees it and told on standard
/// error, so the admin compares it with what the device shows.
struct OperatorRevocationDocument: Sendable {
    let document: JSONValue
    let message: JSONObject
    /// The message's nonce and expiry, submitted with the signature so the service can rebuild the document.
    let nonce: String
    let expiresAt: JSONNumber

    /// Accepts only an `OperatorRevocation` of `name` carrying exactly `reason`, with a nonce and an expiry: a service
    /// that answers with another operator's revocation (or another reason) gets no signature.
    init(_ document: JSONValue, name: String, reason: String) throws(GenericBridgeError) {
        guard let message = document["message"]?.objectValue,
              document["primaryType"]?.stringValue == "OperatorRevocation"
        else {
            throw GenericBridgeError(.protocolError, "The service sent no OperatorRevocation document for \(name)",
                                     hint: "Refusing to sign it. Check that --server points at your WalletBridge service.")
        }
        guard message["name"]?.stringValue == name, message["reason"]?.stringValue == reason else {
            throw GenericBridgeError(
                .protocolError,
                "The service's OperatorRevocation is for \(message["name"]?.stringValue ?? "?") with reason "
                    + "'\(message["reason"]?.stringValue ?? "?")', not \(name) with the reason you gave",
                hint: "Refusing to sign it. Check that --server points at your WalletBridge service.")
        }
        guard let nonce = message["nonce"]?.stringValue, Hex.decode(nonce)?.count == 32,
              let expiresAt = message["expiresAt"]?.numberValue, expiresAt.int64Value != nil,
              message["operator"]?.stringValue != nil
        else {
            throw GenericBridgeError(.protocolError, "The service's OperatorRevocation lacks its operator, nonce or expiry",
                                     hint: "Check that --server points at a WalletBridge service of the same version as this CLI.")
        }
        self.document = document
        self.message = message
        self.nonce = nonce
        self.expiresAt = expiresAt
    }

    /// What the admin reads before confirming: who, which address, why, and until when the signature is accepted.
    var summary: [String] {
        let expiry = expiresAt.int64Value.map { Timestamp(secondsSinceEpoch: $0).rfc3339 } ?? expiresAt.text
        return [
            "Revoke operator \(message["name"]?.stringValue ?? "?") (\(message["operator"]?.stringValue ?? "?"))",
            "  reason: \(message["reason"]?.stringValue ?? "")",
            "  their sessions end at once; their approvals on pending orders stop counting",
            "  signature accepted until \(expiry)",
        ]
    }
}
