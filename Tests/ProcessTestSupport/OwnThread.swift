import Foundation

/// Runs blocking work (a socket read, a server's graceful stop) on a thread of its own and resumes the caller when it
/// is done. The Swift concurrency pool has one thread per core (two here): a test parked in a blocking call there
/// would stall every other task, the WebDriver polling included.
public func onOwnThread<T: Sendable>(
    _ name: String, _ work: @escaping @Sendable () throws -> T
) async throws -> T {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        let thread = Thread {
            continuation.resume(with: Result { try work() })
        }
        thread.name = "tests: \(name)"
        thread.start()
    }
}
