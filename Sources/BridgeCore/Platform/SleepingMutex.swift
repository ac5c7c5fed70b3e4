import Glibc

/// A value behind a mutex whose contended callers sleep at once, for locks that many threads take under load (the
/// HTTP server's blocking pool, the group commit's queue).
///
/// Why not `Synchronization.Mutex`: on Linux its `_lockSlow` first spins 1,000 `pause` instructions and only then
/// sleeps in a priority-inheriting futex (`FUTEX_LOCK_PI`; seen in its disassembly in our release binary, Swift 6).
/// On the 2-core machine of issue 16, with about 40 runnable threads, the holder of a contended lock is usually not
/// running, so that spin cannot succeed: it was 11% of the service's samples during transfers. glibc's default
/// `pthread_mutex_t` (`PTHREAD_MUTEX_NORMAL`) sleeps on a plain futex without spinning, and the holder's unlock
/// wakes one sleeper.
///
/// Same shape as `Mutex`: the value is reached only inside ``withLock(_:)``. `@unchecked Sendable`: the value is
/// only touched with the mutex held, and the mutex lives in its own allocation, so it never moves.
public final class SleepingMutex<Value>: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    public init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` on the value with the mutex held. `body` must not take this mutex again (it would deadlock).
    @inline(__always)
    public func withLock<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure) -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
