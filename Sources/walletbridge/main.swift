import Dispatch
import Glibc
import WalletBridgeCLI

// Synchronous on purpose: help, the version and usage errors answer before Swift concurrency starts its threads
// (WalletBridgeCLI.prepare). A command runs as a task that starts on this thread (`Task.immediate`): one that never
// suspends, such as a device command (its exchanges run on the calling thread), ends here without the concurrency
// runtime starting a thread; one that suspends continues on the runtime's threads while this one waits for its exit
// code.
switch WalletBridgeCLI.prepare(Array(CommandLine.arguments.dropFirst()), io: .standard) {
case .answered(let code):
    exit(code)
case .command(let command):
    exit(run(command))
}

/// Runs `command` to its end and gives its exit code. Nonisolated, so the task is too: top-level code is on the
/// main actor, and a task isolated to it would resume on this thread while the thread waits for it.
nonisolated func run(_ command: @escaping @Sendable () async -> Int32) -> Int32 {
    let finished = DispatchSemaphore(value: 0)
    // Written by the task before it signals, read after the wait: the semaphore orders the two.
    nonisolated(unsafe) var code = WalletBridgeCLI.ExitCode.failure
    Task.immediate {
        code = await command()
        finished.signal()
    }
    finished.wait()
    return code
}
