import BridgeApprovals
import BridgeCore
import BridgeCrypto
import Testing

@Suite("Operator sessions: device-signed login, TTL, idle timeout, IP binding, revocation")
struct SessionTests {
    let harness: Harness
    let ann: TestOperator

    init() throws {
        harness = try Harness()
        ann = try harness.enroll("ann", keyNumber: 1)
    }

    func signIn(_ signer: TestOperator? = nil, ip: String = "10.0.0.1", bind: Bool = false)
        throws -> (token: String, session: OperatorSession)
    {
        let signer = signer ?? ann
        let challenge = try harness.service.loginChallenge(address: signer.record.address.checksummed)
        return try harness.service.createSession(nonce: challenge.nonce,
                                                 signature: try Harness.sign(challenge.document, with: signer.key),
                                                 clientIP: ip, bindToIP: bind)
    }

    @Test func aSignedChallengeGivesATokenWhoseHashAloneIsStored() throws {
        let challenge = try harness.service.loginChallenge(address: ann.record.address.checksummed.lowercased())
        #expect(challenge.nonce.count == 32)
        #expect(challenge.document["primaryType"] == "Login")
        #expect(challenge.document["message"]?.objectValue == [
            "operator": .string(ann.record.address.checksummed), "nonce": .string(Hex.encodePrefixed(challenge.nonce)),
            "issuedAt": .number(JSONNumber(harness.clock.now().secondsSinceEpoch)),
            "expiresAt": .number(JSONNumber(harness.clock.now().secondsSinceEpoch + 300)),
        ])
        let (token, session) = try harness.service.createSession(
            nonce: challenge.nonce, signature: try Harness.sign(challenge.document, with: ann.key), clientIP: "10.0.0.1")
        #expect(token.count == 64)
        #expect(session.tokenHash == Hash.sha256(try #require(Hex.decode(token))))
        #expect(session.operatorID == ann.id)
        #expect(session.expiresAt == harness.clock.now() + .seconds(8 * 3600))
        #expect(session.boundIP == nil)
        #expect(try harness.service.authenticate(token: token, clientIP: "10.9.9.9") == ann.record)
        let event = try #require(try harness.auditEvents().last)
        #expect(event.kind == "session.created")
        #expect(!event.payload.serialized().contains(token))
    }

    @Test func aChallengeIsSingleUse() throws {
        let challenge = try harness.service.loginChallenge(address: ann.record.address.checksummed)
        let signature = try Harness.sign(challenge.document, with: ann.key)
        _ = try harness.service.createSession(nonce: challenge.nonce, signature: signature, clientIP: "10.0.0.1")
        let failure = approvalError {
            _ = try harness.service.createSession(nonce: challenge.nonce, signature: signature, clientIP: "10.0.0.1")
        }
        #expect(failure == .challengeInvalid("the challenge was already used"))
    }

    @Test func aChallengeExpires() throws {
        let challenge = try harness.service.loginChallenge(address: ann.record.address.checksummed)
        let signature = try Harness.sign(challenge.document, with: ann.key)
        harness.clock.advance(by: .seconds(300))
        #expect(approvalError {
            _ = try harness.service.createSession(nonce: challenge.nonce, signature: signature, clientIP: "10.0.0.1")
        }?.type == "challenge_invalid")
    }

    @Test func aChallengeSignedByAnotherKeyIsRefused() throws {
        let challenge = try harness.service.loginChallenge(address: ann.record.address.checksummed)
        let failure = approvalError {
            _ = try harness.service.createSession(nonce: challenge.nonce,
                                                  signature: try Harness.sign(challenge.document, with: try Harness.key(77)),
                                                  clientIP: "10.0.0.1")
        }
        #expect(failure == .invalidSignature("the Login signature does not recover to ann's address"))
        // The failed attempt did not burn the challenge.
        #expect(try harness.service.createSession(nonce: challenge.nonce,
                                                  signature: try Harness.sign(challenge.document, with: ann.key),
                                                  clientIP: "10.0.0.1").session.operatorID == ann.id)
    }

    @Test func onlyActiveEnrolledOperatorsGetChallenges() throws {
        let stranger = Harness.address(try Harness.key(77)).checksummed
        #expect(approvalError { _ = try harness.service.loginChallenge(address: stranger) } == .notEnrolled(address: stranger))
        #expect(approvalError { _ = try harness.service.loginChallenge(address: "bob") }?.type == "invalid_request")
        try harness.service.revokeOperator(id: ann.id, actor: "admin:root")
        #expect(approvalError { _ = try harness.service.loginChallenge(address: ann.record.address.checksummed) }
            == .operatorRevoked(name: "ann"))
    }

    @Test func aSessionEndsAfterItsTTLEvenWhenUsed() throws {
        let (token, _) = try signIn()
        for _ in 0..<16 {  // used every 30 minutes minus a second, for 8 hours
            harness.clock.advance(by: .seconds(30 * 60 - 1))
            _ = try harness.service.authenticate(token: token, clientIP: "10.0.0.1")
        }
        harness.clock.advance(by: .seconds(16))  // 8 h exactly
        let failure = approvalError { _ = try harness.service.authenticate(token: token, clientIP: "10.0.0.1") }
        #expect(failure?.type == "session_invalid")
        #expect(failure?.message.contains("expired") == true)
    }

    @Test func anIdleSessionStopsWorking() throws {
        let (token, _) = try signIn()
        harness.clock.advance(by: .seconds(30 * 60 - 1))
        _ = try harness.service.authenticate(token: token, clientIP: "10.0.0.1")  // refreshes last use
        harness.clock.advance(by: .seconds(30 * 60 - 1))
        _ = try harness.service.authenticate(token: token, clientIP: "10.0.0.1")
        harness.clock.advance(by: .seconds(30 * 60))
        let failure = approvalError { _ = try harness.service.authenticate(token: token, clientIP: "10.0.0.1") }
        #expect(failure?.message.contains("idle") == true)
    }

    @Test func aBoundSessionWorksOnlyFromItsIP() throws {
        let (token, session) = try signIn(ip: "10.0.0.1", bind: true)
        #expect(session.boundIP == "10.0.0.1")
        let failure = approvalError { _ = try harness.service.authenticate(token: token, clientIP: "10.0.0.2") }
        #expect(failure == .sessionInvalid("the session is bound to another client IP"))
        #expect(try harness.service.authenticate(token: token, clientIP: "10.0.0.1").id == ann.id)
    }

    @Test func aRevokedSessionStopsWorking() throws {
        let (token, _) = try signIn()
        let (other, _) = try signIn()
        try harness.service.revokeSession(token: token)
        #expect(try harness.auditEvents().last?.kind == "session.revoked")
        let failure = approvalError { _ = try harness.service.authenticate(token: token, clientIP: "10.0.0.1") }
        #expect(failure?.message.contains("revoked") == true)
        // Other sessions of the same operator are unaffected.
        #expect(try harness.service.authenticate(token: other, clientIP: "10.0.0.1").id == ann.id)
    }

    @Test func revokingTheOperatorEndsTheirSessions() throws {
        let (token, _) = try signIn()
        try harness.service.revokeOperator(id: ann.id, actor: "admin:root")
        let failure = approvalError { _ = try harness.service.authenticate(token: token, clientIP: "10.0.0.1") }
        #expect(failure == .sessionInvalid("operator ann was revoked"))
    }

    @Test func unknownAndMalformedTokensAreRefused() throws {
        #expect(approvalError { _ = try harness.service.authenticate(token: "abc", clientIP: "1") }
            == .sessionInvalid("the token is not 64 hex digits"))
        #expect(approvalError { _ = try harness.service.authenticate(token: String(repeating: "0", count: 64), clientIP: "1") }
            == .sessionInvalid("unknown token"))
        #expect(approvalError { try harness.service.revokeSession(token: String(repeating: "0", count: 64)) }
            == .sessionInvalid("unknown token"))
    }
}
