import BridgeCore
import Glibc

/// A program run to its end, with `posix_spawn`: what the CLI needs of Foundation's `Process` (udevadm, itself).
/// Standard input is `/dev/null`; standard output is collected or discarded; standard error is passed through or
/// discarded.
struct ChildProcess {
    /// How it ended, and what it wrote on standard output when that was collected.
    struct Outcome {
        /// The exit status, or 128 + the signal's number when a signal ended it (as a shell reports it).
        var status: Int32
        var output: [UInt8]
    }

    /// Why it could not run at all.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs `executable` (a path) with `arguments` and waits for it.
    static func run(_ executable: String, _ arguments: [String], collectOutput: Bool = false,
                    passStandardError: Bool = true) -> Result<Outcome, Failure> {
        var pipe: [Int32] = [-1, -1]
        if collectOutput, Glibc.pipe(&pipe) != 0 { return .failure(Failure(description: errnoText("pipe"))) }
        defer { for fd in pipe where fd >= 0 { close(fd) } }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        if collectOutput {
            posix_spawn_file_actions_adddup2(&actions, pipe[1], 1)
            // The child keeps only its standard output: the read end left open there would never see end of file.
            posix_spawn_file_actions_addclose(&actions, pipe[0])
            posix_spawn_file_actions_addclose(&actions, pipe[1])
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        }
        if !passStandardError { posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0) }

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard spawned == 0 else {
            return .failure(Failure(description: "cannot run \(executable): \(String(cString: strerror(spawned)))"))
        }
        var output: [UInt8] = []
        if collectOutput {
            close(pipe[1])
            pipe[1] = -1
            output = FileDescriptorIO.readAll(from: pipe[0])
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { return .failure(Failure(description: errnoText("waitpid"))) }
        }
        // <sys/wait.h>'s WIFEXITED/WEXITSTATUS/WTERMSIG are macros, which Swift does not import.
        let signal = status & 0x7f
        return .success(Outcome(status: signal == 0 ? (status >> 8) & 0xff : 128 + signal, output: output))
    }

    private static func errnoText(_ call: String) -> String { "\(call): \(String(cString: strerror(errno)))" }
}
