import BridgeCore

extension Command {
    /// `walletbridge udev`: the udev rules group.
    static let udev = Command(
        name: "udev",
        abstract: "Install the udev rules that let non-root users open Ledger and Trezor devices.",
        subcommands: [.udevInstall]
    )

    /// `walletbridge udev install [--dir D]`.
    static let udevInstall = Command(
        name: "install",
        abstract: "Install the Ledger and Trezor udev rules and reload udev.",
        discussion: """
            Writes 20-walletbridge-ledger.rules and 51-walletbridge-trezor.rules (the repository's udev/ folder, \
            carried in the binary) into D, default /etc/udev/rules.d, then runs udevadm control --reload-rules && \
            udevadm trigger when D is a directory udev reads. Prints {"directory", "installed": [paths], \
            "reloaded": true|false, "reload": what happened}. Writing to /etc needs root. The rules work on \
            desktops (uaccess) and headless stations (group plugdev, mode 0660: add the user to plugdev). \
            Replug the device afterwards.

            Examples:
              sudo walletbridge udev install
              walletbridge udev install --dir ./debian/udev
            """,
        options: [
            .value("dir", "D", help: "The directory to write the rules into.", default: UdevInstaller.systemRulesDirectory),
        ],
        run: { arguments, io in
            let directory = try arguments.requiredValue("dir")
            let outcome = try UdevInstaller(directory: directory).install()
            io.progress("Installed \(outcome.installed.joined(separator: ", ")); \(outcome.reload)")
            return [
                "directory": .string(directory),
                "installed": .array(outcome.installed.map(JSONValue.string)),
                "reloaded": .bool(outcome.reloaded),
                "reload": .string(outcome.reload),
            ]
        }
    )
}
