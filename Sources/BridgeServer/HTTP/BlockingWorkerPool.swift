import Foundation
import Synchronization

/// A fixed set of threads for work that blocks: requests whose handler waits for a durable commit. They run here,
/// while libmicrohttpd's few worker threads keep serving other connections (the waiting connection is suspended), so
/// a transfer waiting for its group commit holds up no one else's balance read, and concurrent transfers can all join
/// the same commit.
final class BlockingWorkerPool: Sendable {
    private struct State {
        var jobs: [@Sendable () -> Void] = []
        var head = 0
        var isShuttingDown = false
    }

    private let state = Mutex(State())
    private let available = DispatchSemaphore(value: 0)
    private let finished = DispatchGroup()
    let threadCount: Int

    /// Starts `threadCount` threads (at least 1) named `name-N`.
    init(threadCount: Int, name: String) {
        self.threadCount = max(1, threadCount)
        for index in 0..<self.threadCount {
            finished.enter()
            let thread = Thread { [self] in
                runJobs()
                finished.leave()
            }
            thread.name = "\(name)-\(index)"
            thread.start()
        }
    }

    /// Queues `job`; it runs on one of the pool's threads. Refused (returns false) once ``shutDown()`` began.
    @discardableResult
    func submit(_ job: @escaping @Sendable () -> Void) -> Bool {
        let accepted = state.withLock { state -> Bool in
            guard !state.isShuttingDown else { return false }
            state.jobs.append(job)
            return true
        }
        if accepted { available.signal() }
        return accepted
    }

    /// Runs every job already queued, then stops the threads and waits for them.
    func shutDown() {
        state.withLock { $0.isShuttingDown = true }
        for _ in 0..<threadCount { available.signal() }
        finished.wait()
    }

    private func runJobs() {
        while true {
            available.wait()
            let next = state.withLock { state -> (@Sendable () -> Void)? in
                guard state.head < state.jobs.count else { return nil }
                let job = state.jobs[state.head]
                state.head += 1
                if state.head > 64, state.head * 2 > state.jobs.count {
                    // Drop the consumed prefix now and then instead of shifting the array on every job.
                    state.jobs.removeFirst(state.head)
                    state.head = 0
                }
                return job
            }
            guard let next else {
                // Woken by shutDown with nothing left to run.
                if state.withLock({ $0.isShuttingDown }) { return }
                continue
            }
            next()
        }
    }
}
