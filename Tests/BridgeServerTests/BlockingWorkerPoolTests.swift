@testable import BridgeServer
import Dispatch
import Synchronization
import Testing

/// The blocking pool starts threads only when work needs them, runs as many jobs at once as it has threads (so
/// concurrent transfers can share one commit), and finishes what was queued when it shuts down.
@Suite("Blocking worker pool")
struct BlockingWorkerPoolTests {
    /// A count jobs on other threads add to.
    final class Count: Sendable {
        private let atomic = Atomic<Int>(0)
        func add() { atomic.add(1, ordering: .relaxed) }
        var value: Int { atomic.load(ordering: .acquiring) }
    }

    @Test("No thread before the first job; one job starts one thread")
    func threadsStartOnDemand() {
        let pool = BlockingWorkerPool(threadCount: 8, name: "test-pool")
        #expect(pool.startedThreads == 0)
        let done = DispatchSemaphore(value: 0)
        #expect(pool.submit { done.signal() })
        #expect(done.wait(timeout: .now() + 10) == .success)
        #expect(pool.startedThreads == 1)
        // Later jobs go to an idle thread or start another (one still returning from its job is not idle yet).
        for _ in 0..<20 {
            #expect(pool.submit { done.signal() })
            #expect(done.wait(timeout: .now() + 10) == .success)
        }
        pool.shutDown()
    }

    @Test("8 jobs that each wait for all the others run at once on 8 threads, and a 9th waits for a free one")
    func jobsThatBlockRunConcurrently() {
        let pool = BlockingWorkerPool(threadCount: 8, name: "test-pool")
        let arrived = DispatchSemaphore(value: 0), release = DispatchSemaphore(value: 0), done = DispatchSemaphore(value: 0)
        for _ in 0..<8 {
            pool.submit {
                arrived.signal()
                release.wait()
                done.signal()
            }
        }
        for _ in 0..<8 { #expect(arrived.wait(timeout: .now() + 10) == .success) }
        #expect(pool.startedThreads == 8)
        let ninth = Count()
        pool.submit {
            ninth.add()
            done.signal()
        }
        #expect(pool.startedThreads == 8)
        #expect(ninth.value == 0)
        for _ in 0..<8 { release.signal() }
        for _ in 0..<9 { #expect(done.wait(timeout: .now() + 10) == .success) }
        #expect(ninth.value == 1)
        pool.shutDown()
    }

    @Test("Shutting down runs every queued job, waits for the threads, then refuses new jobs")
    func shutDownFinishesQueuedWork() {
        let pool = BlockingWorkerPool(threadCount: 2, name: "test-pool")
        let ran = Count()
        let gate = DispatchSemaphore(value: 0)
        for _ in 0..<2 { pool.submit { gate.wait(); ran.add() } }
        for _ in 0..<50 { pool.submit { ran.add() } }
        gate.signal()
        gate.signal()
        pool.shutDown()
        #expect(ran.value == 52)
        #expect(!pool.submit {})
        // A pool that never ran anything shuts down at once.
        BlockingWorkerPool(threadCount: 4, name: "test-pool").shutDown()
    }
}
