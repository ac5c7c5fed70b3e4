@testable import BridgeServer
import Synchronization
import Testing

/// `HTTPReply`'s order of events: an answer may come before the server has suspended the connection (resuming it
/// then would be lost), at once after, or twice by mistake.
@Suite("HTTP reply: one answer, delivered only to a suspended connection")
struct HTTPReplyTests {
    /// What a reply delivered: each response's status, in order.
    private final class Delivered: Sendable {
        private let statuses = Mutex<[Int]>([])
        func append(_ status: Int) { statuses.withLock { $0.append(status) } }
        func withLock<T>(_ body: ([Int]) -> T) -> T { statuses.withLock { body($0) } }
    }

    /// A reply that records what it delivers.
    private static func recordingReply() -> (HTTPReply, Delivered) {
        let delivered = Delivered()
        let reply = HTTPReply { make in delivered.append(make().status) }
        return (reply, delivered)
    }

    @Test func anAnswerBeforeTheSuspensionWaitsForIt() {
        let (reply, delivered) = Self.recordingReply()
        reply.send { HTTPResponse(status: 201) }
        #expect(delivered.withLock { $0 } == [])
        reply.connectionSuspended()
        #expect(delivered.withLock { $0 } == [201])
    }

    @Test func anAnswerAfterTheSuspensionIsDeliveredAtOnceAndOnlyTheFirstCounts() {
        let (reply, delivered) = Self.recordingReply()
        reply.connectionSuspended()
        #expect(delivered.withLock { $0 } == [])
        reply.send { HTTPResponse(status: 202) }
        reply.send { HTTPResponse(status: 500) }
        #expect(delivered.withLock { $0 } == [202])
    }

    /// A mapped reply's transform runs when the response is made, and the original's ordering still holds.
    @Test func aMappedReplyTransformsTheResponseWhenItIsMade() {
        let (reply, delivered) = Self.recordingReply()
        let transformed = Mutex(0)
        let mapped = reply.mapping { response in
            transformed.withLock { $0 += 1 }
            return HTTPResponse(status: response.status + 1)
        }
        mapped.send { HTTPResponse(status: 200) }
        #expect(transformed.withLock { $0 } == 0, "nothing is made before the connection is suspended")
        reply.connectionSuspended()
        #expect(delivered.withLock { $0 } == [201])
        #expect(transformed.withLock { $0 } == 1)
    }
}
