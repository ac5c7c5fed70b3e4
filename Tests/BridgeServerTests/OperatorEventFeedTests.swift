import BridgeApprovals
import BridgeCore
import BridgeServer
import Synchronization
import Testing

/// A client of the event stream: keeps what was written, and can leave.
final class RecordingEventSink: ServerSentEventSink {
    private let state = Mutex<(text: String, open: Bool)>(("", true))

    var isOpen: Bool { state.withLock { $0.open } }
    func write(_ bytes: [UInt8]) { state.withLock { if $0.open { $0.text += String(decoding: bytes, as: UTF8.self) } } }
    func finish() { state.withLock { $0.open = false } }
    /// The client closes the connection.
    func leave() { finish() }

    var text: String { state.withLock { $0.text } }

    /// The events received, parsed as a browser's EventSource would (comments dropped).
    var events: [(id: String?, event: String, data: JSONValue)] {
        text.components(separatedBy: "\n\n").compactMap { block in
            var id: String?, event = "message", data: [String] = []
            for line in block.split(separator: "\n") where !line.hasPrefix(":") {
                if line.hasPrefix("id: ") { id = String(line.dropFirst(4)) }
                if line.hasPrefix("event: ") { event = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") { data.append(String(line.dropFirst(6))) }
            }
            guard !data.isEmpty else { return nil }
            return (id, event, (try? JSONValue(parsing: Array(data.joined(separator: "\n").utf8))) ?? .null)
        }
    }

    var kinds: [String] { events.map(\.event) }
}

@Suite("Operator event stream (Server-Sent Events from the audit chain)")
struct OperatorEventFeedTests {
    /// alice (admin) and bob (approver), enrolled and signed in on the fixture's service.
    struct Desk {
        let fixture: APIFixture
        let feed: OperatorEventFeed
        let alice: OperatorDesk, bob: OperatorDesk
        let aliceToken: String, bobToken: String

        init() throws {
            fixture = try APIFixture()
            feed = OperatorEventFeed(service: fixture.service)
            alice = try OperatorDesk(fixture, name: "alice", keyNumber: 11)
            bob = try OperatorDesk(fixture, name: "bob", keyNumber: 12)
            try alice.enroll(role: .admin)
            try bob.enroll(role: .approver)
            aliceToken = try alice.signIn()
            bobToken = try bob.signIn()
        }

        func record(_ name: String) throws -> Operator {
            try #require(try fixture.service.operators().first { $0.name == name })
        }

        func subscribe(_ name: String, lastEventID: Int64? = nil) throws -> RecordingEventSink {
            let sink = RecordingEventSink()
            try feed.subscribe(sink, operator: try record(name), token: name == "alice" ? aliceToken : bobToken,
                               clientIP: "127.0.0.1", lastEventID: lastEventID)
            return sink
        }
    }

    @Test func aNewStreamStartsAtTheHeadAndReceivesChangesInChainOrder() throws {
        let desk = try Desk()
        let head = try desk.fixture.service.lastAuditSequence()
        let stream = try desk.subscribe("alice")
        #expect(stream.events.map(\.event) == ["ready"])
        #expect(stream.events.first?.id == String(head))
        #expect(stream.text.contains("retry: 2000\n"))

        #expect(desk.fixture.transfer("big-1", user: "user_789", amount: "-2000").status == 202)
        desk.feed.poll()
        let after = stream.events.dropFirst()
        #expect(after.map(\.event) == ["order.received", "order.pending_approval"])
        #expect(after.map(\.id) == [String(head + 1), String(head + 2)])
        #expect(after.last?.data["payload"]?["order_id"] == "big-1")
        #expect(after.last?.data["sequence"] == .number(JSONNumber(head + 2)))

        desk.feed.poll()  // nothing new: nothing sent twice
        #expect(stream.events.count == 3)
    }

    @Test func aReconnectWithLastEventIDReplaysExactlyWhatWasMissed() throws {
        let desk = try Desk()
        let first = try desk.subscribe("bob")
        #expect(desk.fixture.transfer("big-2", user: "user_789", amount: "-2000").status == 202)
        desk.feed.poll()
        let seen = try #require(first.events.last)
        #expect(seen.event == "order.pending_approval")

        // The connection drops; meanwhile both operators approve and the order completes.
        first.leave()
        desk.feed.poll()
        #expect(desk.feed.subscriberCount == 0)
        #expect(desk.alice.approve("big-2", token: desk.aliceToken,
                                   signature: try desk.alice.decisionSignature("big-2", token: desk.aliceToken)).status == 200)
        #expect(desk.bob.approve("big-2", token: desk.bobToken,
                                 signature: try desk.bob.decisionSignature("big-2", token: desk.bobToken)).status == 200)

        let again = try desk.subscribe("bob", lastEventID: Int64(try #require(seen.id.flatMap { Int64($0) })))
        let replayed = again.events
        #expect(replayed.map(\.event) == ["approval.accepted", "approval.accepted", "order.completed", "ready"])
        #expect(replayed[0].data["payload"]?["operator_name"] == "alice")
        #expect(replayed[1].data["payload"]?["operator_name"] == "bob")
        #expect(replayed.last?.data["replayed"] == true)
        // Ids strictly increase from the one the client had, and the ready event names the head.
        let ids = replayed.compactMap { $0.id.flatMap { Int64($0) } }
        #expect(ids == ids.sorted() && ids.first ?? 0 > Int64(seen.id ?? "") ?? .max)
        #expect(ids.last == (try desk.fixture.service.lastAuditSequence()))
        desk.feed.poll()
        #expect(again.events.count == replayed.count)
    }

    @Test func approversSeeTransfersAndPolicyAdminsTheWholeTail() throws {
        let desk = try Desk()
        let admin = try desk.subscribe("alice")
        let approver = try desk.subscribe("bob")
        _ = try desk.alice.signIn()  // session.created: audit only
        #expect(desk.fixture.transfer("small-1", amount: "-10").status == 200)
        desk.feed.poll()
        #expect(admin.kinds.dropFirst() == ["session.created", "order.received", "order.completed"])
        #expect(approver.kinds.dropFirst() == ["order.completed"])
    }

    @Test func aRevokedOperatorsStreamEndsWithSessionEnded() throws {
        let desk = try Desk()
        let stream = try desk.subscribe("bob")
        _ = try desk.fixture.service.revokeOperator(name: "bob", reason: "left the desk", actor: "admin:test")
        desk.fixture.clock.advance(by: OperatorEventFeed.sessionCheckInterval)
        desk.feed.poll()
        #expect(stream.kinds.contains("operator.revoked"))
        #expect(stream.kinds.last == "session.ended")
        #expect(stream.events.last?.data["code"] == .number(JSONNumber(ErrorCode.notSignedIn.rawValue)))
        #expect(!stream.isOpen)
        #expect(desk.feed.subscriberCount == 0)
    }

    @Test func aQuietStreamGetsAHeartbeat() throws {
        let desk = try Desk()
        let stream = try desk.subscribe("alice")
        desk.feed.poll()
        let before = stream.text.components(separatedBy: ": keep-alive").count
        desk.fixture.clock.advance(by: .seconds(5))
        desk.feed.poll()
        #expect(stream.text.components(separatedBy: ": keep-alive").count == before)
        desk.fixture.clock.advance(by: OperatorEventFeed.heartbeatInterval)
        desk.feed.poll()
        #expect(stream.text.components(separatedBy: ": keep-alive").count == before + 1)
    }

    @Test func theRouteNeedsASessionAndAnEventID() throws {
        let desk = try Desk()
        let operators = OperatorAPI(service: desk.fixture.service, eventFeed: desk.feed)
        func get(_ headers: [String: String]) -> HTTPResponse {
            APIFixture.call(operators.endpoints, "GET", "/operator/events",
                            HTTPRequest(method: "GET", path: "/operator/events", headers: headers))
        }
        let anonymous = get([:])
        #expect(anonymous.status == 401)
        #expect(operatorErrorCode(anonymous) == .number(JSONNumber(ErrorCode.notSignedIn.rawValue)))
        let badID = get(["authorization": "Bearer \(desk.aliceToken)", "last-event-id": "yesterday"])
        #expect(badID.status == 400)
        let stream = get(["authorization": "Bearer \(desk.aliceToken)", "last-event-id": "3"])
        #expect(stream.status == 200)
        #expect(stream.stream != nil)
        #expect(stream.headers.contains { $0.name == "Content-Type" && $0.value.hasPrefix("text/event-stream") })
        #expect(stream.headers.contains { $0.name == "Cache-Control" && $0.value == "no-store" })
        #expect(desk.feed.subscriberCount == 1)
        stream.stream?.finish()
    }

    @Test func theAuditTailIsForAdmins() throws {
        let desk = try Desk()
        let alice = desk.alice.get("/operator/audit", token: desk.aliceToken, query: ["limit": "3"])
        #expect(alice.status == 200)
        let events = alice.responseJSON["events"]?.arrayValue ?? []
        #expect(events.count == 3)
        #expect(events.last?["sequence"] == .number(JSONNumber(try desk.fixture.service.lastAuditSequence())))
        let bob = desk.bob.get("/operator/audit", token: desk.bobToken)
        #expect(bob.status == 403)
        #expect(operatorErrorCode(bob) == .number(JSONNumber(ErrorCode.notPermitted.rawValue)))
        #expect(desk.alice.get("/operator/audit", token: desk.aliceToken, query: ["limit": "0"]).status == 400)
    }

    @Test func eventsAreFramedAsTheStandardSays() {
        let event = ServerSentEvent(id: "7\n", event: "order.completed\r", data: "{\"a\":1}\nsecond", retry: 1500)
        #expect(event.serialized == "retry: 1500\nid: 7\nevent: order.completed\ndata: {\"a\":1}\ndata: second\n\n")
        #expect(ServerSentEvent.comment("keep\nalive") == ": keepalive\n\n")
    }
}
