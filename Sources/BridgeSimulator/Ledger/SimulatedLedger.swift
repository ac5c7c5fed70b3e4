import BridgeCore
import BridgeCrypto
import BridgeDevices
import Synchronization

/// A simulated Ledger: the device side of the APDU protocols, answering byte for byte as the real firmware and the
/// Ethereum (1.22.0) and Bitcoin (2.4.6) apps do in the Speculos recordings (../shared/vectors/ledger).
///
/// It holds a seed (by default Speculos' default seed, so answers match emulator-based tests), the open app, the
/// lock, the app settings and the user's decision on every prompt, and runs the state machine of
/// ../shared/reference/ledger.md section 7: locked -> 5515 for everything; the dashboard answers B0 01 / E0 01 /
/// E0 D8 and 6E01 to app APDUs; an open app answers B0 01 / B0 A7, 6E00 to a wrong CLA and 6D00 to an unknown INS.
/// ``SimulatedLedgerLink`` serves it over Ledger HID frames, ``SpeculosServer`` over the Speculos TCP protocol.
///
/// The seed is for tests and demos only: never put a seed that guards real funds into a simulator.
public final class SimulatedLedger: Sendable {
    /// The user's answer on every device prompt (open app, show address, sign).
    public enum Approval: String, Sendable, CaseIterable {
        case approve
        case deny
        /// Nobody presses on the device: every prompt waits for button presses through ``display``
        /// (`simulate ledger --approve buttons`, Speculos's `POST /button/...`).
        case buttons
    }

    /// What runs on the device.
    public enum App: String, Sendable, CaseIterable {
        /// No app open: the OS ("BOLOS") answers.
        case dashboard
        case ethereum
        /// The mainnet Bitcoin app (app-bitcoin-new): xpubs, `bc1` addresses.
        case bitcoin
        /// The testnet build Speculos-based tests use: tpubs, `tb1` addresses.
        case bitcoinTest

        /// The name B0 01 reports and E0 D8 (open app) takes.
        public var name: String {
            switch self {
            case .dashboard: "BOLOS"
            case .ethereum: "Ethereum"
            case .bitcoin: "Bitcoin"
            case .bitcoinTest: "Bitcoin Test"
            }
        }

        /// The app for an E0 D8 name, nil for a name no simulated app has.
        public init?(name: String) {
            guard let app = App.allCases.first(where: { $0 != .dashboard && $0.name == name }) else { return nil }
            self = app
        }

        /// The version B0 01 reports unless the configuration overrides it: the app versions recorded in
        /// recorded_eth_app_1_22_0.json and recorded_btc_app_2_4_6.json.
        var recordedVersion: String {
            switch self {
            case .dashboard: ""
            case .ethereum: "1.22.0"
            case .bitcoin, .bitcoinTest: "2.4.6"
            }
        }
    }

    public struct Configuration: Sendable {
        /// Speculos' default seed (LedgerHQ/speculos `speculos/main.py` DEFAULT_SEED), which CONTRACT.md makes the
        /// simulated Ledger's default.
        public static let speculosMnemonic =
            "glory promote mansion idle axis finger extra february uncover one trip resource lawn turtle enact monster seven myth punch hobby comfort wild raise skin"

        /// The BIP-39 mnemonic the device holds.
        public var mnemonic: String
        /// The BIP-39 passphrase (Ledger's "passphrase" feature); empty for none.
        public var passphrase: String
        /// The user's decision on every prompt.
        public var approval: Approval
        /// A locked device (PIN not entered) answers 5515 to everything.
        public var locked: Bool
        /// The app open at start.
        public var app: App
        /// The Ethereum app's "Blind signing" setting (reported by E0 06 as flag 0x01).
        public var blindSigning: Bool
        /// The Ethereum app's "Raw messages" setting: lets full EIP-712 without filters through (not reported by E0 06).
        public var rawMessages: Bool
        /// The device model, which only changes what the dashboard's E0 01 reports.
        public var model: Model
        /// How long each response takes to come back, applied by ``SimulatedLedgerLink`` and ``SpeculosServer``.
        public var latency: Duration
        /// After this many HID frames (both directions), ``SimulatedLedgerLink`` acts unplugged.
        public var disconnectAfterFrames: Int?
        /// The version B0 01 and E0 06 report instead of the recorded one (e.g. "1.0.0", as in ledger-live's EIP-712
        /// permit recording).
        public var appVersion: String?

        /// The defaults of an operator's device per CONTRACT.md: Speculos seed, Ethereum open, "Raw messages" on,
        /// blind signing off, Nano X, every prompt approved.
        public init(
            mnemonic: String = Configuration.speculosMnemonic, passphrase: String = "", approval: Approval = .approve,
            locked: Bool = false, app: App = .ethereum, blindSigning: Bool = false, rawMessages: Bool = true,
            model: Model = .nanoX, latency: Duration = .zero, disconnectAfterFrames: Int? = nil, appVersion: String? = nil
        ) {
            self.mnemonic = mnemonic
            self.passphrase = passphrase
            self.approval = approval
            self.locked = locked
            self.app = app
            self.blindSigning = blindSigning
            self.rawMessages = rawMessages
            self.model = model
            self.latency = latency
            self.disconnectAfterFrames = disconnectAfterFrames
            self.appVersion = appVersion
        }
    }

    /// The configuration the device started with (its live state may have moved on: apps opened, settings changed).
    public let configuration: Configuration
    /// The BIP-32 master key of the seed.
    let master: ExtendedKey
    let state: Mutex<State>
    /// The screen: review screens, Speculos's text events, and the buttons when the device waits for them.
    public let display: LedgerDisplay

    /// A device holding `configuration.mnemonic`; `.badArgument` when it is not a valid BIP-39 mnemonic.
    public init(configuration: Configuration = Configuration()) throws(DeviceError) {
        do throws(CryptoError) {
            let mnemonic = try Mnemonic(phrase: configuration.mnemonic)
            master = try ExtendedKey.master(seed: mnemonic.seed(passphrase: configuration.passphrase))
        } catch {
            throw .badArgument("The simulated Ledger's seed is unusable: \(error.message)")
        }
        self.configuration = configuration
        state = Mutex(State(configuration))
        display = LedgerDisplay(home: Self.homeScreen(configuration.app, model: configuration.model))
    }

    /// Answers one APDU as the device would. Thread-safe: one APDU is processed at a time.
    public func handle(_ command: APDUCommand) -> APDUResponse {
        state.withLock { state in
            do throws(APDUFailure) {
                return try respond(to: command, in: &state)
            } catch {
                // Every refusal also ends whatever multi-APDU operation was under way, as in the apps.
                state.pending = .none
                return APDUResponse(statusWord: error.statusWord)
            }
        }
    }

    /// The app open now.
    public var openApp: App { state.withLock { $0.app } }

    /// True while the device waits for its PIN.
    public var isLocked: Bool { state.withLock { $0.locked } }

    /// Every review screen shown since the device started, oldest first, at most ``DeviceScreen/historyLimit``: the
    /// steps of a Ledger review flow as text (app-ethereum's "Review typed message", each field, "Sign message").
    public var screensShown: [DeviceScreen] { display.reviewScreens }

    /// Enters the PIN (true) or locks the device (false).
    public func setLocked(_ locked: Bool) {
        state.withLock { $0.locked = locked }
    }

    /// Changes the user's decision for the prompts to come.
    public func setApproval(_ approval: Approval) {
        state.withLock { $0.approval = approval }
    }

    /// Toggles the Ethereum app's "Blind signing" setting, as the user does in the app's settings.
    public func setBlindSigning(_ enabled: Bool) {
        state.withLock { $0.blindSigning = enabled }
    }

    /// Toggles the Ethereum app's "Raw messages" setting.
    public func setRawMessages(_ enabled: Bool) {
        state.withLock { $0.rawMessages = enabled }
    }

    /// The live state behind the lock.
    struct State: Sendable {
        var app: App
        var locked: Bool
        var approval: Approval
        var blindSigning: Bool
        var rawMessages: Bool
        /// A command that spans several APDUs and is not finished yet.
        var pending: PendingCommand = .none

        init(_ configuration: Configuration) {
            app = configuration.app
            locked = configuration.locked
            approval = configuration.approval
            blindSigning = configuration.blindSigning
            rawMessages = configuration.rawMessages
        }
    }

    /// The multi-APDU operation in progress, if any.
    enum PendingCommand: Sendable {
        case none
        case personalMessage(PersonalMessageInProgress)
        case transaction(TransactionInProgress)
        case typedData(TypedDataSession)
        /// A Bitcoin command waiting for the host's answer (F8 01) to the client command it asked.
        case bitcoin(BitcoinStep.Resume)
    }

    /// The routing of ledger.md section 7.
    private func respond(to command: APDUCommand, in state: inout State) throws(APDUFailure) -> APDUResponse {
        if state.locked { throw APDUFailure(LedgerStatusWord.locked) }
        if state.app == .dashboard { return try respondAsDashboard(to: command, in: &state) }
        // The SDK answers CLA B0 inside every app before the app sees the APDU
        // (ledger-secure-sdk io/include/os_io_default_apdu.h, DEFAULT_APDU_CLA).
        if command.cla == SDKAPDU.cla { return try respondAsSDK(to: command, in: &state) }
        switch state.app {
        case .ethereum: return try respondAsEthereum(to: command, in: &state)
        case .bitcoin, .bitcoinTest: return try respondAsBitcoin(to: command, in: &state)
        case .dashboard: throw APDUFailure(LedgerStatusWord.claNotSupportedDashboard)
        }
    }

    /// The version the open app reports.
    func version(of app: App) -> String {
        configuration.appVersion ?? app.recordedVersion
    }

    /// The key at `path`; a path the seed cannot derive (a vanishingly rare invalid child) is refused as bad data.
    func key(at path: [UInt32]) throws(APDUFailure) -> ExtendedKey {
        do {
            return try master.derived(DerivationPath(indexes: path))
        } catch {
            throw APDUFailure(LedgerStatusWord.invalidData)
        }
    }

    /// Signs `digest` with the key at `path`: RFC 6979 and low-S, which is what the apps' `CX_RND_RFC6979` signing
    /// produces after the SDK's canonicalisation (ledger-secure-sdk lib_cxng/src/cx_ecdsa.c).
    func sign(_ digest: [UInt8], at path: [UInt32]) throws(APDUFailure) -> (compact: [UInt8], recoveryID: Int) {
        guard let privateKey = try key(at: path).privateKey,
            let signature = try? privateKey.signRecoverable(digest: digest)
        else { throw APDUFailure(LedgerStatusWord.invalidData) }
        return signature.compactAndRecoveryID
    }
}
