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
        .value("transport", "T", help: "hid (Ledger, Trezor One legacy), webusb (Trezor via libusb), tcp:HOST:PORT (Speculos APDU protocol), udp:HOST:PORT (Trezor emulator protocol), sim:ledger or sim:trezor (in-process simulated device)."),
        .value("sim-mnemonic", "M", help: "The seed of a sim: device (default: the seed its vendor's emulator uses). For tests and demos only."),
        .value("sim-passphrase", "P", help: "The BIP-39 passphrase of a sim: device."),
        .value("timeout", "S", help: "Seconds to wait for the device, the user's confirmation included.", default: String(defaultTimeout)),
        .value("pin", "POSITIONS", help: "Trezor One PIN: the keypad positions of its digits on the device's scrambled grid (7 8 9 / 4 5 6 / 1 2 3), as trezorctl takes them. Without it the grid is drawn on stderr and the PIN asked for on the terminal."),
        .value("passphrase-on-host", "P", help: "Answer a passphrase request from the host (default: enter it on the device where the model can)."),
    ])

    /// The knobs of the in-process simulated Ledger (`--transport sim:ledger`): the `simulate ledger` options
    /// prefixed `sim-`; device commands include this group after ``options``.
    public static let simulatorOptions = OptionGroup(
        title: "Simulated Ledger", options: LedgerSimulatorSettings.knobOptions(prefix: "sim-"))

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

    /// The selection a command line made; a bad `--timeout` is a usage error.
    public init(_ arguments: ParsedArguments) throws(UsageError) {
        device = arguments.value("device")
        transport = arguments.value("transport")
        simulatorMnemonic = arguments.value("sim-mnemonic")
        simulatorPassphrase = arguments.value("sim-passphrase")
        timeoutSeconds = try arguments.integer("timeout", in: 1...Self.maximumTimeout) ?? Self.defaultTimeout
        pinPositions = arguments.value("pin")
        passphraseOnHost = arguments.value("passphrase-on-host")
        ledgerSimulator = try LedgerSimulatorSettings(
            arguments, prefix: "sim-", mnemonicOption: "sim-mnemonic", passphraseOption: "sim-passphrase")
    }

    /// How long an operation may take, the user's confirmation included.
    public var timeout: Duration { .seconds(timeoutSeconds) }
}
