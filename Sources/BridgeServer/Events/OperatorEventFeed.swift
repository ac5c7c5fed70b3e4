import BridgeApprovals
import BridgeCore
import Synchronization

/// The operator API's live channel (`GET /operator/events`, CONTRACT 8): the audit chain, as Server-Sent Events, to
/// every signed-in console.
///
/// The chain is the source because it is written in the same transaction as every change and is shared by every
/// instance on one database: a console connected to any instance sees every change, in chain order, and an event's
/// `id` is its audit sequence, so a client that reconnects with `Last-Event-ID` gets exactly what it missed.
/// ``poll()`` reads what is new once for all subscribers (the service calls it on a short timer; tests call it
/// directly). Approvers see what concerns transfers and policy; admins see the whole tail.
public final class OperatorEventFeed: Sendable {
    /// How far back a reconnecting client is replayed; further behind, it is told to reload (`event: reset`).
    public static let maximumReplay = 5000
    /// How often a quiet stream gets a comment (proxies keep it; a gone client is noticed).
    public static let heartbeatInterval: Duration = .seconds(15)
    /// How often each stream's session is checked again (a revoked operator's stream ends within this).
    public static let sessionCheckInterval: Duration = .seconds(5)
    /// What a client waits before reconnecting (`retry:`).
    public static let reconnectMilliseconds = 2000

    private struct Subscriber {
        let id: Int
        let sink: any ServerSentEventSink
        let token: String
        let clientIP: String
        let isAdmin: Bool
        var nextSessionCheck: Timestamp
    }

    private struct State {
        var subscribers: [Subscriber] = []
        var nextID = 0
        /// The newest audit sequence fanned out; nil until first needed.
        var head: Int64?
        var lastHeartbeat: Timestamp?
    }

    private let service: ApprovalService
    private let state = Mutex(State())

    public init(service: ApprovalService) {
        self.service = service
    }

    /// How many streams are open.
    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    /// Opens a stream for a signed-in operator. With `lastEventID` (the header a reconnecting `EventSource` sends)
    /// the events after it are replayed first; without, the stream starts at the chain's head with a `ready` event
    /// carrying that head as its id.
    public func subscribe(_ sink: any ServerSentEventSink, operator record: Operator, token: String, clientIP: String,
                          lastEventID: Int64?) throws(ApprovalError) {
        let isAdmin = record.role == .admin
        let now = service.clock.now()
        // Under the lock, so a poll cannot fan out an event between the replay and the registration (or twice).
        let result: Result<Void, ApprovalError> = state.withLock { state in
            do throws(ApprovalError) {
                let head: Int64
                if let known = state.head { head = known } else { head = try service.lastAuditSequence() }
                state.head = head
                sink.write(Array(ServerSentEvent.comment("walletbridge operator events").utf8))
                if let lastEventID, lastEventID < head, head - lastEventID <= Int64(Self.maximumReplay) {
                    var after = lastEventID
                    while after < head {
                        let page = try service.auditEvents(after: after, limit: 500).filter { $0.sequence <= head }
                        guard let last = page.last else { break }
                        for event in page where Self.visible(event, isAdmin: isAdmin) { sink.send(Self.serverSentEvent(event)) }
                        after = last.sequence
                    }
                    sink.send(ServerSentEvent(id: String(head), event: "ready", data: Self.readyData(head, replayed: true),
                                              retry: Self.reconnectMilliseconds))
                } else {
                    // A new stream, or one too far behind to replay: the client (re)loads its lists from here.
                    let tooFar = lastEventID.map { $0 < head } ?? false
                    sink.send(ServerSentEvent(id: String(head), event: tooFar ? "reset" : "ready",
                                              data: Self.readyData(head, replayed: false), retry: Self.reconnectMilliseconds))
                }
                state.subscribers.append(Subscriber(id: state.nextID, sink: sink, token: token, clientIP: clientIP,
                                                    isAdmin: isAdmin, nextSessionCheck: now + Self.sessionCheckInterval))
                state.nextID += 1
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    /// Reads the chain once past the head and sends what each subscriber may see; drops streams whose client left or
    /// whose session ended (telling them `session.ended`); sends the heartbeat when it is due. Errors reading the
    /// store leave the head where it was, so nothing is skipped: the next poll tries again.
    public func poll() {
        let now = service.clock.now()
        state.withLock { state in
            state.subscribers.removeAll { !$0.sink.isOpen }
            guard !state.subscribers.isEmpty else {
                state.head = nil  // nobody listens: the next subscriber starts from the chain's head then
                return
            }
            if let head = state.head, let events = try? service.auditEvents(after: head, limit: 1000), let last = events.last {
                for subscriber in state.subscribers {
                    for event in events where Self.visible(event, isAdmin: subscriber.isAdmin) {
                        subscriber.sink.send(Self.serverSentEvent(event))
                    }
                }
                state.head = last.sequence
            }
            if now - (state.lastHeartbeat ?? Timestamp(millisecondsSinceEpoch: 0)) >= Self.heartbeatInterval {
                state.lastHeartbeat = now
                for subscriber in state.subscribers { subscriber.sink.write(Array(ServerSentEvent.comment("keep-alive").utf8)) }
            }
            for index in state.subscribers.indices where state.subscribers[index].nextSessionCheck <= now {
                state.subscribers[index].nextSessionCheck = now + Self.sessionCheckInterval
                let subscriber = state.subscribers[index]
                do throws(ApprovalError) {
                    _ = try service.sessionOperator(token: subscriber.token, clientIP: subscriber.clientIP)
                } catch {
                    guard error.code == .notSignedIn else { continue }  // a store hiccup is not a sign-out
                    subscriber.sink.send(ServerSentEvent(event: "session.ended", data: error.jsonObject.serialized()))
                    subscriber.sink.finish()
                }
            }
            state.subscribers.removeAll { !$0.sink.isOpen }
        }
    }

    /// Ends every stream (the service is stopping).
    public func finishAll() {
        state.withLock { state in
            for subscriber in state.subscribers { subscriber.sink.finish() }
            state.subscribers.removeAll()
        }
    }

    /// Approvers see transfers, approvals, policy and operator changes; admins also the rest of the audit tail
    /// (sign-ins, invites, wallets, deployment).
    static func visible(_ event: AuditEvent, isAdmin: Bool) -> Bool {
        if isAdmin { return true }
        let kind = event.kind
        if kind == "order.received" || kind == "order.refused" { return false }
        return kind.hasPrefix("order.") || kind.hasPrefix("approval.") || kind.hasPrefix("policy.")
            || kind == "operator.revoked" || kind == "operator.enrolled"
    }

    /// `id: <sequence>`, `event: <kind>`, `data: {"sequence","time","actor","kind","payload"}`.
    static func serverSentEvent(_ event: AuditEvent) -> ServerSentEvent {
        let data: JSONValue = [
            "sequence": .number(JSONNumber(event.sequence)), "time": .string(event.time.rfc3339),
            "actor": .string(event.actor), "kind": .string(event.kind), "payload": event.payload,
        ]
        return ServerSentEvent(id: String(event.sequence), event: event.kind, data: data.serialized())
    }

    static func readyData(_ head: Int64, replayed: Bool) -> String {
        JSONValue.object(["head": .number(JSONNumber(head)), "replayed": .bool(replayed)]).serialized()
    }
}
