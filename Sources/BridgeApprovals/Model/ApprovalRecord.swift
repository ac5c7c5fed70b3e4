/// One operator's signed decision on one order.
public struct ApprovalRecord: Sendable, Hashable {
    public enum Decision: String, Sendable, Codable { case approve, reject }

    public let orderID: String
    public let operatorID: String
    public let decision: Decision
    /// The 65-byte r || s || v signature over the EIP-712 TransferApproval (or TransferRejection).
    public let signature: [UInt8]
    public let createdAt: Timestamp
    public let reason: String?

    public init(orderID: String, operatorID: String, decision: Decision, signature: [UInt8], createdAt: Timestamp,
                reason: String? = nil) {
        self.orderID = orderID
        self.operatorID = operatorID
        self.decision = decision
        self.signature = signature
        self.createdAt = createdAt
        self.reason = reason
    }
}
