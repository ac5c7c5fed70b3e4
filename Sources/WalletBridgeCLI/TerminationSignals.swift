import Dispatch
import Glibc
import Synchronization

/// Waits for SIGINT or SIGTERM, the signals that end a long-running command (`simulate`, later `serve`).
///
/// The default actions are replaced at once (in ``init()``), before the command says it is ready, so a signal
/// sent right after the ready line is not lost and does not kill the process before it cleans up.
final class TerminationSignals: @unchecked Sendable {
    // Dispatch sources are not marked Sendable; these are written once in init and only cancelled in deinit.
    private let sources: [any DispatchSourceSignal]
    private let state = Mutex<(received: Int32?, waiter: CheckedContinuation<Int32, Never>?)>((nil, nil))

    init() {
        let queue = DispatchQueue(label: "walletbridge.signals")
        sources = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            return DispatchSource.makeSignalSource(signal: number, queue: queue)
        }
        for (source, number) in zip(sources, [SIGINT, SIGTERM]) {
            source.setEventHandler { [weak self] in self?.deliver(number) }
            source.resume()
        }
    }

    /// The first signal received, waiting for it if none came yet.
    func next() async -> Int32 {
        await withCheckedContinuation { continuation in
            let received = state.withLock { state -> Int32? in
                if let received = state.received { return received }
                state.waiter = continuation
                return nil
            }
            if let received { continuation.resume(returning: received) }
        }
    }

    /// The signal received so far, if any, without waiting.
    var received: Int32? { state.withLock { $0.received } }

    private func deliver(_ number: Int32) {
        let waiter = state.withLock { state -> CheckedContinuation<Int32, Never>? in
            guard state.received == nil else { return nil }
            state.received = number
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: number)
    }

    /// The name of a signal number, for messages.
    static func name(_ number: Int32) -> String {
        number == SIGINT ? "SIGINT" : number == SIGTERM ? "SIGTERM" : "signal \(number)"
    }

    deinit {
        for source in sources { source.cancel() }
    }
}
