import BridgeCore
import Dispatch
import Testing

@Suite("SleepingMutex")
struct SleepingMutexTests {
    /// Two fields that only ever change together: a reader that saw them differ saw another thread's half-done update.
    struct Pair {
        var first = 0
        var second = 0
    }

    @Test("Threads that update one value under the mutex lose no update and never see another's half-done one")
    func excludesOtherThreads() {
        let mutex = SleepingMutex(Pair())
        let threads = 8, updates = 20_000
        let tornReads = SleepingMutex(0)
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            for _ in 0..<updates {
                let torn = mutex.withLock { pair -> Bool in
                    let seenTorn = pair.first != pair.second
                    pair.first += 1
                    pair.second += 1
                    return seenTorn
                }
                if torn { tornReads.withLock { $0 += 1 } }
            }
        }
        let final = mutex.withLock { $0 }
        #expect(final.first == threads * updates)
        #expect(final.second == threads * updates)
        #expect(tornReads.withLock { $0 } == 0)
    }

    struct Refused: Error, Equatable { let code: Int }

    @Test("A body's typed error reaches the caller, its changes stay, and the mutex is free again")
    func throwingBodyReleasesTheMutex() {
        let mutex = SleepingMutex([Int]())
        #expect(throws: Refused(code: 7)) {
            try mutex.withLock { (values: inout [Int]) throws(Refused) in
                values.append(1)
                throw Refused(code: 7)
            }
        }
        // Taken again from another thread: a lock left held would hang here rather than fail.
        let other = DispatchGroup()
        other.enter()
        DispatchQueue.global().async {
            mutex.withLock { $0.append(2) }
            other.leave()
        }
        other.wait()
        #expect(mutex.withLock { $0 } == [1, 2])
    }

    @Test("A thread that takes the mutex again while holding it stops the process instead of hanging")
    func retakingStops() async {
        await #expect(processExitsWith: .failure) {
            let mutex = SleepingMutex(0)
            mutex.withLock { _ in mutex.withLock { $0 += 1 } }
        }
    }
}
