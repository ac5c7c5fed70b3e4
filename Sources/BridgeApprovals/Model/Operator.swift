import BridgeCrypto

/// What an operator may do. Admins may also approve.
public enum OperatorRole: String, Sendable, Codable, CaseIterable, Comparable {
    case approver, admin

    public static func < (lhs: OperatorRole, rhs: OperatorRole) -> Bool { lhs == .approver && rhs == .admin }
}

/// A desk operator, known only by what their device gave: address, public key and derivation path.
/// No secret of theirs is ever stored.
public struct Operator: Sendable, Hashable {
    public enum Status: String, Sendable, Codable { case active, revoked }

    public let id: String
    public let name: String
    public var role: OperatorRole
    public let address: EthereumAddress
    /// Compressed SEC1 public key recovered from the enrolment signature.
    public let publicKey: [UInt8]
    /// The path the key was derived at, e.g. m/44'/60'/0'/0/0.
    public let path: String
    public var status: Status
    public let enrolledAt: Timestamp
    public var revokedAt: Timestamp?

    public init(id: String, name: String, role: OperatorRole, address: EthereumAddress, publicKey: [UInt8], path: String,
                status: Status = .active, enrolledAt: Timestamp, revokedAt: Timestamp? = nil) {
        self.id = id
        self.name = name
        self.role = role
        self.address = address
        self.publicKey = publicKey
        self.path = path
        self.status = status
        self.enrolledAt = enrolledAt
        self.revokedAt = revokedAt
    }
}

/// A one-time, expiring invitation to enrol with a role. Only the SHA-256 of its code is stored.
public struct Invite: Sendable, Hashable {
    public let codeHash: [UInt8]
    public let role: OperatorRole
    public let createdAt: Timestamp
    public let expiresAt: Timestamp
    public var usedAt: Timestamp?
    public var usedByOperatorID: String?

    public init(codeHash: [UInt8], role: OperatorRole, createdAt: Timestamp, expiresAt: Timestamp,
                usedAt: Timestamp? = nil, usedByOperatorID: String? = nil) {
        self.codeHash = codeHash
        self.role = role
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.usedAt = usedAt
        self.usedByOperatorID = usedByOperatorID
    }
}

/// A login challenge: the operator's device signs an EIP-712 `Login` over it. Single use.
public struct LoginChallenge: Sendable, Hashable {
    public let nonce: [UInt8]
    public let operatorID: String
    public let issuedAt: Timestamp
    public let expiresAt: Timestamp
    public var usedAt: Timestamp?

    public init(nonce: [UInt8], operatorID: String, issuedAt: Timestamp, expiresAt: Timestamp, usedAt: Timestamp? = nil) {
        self.nonce = nonce
        self.operatorID = operatorID
        self.issuedAt = issuedAt
        self.expiresAt = expiresAt
        self.usedAt = usedAt
    }
}

/// A signed-in operator: a random bearer token whose SHA-256 alone is stored.
public struct OperatorSession: Sendable, Hashable {
    public let tokenHash: [UInt8]
    public let operatorID: String
    public let createdAt: Timestamp
    public let expiresAt: Timestamp
    public var lastUsedAt: Timestamp
    /// When set, the token works only from this client address.
    public let boundIP: String?
    public var revokedAt: Timestamp?

    public init(tokenHash: [UInt8], operatorID: String, createdAt: Timestamp, expiresAt: Timestamp, lastUsedAt: Timestamp,
                boundIP: String?, revokedAt: Timestamp? = nil) {
        self.tokenHash = tokenHash
        self.operatorID = operatorID
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.lastUsedAt = lastUsedAt
        self.boundIP = boundIP
        self.revokedAt = revokedAt
    }
}
