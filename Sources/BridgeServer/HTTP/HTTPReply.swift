import BridgeCore

/// How a handler took a request offered to it without blocking (``HTTPHandler/handleWithoutBlocking(_:reply:)``).
public enum HTTPAnswer: Sendable {
    /// Answered at once, on the calling worker thread.
    case now(HTTPResponse)
    /// Will be answered through the ``HTTPReply`` (from any thread); the connection waits, suspended, and the worker
    /// thread goes on serving others.
    case later
    /// This request needs a thread that may block: the server runs ``HTTPHandler/handle(_:)`` on its blocking pool.
    case needsBlockingThread
}

/// The one answer to a request a handler took with ``HTTPAnswer/later``: whoever finishes the work calls
/// ``send(_:)`` once, from any thread, with a closure that makes the response. The closure runs later, on the
/// connection's worker thread, so the thread that finished (a store's committer, which every transfer waits for)
/// only hands the result over and does not build the response.
///
/// `@unchecked Sendable`: its state is behind its lock; `deliver` is called once, outside it.
public final class HTTPReply: @unchecked Sendable {
    /// Makes the response, on the worker thread that sends it.
    public typealias ResponseMaker = @Sendable () -> HTTPResponse

    /// The answer can come before the server has suspended the connection (a commit can be that quick, or the handler
    /// answers before it returns): it is then held until ``connectionSuspended()``, because resuming a connection that
    /// is not suspended yet would be lost.
    private enum State {
        case waiting
        case suspended
        case answered(ResponseMaker)
        case delivered
    }

    private let state: SleepingMutex<State>
    private let deliver: @Sendable (@escaping ResponseMaker) -> Void

    /// A reply whose answer goes to `deliver` once the connection is suspended (``connectionSuspended()``).
    init(deliver: @escaping @Sendable (@escaping ResponseMaker) -> Void) {
        state = SleepingMutex(.waiting)
        self.deliver = deliver
    }

    private init(alreadySuspended deliver: @escaping @Sendable (@escaping ResponseMaker) -> Void) {
        state = SleepingMutex(.suspended)
        self.deliver = deliver
    }

    /// Answers the request with what `makeResponse` returns when the worker thread runs it. Only the first call
    /// counts.
    public func send(_ makeResponse: @escaping ResponseMaker) {
        let deliverNow = state.withLock { state -> Bool in
            switch state {
            case .waiting:
                state = .answered(makeResponse)
                return false
            case .suspended:
                state = .delivered
                return true
            case .answered, .delivered:
                return false
            }
        }
        if deliverNow { deliver(makeResponse) }
    }

    /// A reply that passes this one's response through `transform` (on the worker thread) first, for a layer between
    /// the server and the handler (metrics, a webhook nudge).
    public func mapping(_ transform: @escaping @Sendable (HTTPResponse) -> HTTPResponse) -> HTTPReply {
        HTTPReply(alreadySuspended: { [self] make in send { transform(make()) } })
    }

    /// The server has suspended the connection: an answer that came before is delivered now, a later one as it comes.
    func connectionSuspended() {
        let early = state.withLock { state -> ResponseMaker? in
            guard case .answered(let make) = state else {
                state = .suspended
                return nil
            }
            state = .delivered
            return make
        }
        if let early { deliver(early) }
    }
}
