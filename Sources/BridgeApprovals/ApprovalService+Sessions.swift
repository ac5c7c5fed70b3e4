import BridgeCore
import BridgeCrypto

extension ApprovalService {
    /// Issues a single-use EIP-712 `Login` challenge for the active operator at `address`, valid for
    /// ``ApprovalConfiguration/loginChallengeLifetime``. Challenges grant nothing until signed, so they are not
    /// audited (anyone who knows an address could otherwise flood the audit log); sessions are.
    public func loginChallenge(address: String) throws(ApprovalError) -> (nonce: [UInt8], document: JSONValue) {
        let parsed: EthereumAddress
        do {
            parsed = try EthereumAddress(parsing: address)
        } catch {
            throw .invalidRequest(error.message)
        }
        return try store.transaction { transaction throws(ApprovalError) in
            let now = clock.now()
            guard let record = try transaction.operatorRecord(address: parsed.checksummed) else {
                throw .notEnrolled(address: parsed.checksummed)
            }
            guard record.status == .active else { throw .operatorRevoked(name: record.name) }
            let challenge = LoginChallenge(nonce: try randomBytes(32), operatorID: record.id, issuedAt: now,
                                           expiresAt: now + configuration.loginChallengeLifetime)
            try transaction.insertChallenge(challenge)
            // Only the newest few can matter (an operator signs one at a time): a flood for one address replaces
            // its own rows instead of adding to them.
            try transaction.deleteChallenges(operatorID: record.id, keeping: Self.unusedChallengesKept)
            let message = typedData.loginMessage(operatorAddress: record.address, challenge: challenge)
            return (challenge.nonce, typedData.document(.login, message: message))
        }
    }

    /// Redeems a signed login challenge for a session: the challenge must be unused and unexpired and the signature
    /// must recover to its operator. Returns the bearer token (32 random bytes as hex, shown once; only its SHA-256
    /// is stored), valid for ``ApprovalConfiguration/sessionTTL`` and while used at least every
    /// ``ApprovalConfiguration/idleTimeout``; with `bindToIP` only from `clientIP`.
    public func createSession(nonce: [UInt8], signature: [UInt8], clientIP: String, bindToIP: Bool = false)
        throws(ApprovalError) -> (token: String, session: OperatorSession)
    {
        let parsedSignature = try Self.parseSignature(signature)
        return try store.transaction { transaction throws(ApprovalError) in
            let now = clock.now()
            guard var challenge = try transaction.challenge(nonce: nonce) else {
                throw .challengeInvalid("unknown nonce")
            }
            guard challenge.usedAt == nil else { throw .challengeInvalid("the challenge was already used") }
            guard now < challenge.expiresAt else {
                throw .challengeInvalid("the challenge expired at \(challenge.expiresAt.rfc3339)")
            }
            guard let record = try transaction.operatorRecord(id: challenge.operatorID) else {
                throw .challengeInvalid("its operator no longer exists")
            }
            guard record.status == .active else { throw .operatorRevoked(name: record.name) }
            let digest = try typedData.digest(.login, message: typedData.loginMessage(operatorAddress: record.address,
                                                                                      challenge: challenge))
            guard try Self.recoverSigner(parsedSignature, digest: digest) == record.address else {
                throw .invalidSignature("the Login signature does not recover to \(record.name)'s address")
            }
            challenge.usedAt = now
            try transaction.updateChallenge(challenge)

            let token = try randomBytes(32)
            let session = OperatorSession(tokenHash: Hash.sha256(token), operatorID: record.id, createdAt: now,
                                          expiresAt: now + configuration.sessionTTL, lastUsedAt: now,
                                          boundIP: bindToIP ? clientIP : nil)
            try transaction.insertSession(session)
            var payload: JSONObject = [
                "operator_id": .string(record.id), "name": .string(record.name),
                "token_sha256": .string(Hex.encode(session.tokenHash)), "expires_at": .string(session.expiresAt.rfc3339),
                "client_ip": .string(clientIP),
            ]
            payload["bound_ip"] = session.boundIP.map(JSONValue.string) ?? .null
            try ChangeRecorder(transaction: transaction, time: now, actor: "operator:" + record.id)
                .audit("session.created", payload)
            return (Hex.encode(token), session)
        }
    }

    /// The operator a bearer token belongs to, refreshing its last use. `session_invalid`, naming why, for an
    /// unknown, revoked, expired or idle token, one used from another IP than it is bound to, or a revoked operator.
    ///
    /// The check is a read. The last use is written at most once per ``sessionActivityResolution`` (so an operator
    /// polling `GET /operator/transfers` does not cost a durable write per request); the idle timeout is therefore
    /// exact to within that resolution. Refreshing the last use is bookkeeping and is not audited.
    public func authenticate(token: String, clientIP: String) throws(ApprovalError) -> Operator {
        guard let tokenBytes = Hex.decode(token), tokenBytes.count == 32 else {
            throw .sessionInvalid("the token is not 64 hex digits")
        }
        let tokenHash = Hash.sha256(tokenBytes)
        let now = clock.now()
        let (record, session) = try store.read { transaction throws(ApprovalError) in
            try Self.liveSession(tokenHash: tokenHash, clientIP: clientIP, now: now,
                                 idleTimeout: configuration.idleTimeout, in: transaction)
        }
        guard now - session.lastUsedAt >= Self.sessionActivityResolution else { return record }
        return try store.transaction { transaction throws(ApprovalError) in
            // Checked again under the writer's lock: a revocation may have committed since the read.
            let (record, liveSession) = try Self.liveSession(tokenHash: tokenHash, clientIP: clientIP, now: now,
                                                         idleTimeout: configuration.idleTimeout, in: transaction)
            if liveSession.lastUsedAt < now {
                var refreshed = liveSession
                refreshed.lastUsedAt = now
                try transaction.updateSession(refreshed)
            }
            return record
        }
    }

    /// The operator of a live session, read only: unlike ``authenticate(token:clientIP:)`` it never records use, so
    /// a long-lived event stream checking its session does not keep an idle operator signed in.
    public func sessionOperator(token: String, clientIP: String) throws(ApprovalError) -> Operator {
        guard let tokenBytes = Hex.decode(token), tokenBytes.count == 32 else {
            throw .sessionInvalid("the token is not 64 hex digits")
        }
        let tokenHash = Hash.sha256(tokenBytes)
        let now = clock.now()
        return try store.read { transaction throws(ApprovalError) in
            try Self.liveSession(tokenHash: tokenHash, clientIP: clientIP, now: now,
                                 idleTimeout: configuration.idleTimeout, in: transaction).0
        }
    }

    /// How stale a session's recorded last use may get before a request writes it again.
    public static let sessionActivityResolution: Duration = .seconds(60)

    /// Unused login challenges kept per operator; older unused ones are deleted when a new one is issued.
    public static let unusedChallengesKept = 16

    /// The session behind `tokenHash` and its operator, when the session may be used now from `clientIP`.
    private static func liveSession(tokenHash: [UInt8], clientIP: String, now: Timestamp, idleTimeout: Duration,
                                    in transaction: any StoreTransaction) throws(ApprovalError) -> (Operator, OperatorSession) {
        guard let session = try transaction.session(tokenHash: tokenHash) else {
            throw .sessionInvalid("unknown token")
        }
        if let revokedAt = session.revokedAt {
            // Revoking an operator ends their sessions too: say so, it tells the operator more than a time.
            if let record = try transaction.operatorRecord(id: session.operatorID), record.status == .revoked {
                throw .sessionInvalid("operator \(record.name) was revoked")
            }
            throw .sessionInvalid("the session was revoked at \(revokedAt.rfc3339)")
        }
        guard now < session.expiresAt else {
            throw .sessionInvalid("the session expired at \(session.expiresAt.rfc3339)")
        }
        guard now - session.lastUsedAt < idleTimeout else {
            throw .sessionInvalid("the session was idle since \(session.lastUsedAt.rfc3339)")
        }
        if let boundIP = session.boundIP, boundIP != clientIP {
            throw .sessionInvalid("the session is bound to another client IP")
        }
        guard let record = try transaction.operatorRecord(id: session.operatorID) else {
            throw .sessionInvalid("its operator no longer exists")
        }
        guard record.status == .active else { throw .sessionInvalid("operator \(record.name) was revoked") }
        return (record, session)
    }

    /// Deletes the login challenges and sessions that have expired: nothing can use them any more, and without this
    /// every challenge ever asked for would stay in the database. The service runs it at start and every minute.
    @discardableResult
    public func pruneExpiredCredentials() throws(ApprovalError) -> (challenges: Int, sessions: Int) {
        try store.transaction { transaction throws(ApprovalError) in
            try transaction.deleteExpiredCredentials(before: clock.now())
        }
    }

    /// Ends a session at once (sign out, or an admin cutting access). `session_invalid` for an unknown token.
    public func revokeSession(token: String, actor: String? = nil) throws(ApprovalError) {
        guard let tokenBytes = Hex.decode(token), tokenBytes.count == 32 else {
            throw .sessionInvalid("the token is not 64 hex digits")
        }
        let tokenHash = Hash.sha256(tokenBytes)
        try store.transaction { transaction throws(ApprovalError) in
            guard var session = try transaction.session(tokenHash: tokenHash) else {
                throw .sessionInvalid("unknown token")
            }
            guard session.revokedAt == nil else { return }
            let now = clock.now()
            session.revokedAt = now
            try transaction.updateSession(session)
            try ChangeRecorder(transaction: transaction, time: now, actor: actor ?? "operator:" + session.operatorID)
                .audit("session.revoked", [
                    "operator_id": .string(session.operatorID), "token_sha256": .string(Hex.encode(tokenHash)),
                ])
        }
    }
}
