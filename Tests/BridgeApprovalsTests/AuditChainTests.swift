import BridgeApprovals
import BridgeCore
import BridgeCrypto
import Testing

@Suite("Audit chain: hashed, linked, verified")
struct AuditChainTests {
    let harness: Harness

    init() throws {
        harness = try Harness()
        try harness.service.createWallet(externalUserID: "alice", currency: "USD", initialBalance: 500_000)
        let ann = try harness.enroll("ann", keyNumber: 1)
        let ben = try harness.enroll("ben", keyNumber: 2)
        try harness.transfer("o1", amount: "-1500")
        try harness.approve("o1", by: ann)
        try harness.approve("o1", by: ben)
    }

    @Test("The audit hash over already-written payload text equals the hash over the parsed payload, escapes included")
    func hashOverPayloadTextMatches() throws {
        let payload: JSONValue = ["z": "line\nbreak \"quoted\" \u{1F600}", "a": [1, .number(JSONNumber(text: "2.50")!), nil], "m": ["y": true, "b": "é"]]
        for (actor, kind, sequence, millis) in [("crm", "order.completed", Int64(1), Int64(1_795_000_000_123)),
                                                ("operator:\"x\"\\", "odd\tkind", Int64(98_765), Int64(-5))] {
            let time = Timestamp(millisecondsSinceEpoch: millis)
            let previous = [UInt8](repeating: 7, count: 32)
            #expect(ApprovalService.auditHash(previousHash: previous, sequence: sequence, time: time, actor: actor, kind: kind,
                                              canonicalPayload: payload.serialized(.canonical))
                    == ApprovalService.auditHash(previousHash: previous, sequence: sequence, time: time, actor: actor,
                                                 kind: kind, payload: payload))
        }
    }

    @Test func everyEventLinksToThePreviousOneAndVerifies() throws {
        let events = try harness.auditEvents()
        #expect(events.map(\.sequence) == Array(1...Int64(events.count)))
        #expect(events.first?.previousHash == AuditEvent.genesisHash)
        for (previous, event) in zip(events, events.dropFirst()) {
            #expect(event.previousHash == previous.hash)
        }
        let verification = try harness.service.verifyAuditChain()
        #expect(verification.ok)
        #expect(verification.events == events.count)
        #expect(verification.head == events.last?.hash)
        #expect(verification.firstBroken == nil)
    }

    @Test func theHashIsSHA256OfThePreviousHashAndTheCanonicalJSON() throws {
        let event = try #require(try harness.auditEvents().first)
        let canonical = JSONValue.object([
            "sequence": .number(JSONNumber(event.sequence)), "time": .number(JSONNumber(event.time.millisecondsSinceEpoch)),
            "actor": .string(event.actor), "kind": .string(event.kind), "payload": event.payload,
        ]).serialized(.canonical)
        #expect(canonical.hasPrefix(#"{"actor":"system","kind":"wallet.created","payload":{"#))
        #expect(event.hash == Hash.sha256(AuditEvent.genesisHash + Array(canonical.utf8)))
    }

    @Test func anEmptyChainVerifiesWithTheGenesisHead() throws {
        let verification = try ApprovalService.verifyAuditChain(store: InMemoryApprovalStore())
        #expect(verification.ok && verification.events == 0 && verification.head == AuditEvent.genesisHash)
    }

    @Test func verifyReadsLongChainsInPages() throws {
        let events = try harness.auditEvents().count
        let verification = try ApprovalService.verifyAuditChain(store: harness.store, pageSize: 2)
        #expect(verification.ok)
        #expect(verification.events == events)
    }

    @Test func anAlteredEventWithARecomputedHashBreaksTheNextLink() throws {
        let events = try harness.auditEvents()
        let target = events[2]
        let forgedPayload: JSONValue = ["forged": true]
        // The attacker recomputes the altered event's own hash; the following event still names the old one.
        try harness.store.overwriteAuditEvent(AuditEvent(
            sequence: target.sequence, time: target.time, actor: target.actor, kind: target.kind, payload: forgedPayload,
            previousHash: target.previousHash,
            hash: ApprovalService.auditHash(previousHash: target.previousHash, sequence: target.sequence, time: target.time,
                                            actor: target.actor, kind: target.kind, payload: forgedPayload)))
        let verification = try harness.service.verifyAuditChain()
        #expect(verification.ok == false)
        #expect(verification.firstBroken?.sequence == target.sequence + 1)
        #expect(verification.firstBroken?.reason == "its previous hash does not match the hash of event \(target.sequence)")
    }

    @Test func anAlteredTimeOrActorIsDetected() throws {
        let target = try harness.auditEvents()[1]
        try harness.store.overwriteAuditEvent(AuditEvent(
            sequence: target.sequence, time: target.time + .seconds(1), actor: target.actor, kind: target.kind,
            payload: target.payload, previousHash: target.previousHash, hash: target.hash))
        #expect(try harness.service.verifyAuditChain().firstBroken?.sequence == target.sequence)
    }

    @Test func policyChangesAreRecordedOncePerFingerprint() throws {
        let before = try harness.auditEvents().count
        #expect(try harness.service.recordPolicy(fingerprint: "abc", json: ["rules": []], actor: "system"))
        #expect(try harness.service.recordPolicy(fingerprint: "abc", json: ["rules": []], actor: "system") == false)
        #expect(try harness.service.recordPolicy(fingerprint: "def", json: ["rules": [1]], actor: "admin:root"))
        let events = try harness.auditEvents()
        #expect(events.count == before + 2)
        #expect(events.last?.kind == "policy.changed")
        #expect(events.last?.payload["previous_fingerprint"] == "abc")
        #expect(events.last?.payload["policy"] == ["rules": [1]])
        #expect(try harness.service.verifyAuditChain().ok)
    }

    @Test func everyStatusChangeHasItsWebhookRow() throws {
        let webhooks = try harness.outbox()
        #expect(webhooks.map(\.event) == ["order.pending_approval", "order.completed"])
        let body = try JSONValue(parsing: try #require(webhooks.last).body)
        #expect(body == [
            "event": "order.completed", "order_id": "o1", "status": "completed", "amount": "-1500.00", "currency": "USD",
            "external_user_id": "alice",
        ])
    }
}
