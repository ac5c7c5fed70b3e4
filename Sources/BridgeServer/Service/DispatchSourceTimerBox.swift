import Dispatch
import Synchronization

/// A repeating timer on its own queue, started and stopped once.
final class DispatchSourceTimerBox: Sendable {
    // DispatchSource is thread-safe; what is not is releasing one that was never resumed (libdispatch traps on the
    // release of a suspended source), so the box remembers whether it started.
    private nonisolated(unsafe) let timer: DispatchSourceTimer
    private let started = Mutex(false)

    init(label: String, interval: Duration, _ tick: @escaping @Sendable () -> Void) {
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: label))
        let milliseconds = max(1, Int(interval.wholeMilliseconds))
        timer.schedule(deadline: .now() + .milliseconds(milliseconds), repeating: .milliseconds(milliseconds))
        timer.setEventHandler(handler: tick)
    }

    func start() {
        started.withLock { started in
            guard !started else { return }
            started = true
            timer.resume()
        }
    }

    func stop() { timer.cancel() }

    deinit {
        timer.cancel()
        // A cancelled source that never ran still has to be resumed once before it may be released.
        if !started.withLock({ $0 }) { timer.resume() }
    }
}
