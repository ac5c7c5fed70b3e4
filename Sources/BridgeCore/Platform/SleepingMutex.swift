import Glibc

/// A value behind a mutex whose contended callers sleep at once, for locks that many threads take under load (the
/// HTTP server's blocking pool, the group commit's queue).
///
/// Why not `Synchronization.Mutex`: on Linux its `_lockSlow` first spins 1,000 `pause` instructions and only then
/// sleeps in a priority-inheriting futex (`FUTEX_LOCK_PI`; seen in its disassembly in our release binary, Swift 6).
/// On the 2-core machine of issue 16, with about 40 runnable threads, the holder of a contended lock is usually not
/// running, so that spin cannot succeed: it was 11% of the service's samples during transfers. glibc's
/// `pthread_mutex_t` sleeps on a plain futex without spinning, and the holder's unlock wakes one sleeper.
///
/// The mutex checks its owner (`PTHREAD_MUTEX_ERRORCHECK`): a thread that takes it again while holding it stops with
/// a message, as with `Mutex`, instead of hanging for ever. Only a bug in this program can do that, never input.
///
/// Same shape as `Mutex`: the value is reached only inside ``withLock(_:)``. `@unchecked Sendable`: the value is
/// only touched with the mutex held, and the mutex lives in its own allocation, so it never moves.
public final class SleepingMutex<Value>: @unchecked Sendable {
    // Reachable from `withLock`'s inlined body in other modules, so that it is specialized for each `Value` there
    // rather than called through generic metadata.
    @usableFromInline let mutex: UnsafeMutablePointer<pthread_mutex_t>
    @usableFromInline var value: Value

    public init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_ERRORCHECK))
        pthread_mutex_init(mutex, &attributes)
        pthread_mutexattr_destroy(&attributes)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` on the value with the mutex held. `body` must not take this mutex again.
    @inlinable
    public func withLock<Result, Failure: Error>(_ body: (inout Value) throws(Failure) -> Result) throws(Failure) -> Result {
        let status = pthread_mutex_lock(mutex)
        precondition(status == 0, "SleepingMutex taken again by the thread that holds it (pthread_mutex_lock: \(status))")
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
