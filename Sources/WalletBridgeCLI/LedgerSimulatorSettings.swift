import BridgeSimulator

/// The knobs of a simulated Ledger, shared by `simulate ledger` (`--approve deny`) and the in-process `sim:ledger`
/// transport of every device command (`--sim-approve deny`), so both spell and check them the same way
/// (CONTRACT.md section 1, `simulate`).
struct LedgerSimulatorSettings: Sendable, Equatable {
    /// The Ledger apps a simulated device can have open, by their command-line names.
    static let appNames: [(name: String, app: SimulatedLedger.App)] = [
        ("ethereum", .ethereum), ("bitcoin", .bitcoin), ("bitcoin-test", .bitcoinTest), ("dashboard", .dashboard),
    ]

    /// nil: the seed Speculos uses (the simulator's default), so answers match emulator-based tests.
    var mnemonic: String?
    var passphrase: String = ""
    /// false: every prompt is rejected, as a user pressing "Reject" would.
    var approves = true
    /// Every prompt waits for button presses through Speculos's REST API (`simulate ledger --approve buttons`).
    var waitsForButtons = false
    var locked = false
    var app: SimulatedLedger.App = .ethereum
    /// Off by default, "Raw messages" on: how an operator's device is set up (CONTRACT.md; ledger.md section 4.6).
    var blindSigning = false
    var rawMessages = true
    /// Added to every answer, to imitate a person taking time to confirm.
    var delayMilliseconds = 0

    /// The knob options of `simulate ledger` (mnemonic and passphrase excepted, which callers declare with their
    /// own help), each name after `prefix`.
    static func knobOptions(prefix: String) -> [CommandOption] {
        [
            .value(prefix + "approve", approveChoices(prefix: prefix).map(\.name).joined(separator: "|"),
                   help: "How the simulated user answers every prompt on the device.", default: "auto"),
            .flag(prefix + "locked", help: "The simulated device is locked: every request fails with code -5."),
        ] + specificOptions(prefix: prefix) + [
            .value(prefix + "delay-ms", "N", help: "Milliseconds the simulated device waits before each answer.", default: "0"),
        ]
    }

    /// The knobs only a simulated Ledger has (its app and the Ethereum app's settings); the device-selection group
    /// lists them beside the knobs both simulated devices share, their help after `label` ("Ledger only. ").
    static func specificOptions(prefix: String, label: String = "") -> [CommandOption] {
        [
            .value(prefix + "app", "APP", help: label + "The app open on the simulated device: ethereum, bitcoin, bitcoin-test or dashboard (none).",
                   default: "ethereum"),
            .value(prefix + "blind-signing", "on|off", help: label + "The Ethereum app's \"Blind signing\" setting (needed for hashed EIP-712).",
                   default: "off"),
            .value(prefix + "raw-messages", "on|off", help: label + "The Ethereum app's \"Raw messages\" setting (needed for full EIP-712 without blind signing).",
                   default: "on"),
        ]
    }

    /// `--approve`'s values; `buttons` makes every prompt wait for presses through `--api-port` (`simulate ledger` only).
    static func approveChoices(prefix: String) -> [(name: String, decision: SimulatorApproveChoices.Decision)] {
        SimulatorApproveChoices.choices(prefix: prefix, waiting: "buttons")
    }

    init() {}

    /// The settings a command line gave, the knobs read under `prefix`; a bad value is a usage error.
    init(_ arguments: ParsedArguments, prefix: String, mnemonicOption: String, passphraseOption: String) throws(UsageError) {
        mnemonic = arguments.value(mnemonicOption)
        passphrase = arguments.value(passphraseOption) ?? ""
        let onOff = [("on", true), ("off", false)]
        let choices = Self.approveChoices(prefix: prefix).map { ($0.name, $0.decision) }
        let decision: SimulatorApproveChoices.Decision = try arguments.choice(prefix + "approve", from: choices) ?? (true, false)
        approves = decision.approves
        waitsForButtons = decision.waits
        locked = arguments.flag(prefix + "locked")
        app = try arguments.choice(prefix + "app", from: Self.appNames.map { ($0.name, $0.app) }) ?? .ethereum
        blindSigning = try arguments.choice(prefix + "blind-signing", from: onOff) ?? false
        rawMessages = try arguments.choice(prefix + "raw-messages", from: onOff) ?? true
        delayMilliseconds = try arguments.integer(prefix + "delay-ms", in: 0...600_000) ?? 0
    }

    /// The simulator's configuration for these settings.
    var configuration: SimulatedLedger.Configuration {
        var configuration = SimulatedLedger.Configuration()
        if let mnemonic { configuration.mnemonic = mnemonic }
        configuration.passphrase = passphrase
        configuration.approval = waitsForButtons ? .buttons : approves ? .approve : .deny
        configuration.locked = locked
        configuration.app = app
        configuration.blindSigning = blindSigning
        configuration.rawMessages = rawMessages
        configuration.latency = .milliseconds(delayMilliseconds)
        return configuration
    }
}
