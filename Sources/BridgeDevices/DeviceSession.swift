import Dispatch
import Synchronization

/// Runs one operation at a time on a device, each with a deadline and cancellable.
///
/// A second caller while an operation runs gets ``DeviceError/busy(_:)`` at once: frames of two operations must
/// never interleave on the wire. The blocking link calls run where ``Execution`` says, and check the deadline and
/// the cancellation flag between short receives.
public final class DeviceSession: Sendable {
    /// Where an operation's blocking link calls run.
    public enum Execution: Sendable {
        /// On the session's own dispatch queue, off the caller's task: a service's cooperative threads are never
        /// held by a device that waits for a person to press its buttons.
        case dispatchQueue
        /// On the calling thread, inside the caller's task: for a one-shot command that has nothing else to run.
        /// The operation then never suspends, so a command started with `Task.immediate` runs to its end on the
        /// main thread without starting the concurrency runtime's threads or a dispatch thread.
        case callingThread
    }

    private let isBusy = Mutex(false)
    private let queue: DispatchQueue?

    public init(label: String, execution: Execution = .dispatchQueue) {
        switch execution {
        case .dispatchQueue: queue = DispatchQueue(label: "walletbridge.device.\(label)")
        case .callingThread: queue = nil
        }
    }

    /// Runs `body` with a deadline `timeout` from now and a cancellation check; throws `.busy` if another
    /// operation holds the device.
    public func perform<Output: Sendable>(
        timeout: Duration,
        _ body: @escaping @Sendable (_ deadline: ContinuousClock.Instant, _ isCancelled: @escaping @Sendable () -> Bool)
            throws(DeviceError) -> Output
    ) async throws(DeviceError) -> Output {
        let acquired = isBusy.withLock { busy in
            if busy { return false }
            busy = true
            return true
        }
        guard acquired else { throw .busy("another operation is in progress on this device") }
        defer { isBusy.withLock { $0 = false } }

        let cancelled = CancellationFlag()
        let deadline = ContinuousClock.now.advanced(by: timeout)
        let result: Result<Output, DeviceError> = await withTaskCancellationHandler {
            guard let queue else {
                return Result { () throws(DeviceError) in try body(deadline, { cancelled.isSet }) }
            }
            return await withCheckedContinuation { continuation in
                queue.async {
                    let outcome = Result { () throws(DeviceError) in try body(deadline, { cancelled.isSet }) }
                    continuation.resume(returning: outcome)
                }
            }
        } onCancel: {
            cancelled.set()
        }
        return try result.get()
    }
}

/// A flag a task's cancellation handler sets and the blocking I/O loop polls.
final class CancellationFlag: Sendable {
    private let value = Atomic(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}
