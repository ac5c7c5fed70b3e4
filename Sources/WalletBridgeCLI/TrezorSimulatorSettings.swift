import BridgeSimulator

/// The knobs of a simulated Trezor, shared by `simulate trezor` (`--model one`) and the in-process `sim:trezor`
/// transport of every device command (`--sim-model one`), so both spell and check them the same way
/// (CONTRACT.md section 1, `simulate`).
struct TrezorSimulatorSettings: Sendable, Equatable {
    /// The models by their command-line names.
    static let modelNames: [(name: String, model: SimulatedTrezor.Model)] = [
        ("one", .one), ("t", .t), ("safe3", .safe3), ("safe5", .safe5),
    ]
    /// The PIN `--locked` protects the device with: locked means "a PIN is set and not yet entered".
    static let lockedPIN = "1234"
    /// trezorlib's limit for a PIN (`MAX_PIN_LENGTH`, trezor.md section 4).
    static let maximumPINLength = 50

    /// nil: "all all ... all", the seed Trezor's device tests use (the simulator's default).
    var mnemonic: String?
    /// nil: passphrase protection off; a string: on, and the simulated user types it when asked on the device.
    var passphrase: String?
    var model: SimulatedTrezor.Model = .safe5
    /// false: every prompt is rejected, as a user pressing "Cancel" would.
    var approves = true
    /// true: nobody presses on the device; every screen waits for a DebugLinkDecision on the debug link
    /// (`simulate trezor --approve debuglink`).
    var waitsForDebugLink = false
    /// The device PIN (digits 1-9); nil for none.
    var devicePIN: String?
    /// The digits shown at keypad positions 1...9 of the PIN matrix; nil for a fresh random grid per request.
    var pinLayout: [UInt8]?
    /// Added to every answer, to imitate a person taking time to confirm.
    var delayMilliseconds = 0

    /// The knob options of `simulate trezor` (mnemonic and passphrase excepted, which callers declare with their own
    /// help), each name after `prefix`.
    static func knobOptions(prefix: String) -> [CommandOption] {
        [
            .value(prefix + "approve", approveChoices(prefix: prefix).map(\.name).joined(separator: "|"), help: "How the simulated user answers every prompt on the device.",
                   default: "auto"),
            .flag(prefix + "locked", help: "The simulated device is locked: protected by the PIN \(lockedPIN), not yet entered (a Trezor One asks for it through the PIN matrix, the other models on the device)."),
        ] + specificOptions(prefix: prefix) + [
            .value(prefix + "delay-ms", "N", help: "Milliseconds the simulated device waits before each answer.", default: "0"),
        ]
    }

    /// The knobs only a simulated Trezor has; the device-selection group lists them beside the knobs both simulated
    /// devices share, their help after `label` ("Trezor only. ").
    static func specificOptions(prefix: String, label: String = "") -> [CommandOption] {
        [
            .value(prefix + "model", "one|t|safe3|safe5", help: label + "The simulated model: Trezor One (PIN matrix, hashed EIP-712 only), Model T, Safe 3 or Safe 5 (full EIP-712, PIN and passphrase on the device).",
                   default: "safe5"),
            .value(prefix + "device-pin", "PIN", help: label + "Protect the simulated device with this PIN (digits 1-9); it is locked until the PIN is entered."),
            .value(prefix + "pin-layout", "DIGITS", help: label + "Fix the scrambled PIN matrix: the 9 digits shown at keypad positions 1-9 (e.g. 123456789 makes positions equal digits). Default: a fresh random grid per request."),
        ]
    }

    /// `--approve`'s values; `debuglink` makes every screen wait for the debug link (`simulate trezor` only).
    static func approveChoices(prefix: String) -> [(name: String, decision: SimulatorApproveChoices.Decision)] {
        SimulatorApproveChoices.choices(prefix: prefix, waiting: "debuglink")
    }

    init() {}

    /// The settings a command line gave, the knobs read under `prefix`; a bad value is a usage error.
    init(_ arguments: ParsedArguments, prefix: String, mnemonicOption: String, passphraseOption: String) throws(UsageError) {
        mnemonic = arguments.value(mnemonicOption)
        passphrase = arguments.value(passphraseOption)
        model = try arguments.choice(prefix + "model", from: Self.modelNames.map { ($0.name, $0.model) }) ?? .safe5
        let choices = Self.approveChoices(prefix: prefix).map { ($0.name, $0.decision) }
        let decision = try arguments.choice(prefix + "approve", from: choices) ?? (true, false)
        approves = decision.approves
        waitsForDebugLink = decision.waits
        delayMilliseconds = try arguments.integer(prefix + "delay-ms", in: 0...600_000) ?? 0
        if let pin = arguments.value(prefix + "device-pin") {
            guard Self.isPIN(pin) else {
                throw UsageError("--\(prefix)device-pin must be 1 to \(Self.maximumPINLength) digits 1-9, got '\(pin)'",
                                 about: arguments.commandLine)
            }
            devicePIN = pin
        } else if arguments.flag(prefix + "locked") {
            devicePIN = Self.lockedPIN
        }
        if let layout = arguments.value(prefix + "pin-layout") {
            guard let digits = Self.layout(layout) else {
                throw UsageError("--\(prefix)pin-layout must be the digits 1-9, each once (e.g. 739154826), got '\(layout)'",
                                 about: arguments.commandLine)
            }
            pinLayout = digits
        }
    }

    /// Whether `text` is a PIN a Trezor takes: 1 to 50 of the digits 1-9.
    static func isPIN(_ text: String) -> Bool {
        !text.isEmpty && text.count <= maximumPINLength && text.allSatisfy { ("1"..."9").contains($0) }
    }

    /// The digits of a PIN-matrix layout: a permutation of 1...9; nil for anything else.
    static func layout(_ text: String) -> [UInt8]? {
        let digits = text.compactMap { $0.wholeNumberValue.map(UInt8.init) }
        guard digits.count == 9, text.count == 9, digits.sorted() == Array(1...9) else { return nil }
        return digits
    }

    /// The command-line name of the model.
    var modelName: String { Self.modelNames.first { $0.model == model }?.name ?? "safe5" }

    /// The simulator's configuration for these settings.
    var configuration: SimulatedTrezor.Configuration {
        var configuration = SimulatedTrezor.Configuration()
        configuration.model = model
        if let mnemonic { configuration.mnemonic = mnemonic }
        configuration.passphrase = passphrase
        configuration.approval = approves ? .approve : .deny
        configuration.userPressesButtons = !waitsForDebugLink
        configuration.pin = devicePIN
        configuration.pinLayout = pinLayout
        configuration.latency = .milliseconds(delayMilliseconds)
        return configuration
    }
}
