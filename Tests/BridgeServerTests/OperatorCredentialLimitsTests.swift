import BridgeApprovals
import BridgeCore
import BridgeCrypto
import BridgeServer
import Testing

/// `POST /operator/challenge` needs no authentication: it is rationed per client address, its rows are bounded per
/// operator and deleted once expired; an authenticated request writes the session's last use at most once a minute.
@Suite("Operator API: challenge limits, pruning, session activity")
struct OperatorCredentialLimitsTests {
    func challenge(_ api: OperatorAPI, address: String, from client: String) -> HTTPResponse {
        let request = HTTPRequest(method: "POST", path: "/operator/challenge",
                                  body: Array(JSONValue.object(["address": .string(address)]).serialized().utf8),
                                  clientAddress: client)
        return APIFixture.call(api.endpoints, "POST", "/operator/challenge", request)
    }

    @Test("A token bucket per key: the burst, then one every 60/N s, with the wait to send as Retry-After")
    func rateLimiter() {
        let clock = ManualClock(Timestamp(secondsSinceEpoch: 1_795_000_000))
        let limiter = RateLimiter(perMinute: 3, clock: clock)
        #expect((0..<3).map { _ in limiter.acquire("10.0.0.1") } == [.allowed, .allowed, .allowed])
        #expect(limiter.acquire("10.0.0.1") == .limited(retryAfter: .seconds(20)))
        #expect(limiter.acquire("10.0.0.2") == .allowed)
        clock.advance(by: .seconds(5))
        #expect(limiter.acquire("10.0.0.1") == .limited(retryAfter: .seconds(15)))
        clock.advance(by: .seconds(15))
        #expect(limiter.acquire("10.0.0.1") == .allowed)
        #expect(limiter.acquire("10.0.0.1") == .limited(retryAfter: .seconds(20)))
        clock.advance(by: .seconds(3600))
        #expect((0..<4).map { _ in limiter.acquire("10.0.0.1") }.filter { $0 == .allowed }.count == 3)
    }

    @Test("The limiter keeps at most maximumKeys buckets; refilled ones make room")
    func rateLimiterMemoryIsBounded() {
        let clock = ManualClock(Timestamp(secondsSinceEpoch: 1_795_000_000))
        let limiter = RateLimiter(perMinute: 1, maximumKeys: 100, clock: clock)
        for index in 0..<100 { #expect(limiter.acquire("10.0.\(index / 256).\(index % 256)") == .allowed) }
        #expect(limiter.acquire("192.0.2.1") == .limited(retryAfter: .seconds(60)))
        #expect(limiter.trackedKeys == 100)
        clock.advance(by: .seconds(61))
        #expect(limiter.acquire("192.0.2.1") == .allowed)
        #expect(limiter.trackedKeys == 1)
    }

    @Test("60 challenges a minute from one address, then 429 with Retry-After; another address is served")
    func challengesAreRationedPerAddress() throws {
        let fixture = try APIFixture()
        let desk = try OperatorDesk(fixture, name: "alice", keyNumber: 1)
        try desk.enroll()
        let api = OperatorAPI(service: fixture.service,
                              challengeLimiter: RateLimiter(perMinute: 60, clock: fixture.clock))
        for _ in 0..<60 { #expect(challenge(api, address: desk.address, from: "192.0.2.7").status == 200) }
        let limited = challenge(api, address: desk.address, from: "192.0.2.7")
        #expect(limited.status == 429)
        #expect(limited.headers.contains { $0.name == "Retry-After" && $0.value == "1" })
        #expect(limited.responseJSON["code"] == -4)
        #expect(limited.responseJSON["error"]?.stringValue?.contains("192.0.2.7") == true)
        #expect(challenge(api, address: desk.address, from: "192.0.2.8").status == 200)
        fixture.clock.advance(by: .seconds(1))
        #expect(challenge(api, address: desk.address, from: "192.0.2.7").status == 200)
    }

    @Test("A flood of challenges for one operator keeps 16 rows; expired challenges and sessions are deleted")
    func challengesAndSessionsArePruned() throws {
        let fixture = try APIFixture()
        let desk = try OperatorDesk(fixture, name: "alice", keyNumber: 1)
        try desk.enroll()
        var nonces: [[UInt8]] = []
        for _ in 0..<200 {
            nonces.append(try fixture.service.loginChallenge(address: desk.address).nonce)
            fixture.clock.advance(by: .milliseconds(1))
        }
        let kept = try fixture.store.transaction { transaction throws(ApprovalError) in
            var kept: [[UInt8]] = []
            for nonce in nonces where try transaction.challenge(nonce: nonce) != nil { kept.append(nonce) }
            return kept
        }
        #expect(kept == Array(nonces.suffix(ApprovalService.unusedChallengesKept)))
        let token = try desk.signIn()  // one used challenge, one session
        #expect(desk.get("/operator/transfers", token: token).status == 200)

        // Nothing has expired yet.
        #expect(try fixture.service.pruneExpiredCredentials() == (0, 0))
        fixture.clock.advance(by: .seconds(9 * 3600))  // past the challenges' 5 minutes and the session's 8 hours
        let pruned = try fixture.service.pruneExpiredCredentials()
        #expect(pruned.challenges == ApprovalService.unusedChallengesKept)
        #expect(pruned.sessions == 1)
        #expect(desk.get("/operator/transfers", token: token).responseJSON["code"] == -21)
    }

    @Test("An operator's GETs write the session's last use at most once a minute, and the idle timeout still holds")
    func sessionActivityIsWrittenAtMostOncePerMinute() throws {
        let fixture = try APIFixture()
        let desk = try OperatorDesk(fixture, name: "alice", keyNumber: 1)
        try desk.enroll()
        let token = try desk.signIn()
        let tokenHash = Hash.sha256(try #require(Hex.decode(token)))
        func lastUsed() throws -> Timestamp? {
            try fixture.store.transaction { transaction throws(ApprovalError) in
                try transaction.session(tokenHash: tokenHash)?.lastUsedAt
            }
        }
        let signedInAt = try #require(try lastUsed())
        for _ in 0..<10 {
            fixture.clock.advance(by: .seconds(5))
            #expect(desk.get("/operator/transfers", token: token).status == 200)
        }
        #expect(try lastUsed() == signedInAt)  // 50 s: no write
        fixture.clock.advance(by: .seconds(10))
        #expect(desk.get("/operator/transfers", token: token).status == 200)
        #expect(try lastUsed() == fixture.clock.now())  // 60 s: written once

        // Idle for the whole timeout (30 min by default) ends the session, as before.
        fixture.clock.advance(by: fixture.service.configuration.idleTimeout)
        #expect(desk.get("/operator/transfers", token: token).responseJSON["code"] == -21)
    }
}
