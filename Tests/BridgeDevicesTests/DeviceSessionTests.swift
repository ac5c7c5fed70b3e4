import BridgeDevices
import Glibc
import Synchronization
import Testing

@Suite("One operation at a time, with deadlines and cancellation")
struct DeviceSessionTests {
    @Test func secondCallerGetsBusy() async throws {
        let session = DeviceSession(label: "test")
        let started = Atomic(false)
        let release = Atomic(false)
        async let first: Int = session.perform(timeout: .seconds(10)) { _, _ in
            started.store(true, ordering: .sequentiallyConsistent)
            while !release.load(ordering: .sequentiallyConsistent) { usleepShort() }
            return 1
        }
        while !started.load(ordering: .sequentiallyConsistent) { await Task.yield() }
        await #expect(throws: DeviceError.busy("another operation is in progress on this device")) {
            try await session.perform(timeout: .seconds(1)) { _, _ in 2 }
        }
        release.store(true, ordering: .sequentiallyConsistent)
        #expect(try await first == 1)
        // Free again once the first operation finished.
        #expect(try await session.perform(timeout: .seconds(1)) { _, _ in 3 } == 3)
    }

    @Test func cancellationReachesTheBlockingLoop() async throws {
        let session = DeviceSession(label: "test")
        let task = Task {
            try await session.perform(timeout: .seconds(30)) { _, isCancelled throws(DeviceError) -> Int in
                while !isCancelled() { usleepShort() }
                throw .cancelled
            }
        }
        task.cancel()
        await #expect(throws: DeviceError.cancelled) { try await task.value }
    }

    /// `.callingThread` runs the operation on the caller's thread without suspending: a task started with
    /// `Task.immediate` (as `main.swift` starts a command) has finished when the call returns. `.dispatchQueue` runs it
    /// on the session's queue, another thread.
    @Test func callingThreadRunsTheOperationWithoutSuspending() async throws {
        let session = DeviceSession(label: "test", execution: .callingThread)
        let outcome = Mutex<(caller: UInt, runner: UInt, value: Int)?>(nil)
        Task.immediate {
            let caller = UInt(pthread_self())
            let (runner, value) = try await session.perform(timeout: .seconds(1)) { _, _ in (UInt(pthread_self()), 7) }
            outcome.withLock { $0 = (caller, runner, value) }
        }
        let finished = try #require(outcome.withLock { $0 })
        #expect(finished.runner == finished.caller)
        #expect(finished.value == 7)
        // A failure comes back the same way, and the session is free again after it.
        await #expect(throws: DeviceError.timedOut(.seconds(1))) {
            try await session.perform(timeout: .seconds(1)) { _, _ throws(DeviceError) -> Int in throw .timedOut(.seconds(1)) }
        }
        #expect(try await session.perform(timeout: .seconds(1)) { _, _ in 8 } == 8)

        let queued = DeviceSession(label: "test")
        let caller = UInt(pthread_self())
        #expect(try await queued.perform(timeout: .seconds(1)) { _, _ in UInt(pthread_self()) } != caller)
    }

    @Test func deadlineIsPassedToTheOperation() async throws {
        let session = DeviceSession(label: "test")
        let remaining = try await session.perform(timeout: .seconds(5)) { deadline, _ in deadline - ContinuousClock.now }
        #expect(remaining > .seconds(4) && remaining <= .seconds(5))
    }
}

/// Yields the processor briefly inside a blocking loop (the loops under test are the blocking kind).
func usleepShort() {
    var request = timespec(tv_sec: 0, tv_nsec: 1_000_000)
    nanosleep(&request, nil)
}
