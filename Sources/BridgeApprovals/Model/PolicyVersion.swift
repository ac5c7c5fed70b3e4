import BridgeCore

/// One version of the transfer policy set, as the database keeps it: the configuration's `policies` are version 1,
/// every later version is proposed by an admin and takes effect once enough admins signed its EIP-712 `PolicyChange`
/// on their devices.
///
/// A stored version's text never changes, so its number names one policy for good: orders record the version that
/// decided them, and a parsed set can be cached by number.
public struct PolicyVersion: Sendable, Hashable {
    /// Where a version stands. Exactly one version is `effective` once the service has seeded the first.
    public enum Status: String, Sendable, Codable, CaseIterable {
        /// Waiting for admins' signatures until `expiresAt`.
        case proposed
        /// Decides transfers received from `effectiveAt` on.
        case effective
        /// Was effective, or was proposed before a later version took effect; no longer anything.
        case superseded
        /// Proposed, but not enough admins signed before `expiresAt`.
        case expired
    }

    /// 1, 2, 3, ... in proposal order.
    public let version: Int
    /// The policy set's JSON as canonical text (sorted keys, no whitespace, numbers as written): exactly what was
    /// proposed, so the hash admins sign is the hash of what they read.
    public let policyJSON: String
    /// keccak256 of `policyJSON`'s UTF-8 bytes: the `policyHash` of the `PolicyChange` admins sign.
    public let hash: [UInt8]
    public var status: Status
    /// The admin who proposed it (an operator id); nil for the version seeded from the configuration.
    public let proposedBy: String?
    /// Why it exists when no admin proposed it, e.g. "seeded from the configuration".
    public let note: String?
    public let createdAt: Timestamp
    /// Signatures count until then; nil for a seeded version, which nobody signs.
    public let expiresAt: Timestamp?
    /// 32 random bytes bound into the version's `PolicyChange`, so a signature never counts for another proposal
    /// (even one of the same policy).
    public let nonce: [UInt8]
    /// When it became effective.
    public var effectiveAt: Timestamp?

    public init(version: Int, policyJSON: String, hash: [UInt8], status: Status, proposedBy: String?, note: String? = nil,
                createdAt: Timestamp, expiresAt: Timestamp?, nonce: [UInt8], effectiveAt: Timestamp? = nil) {
        self.version = version
        self.policyJSON = policyJSON
        self.hash = hash
        self.status = status
        self.proposedBy = proposedBy
        self.note = note
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.nonce = nonce
        self.effectiveAt = effectiveAt
    }

    /// The status as of `time`: a proposal whose window has closed reads as expired before anything records it.
    public func status(at time: Timestamp) -> Status {
        if status == .proposed, let expiresAt, time >= expiresAt { return .expired }
        return status
    }
}

/// One admin's device signature on a version's `PolicyChange`.
public struct PolicyApproval: Sendable, Hashable {
    public let version: Int
    public let operatorID: String
    /// The 65-byte r || s || v signature over the version's `PolicyChange`.
    public let signature: [UInt8]
    public let createdAt: Timestamp

    public init(version: Int, operatorID: String, signature: [UInt8], createdAt: Timestamp) {
        self.version = version
        self.operatorID = operatorID
        self.signature = signature
        self.createdAt = createdAt
    }
}
