import BridgeCore
import BridgeCrypto

extension ApprovalService {
    /// Creates a one-time invite to enrol with `role`, valid for ``ApprovalConfiguration/inviteLifetime``.
    /// Returns the code, which is shown once: only its SHA-256 is stored.
    public func createInvite(role: OperatorRole, actor: String) throws(ApprovalError) -> String {
        try store.transaction { transaction throws(ApprovalError) in
            let now = clock.now()
            let code = Hex.encode(try randomBytes(16))
            let invite = Invite(codeHash: Self.inviteHash(code), role: role, createdAt: now,
                                expiresAt: now + configuration.inviteLifetime)
            try transaction.insertInvite(invite)
            try ChangeRecorder(transaction: transaction, time: now, actor: actor).audit("invite.created", [
                "role": .string(role.rawValue), "code_sha256": .string(Hex.encode(invite.codeHash)),
                "expires_at": .string(invite.expiresAt.rfc3339),
            ])
            return code
        }
    }

    /// The EIP-712 `Enrollment` the operator's device signs: name, invite, its address and derivation path.
    public func enrollmentDocument(name: String, invite: String, address: String, path: String)
        throws(ApprovalError) -> JSONValue
    {
        let address = try Self.validateEnrollment(name: name, invite: invite, address: address, path: path)
        return typedData.document(.enrollment, message: typedData.enrollmentMessage(
            name: name, invite: invite, address: address, path: path))
    }

    /// Enrols an operator: the signature over the `Enrollment` must recover to `address`, the invite must be unused
    /// and unexpired, the name and address new. Stores the address and the compressed public key, nothing secret.
    @discardableResult
    public func enroll(name: String, invite: String, address: String, path: String, signature: [UInt8])
        throws(ApprovalError) -> Operator
    {
        let claimed = try Self.validateEnrollment(name: name, invite: invite, address: address, path: path)
        let digest = try typedData.digest(.enrollment, message: typedData.enrollmentMessage(
            name: name, invite: invite, address: claimed, path: path))
        let publicKey: PublicKey
        do {
            publicKey = try EthereumSignature(bytes: signature).recoverPublicKey(digest: digest)
        } catch {
            throw .invalidSignature(error.message)
        }
        guard EthereumAddress(publicKey: publicKey) == claimed else {
            throw .invalidSignature("the Enrollment signature does not recover to \(claimed.checksummed)")
        }

        return try store.transaction { transaction throws(ApprovalError) in
            let now = clock.now()
            guard var stored = try transaction.invite(codeHash: Self.inviteHash(invite)) else {
                throw .inviteInvalid("unknown invite code")
            }
            guard stored.usedAt == nil else { throw .inviteInvalid("the invite was already used") }
            guard now < stored.expiresAt else { throw .expired("The invite (valid until \(stored.expiresAt.rfc3339))") }
            guard try transaction.operatorRecord(name: name) == nil else {
                throw .invalidRequest("an operator named \(name) already exists")
            }
            guard try transaction.operatorRecord(address: claimed.checksummed) == nil else {
                throw .invalidRequest("\(claimed.checksummed) is already enrolled")
            }
            let record = Operator(id: try randomIdentifier(prefix: "op-"), name: name, role: stored.role,
                                  address: claimed, publicKey: publicKey.compressed, path: path, enrolledAt: now)
            try transaction.insertOperator(record)
            stored.usedAt = now
            stored.usedByOperatorID = record.id
            try transaction.updateInvite(stored)
            try ChangeRecorder(transaction: transaction, time: now, actor: "operator:" + record.id)
                .audit("operator.enrolled", [
                    "operator_id": .string(record.id), "name": .string(name), "role": .string(record.role.rawValue),
                    "address": .string(claimed.checksummed), "public_key": .string(Hex.encodePrefixed(record.publicKey)),
                    "path": .string(path), "invite_sha256": .string(Hex.encode(stored.codeHash)),
                ])
            return record
        }
    }

    /// Every operator, active and revoked, in enrolment order.
    public func operators() throws(ApprovalError) -> [Operator] {
        try store.read { transaction throws(ApprovalError) in try transaction.allOperators() }
    }

    static func inviteHash(_ code: String) -> [UInt8] { Hash.sha256(Array(code.utf8)) }

    /// Checks the enrolment's fields and returns the parsed address.
    static func validateEnrollment(name: String, invite: String, address: String, path: String)
        throws(ApprovalError) -> EthereumAddress
    {
        try validateIdentifier(name, what: "the operator name")
        try validateIdentifier(invite, what: "the invite code")
        try validateIdentifier(path, what: "the derivation path")
        do {
            return try EthereumAddress(parsing: address)
        } catch {
            throw .invalidRequest(error.message)
        }
    }
}
