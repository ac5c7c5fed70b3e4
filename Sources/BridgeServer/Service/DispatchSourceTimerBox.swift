import Dispatch

/// A repeating timer on its own queue, started and stopped once.
final class DispatchSourceTimerBox: @unchecked Sendable {
    // DispatchSource is thread-safe; only resume and cancel are called, once each.
    private let timer: DispatchSourceTimer

    init(label: String, interval: Duration, _ tick: @escaping @Sendable () -> Void) {
        timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: label))
        let milliseconds = max(1, Int(interval.wholeMilliseconds))
        timer.schedule(deadline: .now() + .milliseconds(milliseconds), repeating: .milliseconds(milliseconds))
        timer.setEventHandler(handler: tick)
    }

    func start() { timer.resume() }
    func stop() { timer.cancel() }
}
