import BridgeCore
import FoundationEssentials
import Glibc

/// Writes the udev rules into a rules directory and asks udev to apply them.
struct UdevInstaller {
    /// Where administrators put local rules, and `udev install`'s default.
    static let systemRulesDirectory = "/etc/udev/rules.d"
    /// The directories udev reads rules from (udev(7), "Rules Files"); only there does a reload make sense.
    static let udevRulesDirectories = ["/etc/udev/rules.d", "/run/udev/rules.d", "/usr/lib/udev/rules.d", "/lib/udev/rules.d"]
    /// Where `udevadm` may live.
    static let udevadmCandidates = ["/usr/bin/udevadm", "/bin/udevadm", "/sbin/udevadm", "/usr/sbin/udevadm"]

    /// What an installation did.
    struct Outcome {
        var installed: [String] = []
        var reloaded = false
        /// What happened to the reload, in words.
        var reload = ""
    }

    let directory: String

    /// Writes every rules file (mode 0644), then reloads udev when `directory` is one udev reads.
    func install() throws -> Outcome {
        var outcome = Outcome()
        let files = FileManager.default
        do {
            try files.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for rules in UdevRules.files {
                let path = FilePathText.join(directory, rules.name)
                try Data(rules.contents.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
                try files.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
                outcome.installed.append(path)
            }
        } catch {
            throw Self.writeFailure(error, directory: directory)
        }
        (outcome.reloaded, outcome.reload) = reload()
        return outcome
    }

    /// `udevadm control --reload-rules && udevadm trigger`, as LedgerHQ/udev-rules `add_udev_rules.sh` runs it.
    private func reload() -> (done: Bool, what: String) {
        let standardized = FilePathText.standardized(directory)
        guard Self.udevRulesDirectories.contains(standardized) else {
            return (false, "not reloaded: udev does not read \(directory); copy the files to \(Self.systemRulesDirectory) to use them")
        }
        guard let udevadm = Self.udevadmCandidates.first(where: FileManager.default.isExecutableFile(atPath:)) else {
            return (false, "not reloaded: udevadm is not installed (no udev here, e.g. a container); replug the device once udev runs")
        }
        for arguments in [["control", "--reload-rules"], ["trigger"]] {
            let command = "udevadm " + arguments.joined(separator: " ")
            switch Self.run(udevadm, arguments) {
            case .success: continue
            case .failure(let why):
                return (false, "\(command) failed (\(why)); run it as root, or replug the device")
            }
        }
        return (true, "ran udevadm control --reload-rules && udevadm trigger; replug the device if it was connected")
    }

    /// Runs `executable` and waits; stderr is passed through so the user sees udevadm's own words.
    private static func run(_ executable: String, _ arguments: [String]) -> Result<Void, ChildProcess.Failure> {
        ChildProcess.run(executable, arguments).flatMap { outcome in
            outcome.status == 0 ? .success(()) : .failure(ChildProcess.Failure(description: "exit \(outcome.status)"))
        }
    }

    /// A write that failed: permission problems get the sudo hint (code -12), anything else is bad input (-10).
    static func writeFailure(_ error: Error, directory: String) -> GenericBridgeError {
        let posix = (error as? POSIXError) ?? ((error as? CocoaError)?.userInfo["NSUnderlyingError"] as? POSIXError)
        let denied = posix?.code == .EACCES || posix?.code == .EPERM
            || (error as? CocoaError)?.code == .fileWriteNoPermission
        if denied {
            return GenericBridgeError(.permissionDenied, "Cannot write udev rules into \(directory): permission denied",
                                      hint: "Run it as root: sudo walletbridge udev install")
        }
        return GenericBridgeError(.badArgument, "Cannot write udev rules into \(directory): \(error.systemDescription)",
                                  hint: "Give a writable directory with --dir, or run it as root for \(systemRulesDirectory).")
    }
}
