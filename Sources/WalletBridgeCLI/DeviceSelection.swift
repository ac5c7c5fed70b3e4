/// How a device command chooses its device (CONTRACT.md section 1, "Device selection"): declared once here so
/// every device command includes the same options with the same help.
///
/// A device command lists ``options`` (and ``simulatorOptions``) in its `optionGroups` and reads them with ``init(_:)``.
public struct DeviceSelection: Sendable, Equatable {
    /// Seconds to wait for the device when `--timeout` is not given (CONTRACT.md).
    public static let defaultTimeout = 120
    /// The longest `--timeout` accepted: one day, far beyond any confirmation a person makes.
    public static let maximumTimeout = 86_400

    /// The options, shown under "DEVICE SELECTION" in help.
    public static let options = OptionGroup(title: "Device selection", options: [
        .value("device", "ID", help: "The device to use: an id printed by `walletbridge enumerate`. Without it, the single connected device."),
        .value("transport", "T", help: "hid (Ledger, Trezor One legacy), webusb (Trezor via libusb), tcp:HOST:PORT (Speculos APDU protocol), udp:HOST:PORT (Trezor emulator protocol), sim:ledger or sim:trezor (in-process simulated device). Default: every wallet on USB, hid and webusb."),
        .value("sim-mnemonic", "M", help: "The seed of a sim: device (default: the seed its vendor's emulator uses). For tests and demos only."),
        .value("sim-passphrase", "P", help: "The BIP-39 passphrase of a sim: device (a simulated Trezor then has passphrase protection on, and its simulated user types P when the passphrase is entered on the device)."),
        .value("timeout", "S", help: "Seconds to wait for the device, the user's confirmation included.", default: String(defaultTimeout)),
        .value("pin", "POSITIONS", help: "Trezor One PIN: the keypad positions of its digits on the device's scrambled grid (7 8 9 / 4 5 6 / 1 2 3), as trezorctl takes them. Without it the grid is drawn on stderr and the PIN asked for on the terminal."),
        .value("passphrase-on-host", "P", help: "Answer a passphrase request from the host (default: enter it on the device where the model can). - reads it as one line from standard input, so it stays out of the process list and shell history."),
    ])

    /// The knobs of the in-process simulated devices (`--transport sim:ledger`, `sim:trezor`): the `simulate ledger`
    /// and `simulate trezor` options prefixed `sim-`, a shared knob (approve, locked, delay-ms) applying to whichever
    /// simulated device the transport names; device commands include this group after ``options``.
    public static let simulatorOptions = OptionGroup(title: "Simulated devices (sim:ledger, sim:trezor)", options: [
        .value("sim-approve", "auto|deny", help: "How the simulated user answers every prompt on the device.", default: "auto"),
        .flag("sim-locked", help: "The simulated device is locked: a Ledger refuses every request (code -5); a Trezor is protected by the PIN \(TrezorSimulatorSettings.lockedPIN), not yet entered."),
        .value("sim-delay-ms", "N", help: "Milliseconds the simulated device waits before each answer.", default: "0"),
    ] + LedgerSimulatorSettings.specificOptions(prefix: "sim-", label: "Ledger only. ")
        + TrezorSimulatorSettings.specificOptions(prefix: "sim-", label: "Trezor only. "))

    /// `--device`: an id from `enumerate`.
    public var device: String?
    /// `--transport`, as written (`hid`, `tcp:127.0.0.1:9999`, `sim:ledger`...).
    public var transport: String?
    /// `--sim-mnemonic`.
    public var simulatorMnemonic: String?
    /// `--sim-passphrase`.
    public var simulatorPassphrase: String?
    /// `--timeout` in seconds.
    public var timeoutSeconds: Int
    /// `--pin`: keypad positions.
    public var pinPositions: String?
    /// `--passphrase-on-host`.
    public var passphraseOnHost: String?
    /// A `sim:ledger` device's seed and knobs (`--sim-mnemonic`, `--sim-approve`, `--sim-app`...).
    var ledgerSimulator: LedgerSimulatorSettings
    /// A `sim:trezor` device's seed and knobs (`--sim-mnemonic`, `--sim-approve`, `--sim-model`...).
    var trezorSimulator: TrezorSimulatorSettings

    /// The selection a command line made; a bad `--timeout` is a usage error.
    public init(_ arguments: ParsedArguments) throws(UsageError) {
        device = arguments.value("device")
        transport = arguments.value("transport")
        simulatorMnemonic = arguments.value("sim-mnemonic")
        simulatorPassphrase = arguments.value("sim-passphrase")
        timeoutSeconds = try arguments.integer("timeout", in: 1...Self.maximumTimeout) ?? Self.defaultTimeout
        pinPositions = arguments.value("pin")
        if let pin = pinPositions, !TrezorSimulatorSettings.isPIN(pin) {
            // trezorlib refuses anything but positions 1-9, at most 50 (trezor.md section 4, "PIN encoding").
            throw UsageError("--pin takes the keypad positions 1-9 of the PIN digits (7 8 9 / 4 5 6 / 1 2 3), at most \(TrezorSimulatorSettings.maximumPINLength) of them",
                             about: arguments.commandLine)
        }
        passphraseOnHost = arguments.value("passphrase-on-host")
        ledgerSimulator = try LedgerSimulatorSettings(
            arguments, prefix: "sim-", mnemonicOption: "sim-mnemonic", passphraseOption: "sim-passphrase")
        trezorSimulator = try TrezorSimulatorSettings(
            arguments, prefix: "sim-", mnemonicOption: "sim-mnemonic", passphraseOption: "sim-passphrase")
    }

    /// How long an operation may take, the user's confirmation included.
    public var timeout: Duration { .seconds(timeoutSeconds) }
}
