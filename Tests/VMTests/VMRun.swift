import Foundation

/// One boot of the throwaway VM (Tests/VM/vm-run.sh) running a guest script, and the result lines it printed:
/// `WBVM <scenario> <step> <exit status> <one line of output>`. The VM suite boots it once and every test reads it.
struct VMRun: Sendable {
    /// What one step inside the VM did.
    struct Step: Sendable, CustomStringConvertible {
        var status: Int
        var output: String
        var description: String { "exit \(status): \(output)" }
    }

    /// `<repo>`: this file is `<repo>/Tests/VMTests/VMRun.swift`.
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let runner = repository.appendingPathComponent("Tests/VM/vm-run.sh").path
    static let kernelStamp = repository.appendingPathComponent(".build/vm/kernel/.ready").path
    static let binary = repository.appendingPathComponent(".build/debug/walletbridge").path

    /// Why the VM cannot run here, or nil when it can: the kernel `make vm-kernel` extracts, QEMU and busybox
    /// (Debian's qemu-system-x86 and busybox-static, installed by `make deps`), and the built binary.
    static var unavailableReason: String? {
        let files = FileManager.default
        if !files.fileExists(atPath: kernelStamp) { return "no VM kernel: run `make vm-kernel` (Debian's linux-image, extracted under .build/vm)" }
        if !files.isExecutableFile(atPath: "/usr/bin/qemu-system-x86_64") { return "QEMU is missing: `make deps` installs qemu-system-x86" }
        if !files.isExecutableFile(atPath: "/bin/busybox") { return "busybox is missing: `make deps` installs busybox-static" }
        if !files.isExecutableFile(atPath: binary) { return "walletbridge is not built at \(binary): `swift build` first" }
        return nil
    }

    /// Every step by "scenario/step".
    let steps: [String: Step]
    /// The whole console output, for failure messages.
    let console: String
    /// Wall time of the boot, the scenarios and the power-off.
    let duration: Duration
    let completed: Bool

    subscript(_ key: String) -> Step? { steps[key] }

    /// Boots the VM with `script` (a path under the repository) and collects its results.
    static func boot(script: String, timeoutSeconds: Int = 900) throws -> VMRun {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: runner)
        process.arguments = [repository.appendingPathComponent(script).path]
        var environment = ProcessInfo.processInfo.environment
        environment["WBVM_TIMEOUT"] = String(timeoutSeconds)
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        let started = ContinuousClock.now
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let console = String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\r", with: "")
        var steps: [String: Step] = [:]
        for line in console.split(separator: "\n") {
            guard let start = line.range(of: "WBVM ") else { continue }
            let fields = line[start.upperBound...].split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
            guard fields.count >= 3, let status = Int(fields[2]) else { continue }
            steps["\(fields[0])/\(fields[1])"] = Step(status: status, output: fields.count > 3 ? String(fields[3]) : "")
        }
        return VMRun(steps: steps, console: console, duration: ContinuousClock.now - started,
                     completed: process.terminationStatus == 0)
    }
}

/// Boots the VM once for the whole suite, on a thread of its own, and hands every test the same result.
actor VMBoot {
    static let shared = VMBoot()
    private var boot: Task<Result<VMRun, any Error>, Never>?

    func result(script: String) async -> Result<VMRun, any Error> {
        if let boot { return await boot.value }
        let started = Task<Result<VMRun, any Error>, Never> {
            await withCheckedContinuation { continuation in
                Thread { continuation.resume(returning: Result { try VMRun.boot(script: script) }) }.start()
            }
        }
        boot = started
        return await started.value
    }
}
