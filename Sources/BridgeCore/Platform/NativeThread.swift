import CPlatform
import Glibc

/// Threads of our own, on pthreads: Foundation's `Thread` without Foundation.
public enum NativeThread {
    /// Starts `body` on a new detached thread named `name` (Linux keeps the first 15 bytes, which `top -H` and
    /// `/proc/PID/task/*/comm` show). Returns false when the system refused a thread.
    @discardableResult
    public static func start(_ name: String, _ body: @escaping @Sendable () -> Void) -> Bool {
        let box = Unmanaged.passRetained(Start(name: name, body: body)).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(&thread, nil, { argument in
            guard let argument else { return nil }
            let start = Unmanaged<Start>.fromOpaque(argument).takeRetainedValue()
            _ = walletbridge_set_thread_name(start.name)
            start.body()
            return nil
        }, box)
        guard status == 0 else {
            Unmanaged<Start>.fromOpaque(box).release()
            return false
        }
        pthread_detach(thread)
        return true
    }

    /// How the kernel schedules a thread against the others on its core.
    public enum Scheduling: Sendable {
        /// Linux's default (SCHED_OTHER): a thread that wakes up may preempt the one running.
        case normal
        /// SCHED_BATCH: the same share of the processor, but waking up never preempts the thread running; it waits
        /// for that thread to block or use up its slice. For threads that many others hand work to, so that
        /// waking them does not interrupt the one thread everyone waits for (the group commit's committer, which
        /// otherwise was preempted about four times per group by the callers it had just woken).
        case batch
    }

    /// Sets the calling thread's scheduling (threads start with their creator's); false when the system refused.
    /// Unprivileged threads may switch between these two.
    @discardableResult
    public static func setScheduling(_ scheduling: Scheduling) -> Bool {
        walletbridge_set_thread_batch_scheduling(scheduling == .batch ? 1 : 0) == 0
    }

    /// The calling thread's scheduling.
    public static var scheduling: Scheduling {
        walletbridge_thread_batch_scheduled() != 0 ? .batch : .normal
    }

    /// Sleeps the calling thread for `duration` (none when it is not positive), resuming after a signal.
    public static func sleep(for duration: Duration) {
        guard duration > .zero else { return }
        let (seconds, attoseconds) = duration.components
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0, errno == EINTR { request = remaining }
    }

    private final class Start {
        let name: String
        let body: @Sendable () -> Void
        init(name: String, body: @escaping @Sendable () -> Void) {
            self.name = name
            self.body = body
        }
    }
}
