import Dispatch
import Glibc
import WalletBridgeCLI

// Synchronous on purpose: help, the version and usage errors answer before Swift concurrency starts its threads
// (WalletBridgeCLI.prepare). A command runs as a task while the main thread, which no task needs (nothing here is
// main-actor isolated), waits for its exit code.
switch WalletBridgeCLI.prepare(Array(CommandLine.arguments.dropFirst()), io: .standard) {
case .answered(let code):
    exit(code)
case .command(let command):
    let finished = DispatchSemaphore(value: 0)
    // Written by the task before it signals, read after the wait: the semaphore orders the two.
    nonisolated(unsafe) var code = WalletBridgeCLI.ExitCode.failure
    Task.detached {
        code = await command()
        finished.signal()
    }
    finished.wait()
    exit(code)
}
