import BridgeCore
import Dispatch
import FoundationEssentials

/// A bounded set of threads for work that blocks: requests whose handler waits for a durable commit. They run here,
/// while libmicrohttpd's few worker threads keep serving other connections (the waiting connection is suspended), so
/// a transfer waiting for its group commit holds up no one else's balance read, and concurrent transfers can all join
/// the same commit.
///
/// The threads are batch-scheduled (``NativeThread/Scheduling/batch``).
///
/// Threads start when work needs them, up to `threadCount`, and then stay: a service that only answers reads (or a
/// webhook dispatcher without receivers) keeps none, and under load the pool grows to as many as wait at once.
final class BlockingWorkerPool: Sendable {
    private struct State {
        var jobs: [@Sendable () -> Void] = []
        var head = 0
        var isShuttingDown = false
        /// Threads started so far (at most `threadCount`).
        var started = 0
        /// Threads waiting for a job that no `submit` has claimed yet.
        var idle = 0

        /// The next queued job, taken off the queue.
        mutating func takeJob() -> (@Sendable () -> Void)? {
            guard head < jobs.count else { return nil }
            let job = jobs[head]
            head += 1
            if head > 64, head * 2 > jobs.count {
                // Drop the consumed prefix now and then instead of shifting the array on every job.
                jobs.removeFirst(head)
                head = 0
            }
            return job
        }
    }

    private let state = SleepingMutex(State())
    /// Signalled once for each idle thread a `submit` (or the shutdown) claims.
    private let available = DispatchSemaphore(value: 0)
    private let finished = DispatchGroup()
    let threadCount: Int
    private let name: String

    /// A pool of at most `threadCount` threads (at least 1) named `name-N`; none starts before the first job.
    init(threadCount: Int, name: String) {
        self.threadCount = max(1, threadCount)
        self.name = name
    }

    /// How many threads have started (for tests).
    var startedThreads: Int { state.withLock { $0.started } }

    /// Queues `job`; it runs on one of the pool's threads: an idle one, or a new one while fewer than `threadCount`
    /// run, or else the first to finish its job. Refused (returns false) once ``shutDown()`` began.
    @discardableResult
    func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
        enum Action { case refuse, wake, start(Int), queue }
        let action = state.withLock { state -> Action in
            guard !state.isShuttingDown else { return .refuse }
            state.jobs.append(job)
            if state.idle > 0 {
                state.idle -= 1
                return .wake
            }
            guard state.started < threadCount else { return .queue }
            state.started += 1
            // Counted before the lock is released, so a shutdown that follows waits for this thread too.
            finished.enter()
            return .start(state.started - 1)
        }
        switch action {
        case .refuse: return false
        case .wake: available.signal()
        case .start(let index):
            guard startThread(index) else {
                // The system refused a thread (its limit is reached): the pool's running threads take the job, or,
                // when none runs, the calling thread does.
                let noneRunning = state.withLock { state -> Bool in
                    state.started -= 1
                    return state.started == 0
                }
                finished.leave()
                if noneRunning { runQueuedJobsHere() }
                return true
            }
        case .queue: break
        }
        return true
    }

    /// Runs every job already queued, then stops the threads and waits for them.
    func shutDown() {
        let waiting = state.withLock { state -> Int in
            state.isShuttingDown = true
            defer { state.idle = 0 }
            return state.idle
        }
        for _ in 0..<waiting { available.signal() }
        finished.wait()
    }

    /// Starts thread `index`, already counted in `finished`; false when the system refused it.
    private func startThread(_ index: Int) -> Bool {
        NativeThread.start("\(name)-\(index)") { [self] in
            // Each job wakes up to run and again when its commit is done: as batch threads, those wake-ups do not
            // preempt the group commit's committer, which the callers queued behind it all wait for.
            NativeThread.setScheduling(.batch)
            runJobs()
            finished.leave()
        }
    }

    /// Runs the queued jobs on the calling thread, for when no pool thread could be started.
    private func runQueuedJobsHere() {
        while let job = state.withLock({ $0.takeJob() }) { job() }
    }

    private func runJobs() {
        while true {
            enum Next { case run(@Sendable () -> Void), wait, exit }
            let next = state.withLock { state -> Next in
                if let job = state.takeJob() { return .run(job) }
                if state.isShuttingDown { return .exit }
                state.idle += 1
                return .wait
            }
            switch next {
            case .run(let job): job()
            case .wait: available.wait()
            case .exit: return
            }
        }
    }
}
