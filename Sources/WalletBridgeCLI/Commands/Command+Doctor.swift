import BridgeCore

extension Command {
    /// `walletbridge doctor`: checks the machine for what talking to devices needs.
    static let doctor = Command(
        name: "doctor",
        abstract: "Check libraries, udev rules, device permissions and visible devices; say how to fix what is wrong.",
        discussion: """
            Prints {"checks": [{"name", "ok", "detail", "fix"}]}: hidapi and libusb load, udev runs, udev rules \
            for Ledger and Trezor are installed, this user may open the wallets' hidraw device nodes, and which \
            devices are visible. A failed check carries its fix (fix is null for a passed one). The command \
            succeeds whatever it finds.
            """,
        run: { _, _ in
            ["checks": .array(DoctorChecks().run().map(\.json))]
        }
    )
}
