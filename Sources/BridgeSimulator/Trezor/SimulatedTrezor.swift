import BridgeCore
import BridgeCrypto
import BridgeDevices
import Synchronization

/// A simulated Trezor: the device side of protocol v1, answering packet for packet as the firmware does.
///
/// Ground truth: the Trezor One 1.14.2 emulator recordings (../shared/vectors/trezor/recorded_t1_firmware_1_14_2.json)
/// for model `.one`, and trezor/trezor-firmware `core/src/apps/**` as summarised in ../shared/reference/trezor.md
/// sections 3-4 for the core models (T, Safe 3, Safe 5). It is sans-I/O: ``receive(packet:)`` takes one 64-byte packet
/// and returns the packets the device answers with, never sleeping; ``SimulatedTrezorLink`` (in process) and
/// ``TrezorEmulatorServer`` (UDP, like the firmware emulator) carry it and apply the configured latency.
///
/// The simulated user sits at the device: every confirmation screen is a ButtonRequest that waits for the host's
/// ButtonAck, after which the user presses YES (`approval == .approve`) or NO (`.deny`) at once. A Trezor One asks
/// for its PIN through the scrambled matrix (PinMatrixRequest), a core model on its own screen; passphrases come from
/// the host or, on core models, are typed on the device by the user (`configuration.passphrase`).
///
/// The seed is for tests and demos only: never put a seed that guards real funds into a simulator.
public final class SimulatedTrezor: Sendable {
    /// The hardware generation, which decides the protocol dialect (Trezor One legacy firmware vs core firmware).
    public enum Model: String, Sendable, CaseIterable {
        /// Trezor One (T1B1), legacy firmware.
        case one
        /// Trezor Model T (T2T1).
        case t
        /// Trezor Safe 3 (T3B1).
        case safe3
        /// Trezor Safe 5 (T3T1).
        case safe5
    }

    /// The user's answer on every confirmation screen.
    public enum Approval: Sendable {
        case approve
        case deny
    }

    public struct Configuration: Sendable {
        /// The hardware; the default is the newest protocol-v1 model.
        public var model: Model = .safe5
        /// The BIP-39 mnemonic the device holds: SLIP-0014's "all all ..." test seed by default, as trezor-firmware's
        /// device tests load it (tests/conftest.py).
        public var mnemonic = "all all all all all all all all all all all all"
        /// nil: passphrase protection off. "" or text: protection on, and the simulated user types this text on the
        /// device when the host asks for on-device entry (core models).
        public var passphrase: String? = nil
        /// The user's decision on every screen (after `scriptedDecisions` are used up).
        public var approval: Approval = .approve
        /// The device PIN (digits; 1-9 only on a Trezor One, whose matrix has no 0); nil = no PIN protection.
        public var pin: String? = nil
        /// The digits the Trezor One shows at keypad positions 1...9 (a permutation of 1...9); nil draws a fresh
        /// random layout for every PinMatrixRequest, as the firmware does (legacy/firmware/pinmatrix.c).
        public var pinLayout: [UInt8]? = nil
        /// The device's own entropy for ResetDevice (32 bytes); nil draws fresh random bytes each time, as the
        /// firmware does. Fixed in tests, the new wallet's seed is known in advance.
        public var internalEntropy: [UInt8]? = nil
        /// How long each answer takes, applied by ``SimulatedTrezorLink`` and ``TrezorEmulatorServer``.
        public var latency: Duration = .zero
        public var label = "SLIP-0014"
        /// Features.device_id (the USB serial on a Trezor One).
        public var deviceID = "AE3C744E355C817510C0EABF"
        /// The user's decisions on the next screens, in order (e.g. `[.approve, .deny]`: YES on the first screen, NO
        /// on the second); once used up, `approval` decides.
        public var scriptedDecisions: [Approval] = []
        /// false: after the host's ButtonAck nobody presses anything, so the screen stays until the host sends Cancel
        /// or Initialize (how the recordings' cancel transcripts were made).
        public var userPressesButtons = true
        /// Features.revision (the firmware's git commit); absent when nil. The recordings carry the emulator's.
        public var revision: [UInt8]? = nil
        /// Features.bootloader_hash; absent when nil. The recordings carry the emulator's.
        public var bootloaderHash: [UInt8]? = nil
        /// Features.fw_vendor; absent when nil ("EMULATOR" in the recordings).
        public var firmwareVendor: String? = nil

        public init() {}
    }

    /// The configuration the device started with (its live state may have moved on: sessions, unlock, approval, and
    /// what WipeDevice, LoadDevice and ApplySettings wrote).
    public let configuration: Configuration
    let state: Mutex<State>

    /// A device holding `configuration.mnemonic`; `.badArgument` for an invalid mnemonic, PIN or PIN layout.
    public init(configuration: Configuration) throws(DeviceError) {
        let mnemonic: Mnemonic
        do throws(CryptoError) {
            mnemonic = try Mnemonic(phrase: configuration.mnemonic)
        } catch {
            throw .badArgument("The simulated Trezor's seed is unusable: \(error.message)")
        }
        if let pin = configuration.pin, !Self.isPIN(pin, model: configuration.model) {
            throw .badArgument(
                "The simulated Trezor's PIN must be 1 to \(Self.maximumPINLength) digits "
                    + (configuration.model == .one ? "1-9 (the Trezor One's matrix has no 0)" : "0-9"))
        }
        if let layout = configuration.pinLayout {
            guard layout.sorted() == Array(1...9) else {
                throw .badArgument("The PIN layout must show each digit 1-9 exactly once (keypad positions 1...9)")
            }
        }
        if let passphrase = configuration.passphrase, passphrase.utf8.count > Self.maximumPassphraseLength {
            throw .badArgument("The simulated Trezor's passphrase is longer than \(Self.maximumPassphraseLength) bytes")
        }
        self.configuration = configuration
        let storage = Storage(mnemonic: mnemonic, phrase: configuration.mnemonic, pin: configuration.pin,
                              passphraseProtection: configuration.passphrase != nil, label: configuration.label)
        state = Mutex(State(configuration, storage: storage))
    }

    /// Whether `pin` is a PIN the model takes: 1 to 50 digits, 1-9 only on the Trezor One (its matrix has no 0).
    static func isPIN(_ pin: String, model: Model) -> Bool {
        let digits: ClosedRange<Character> = model == .one ? "1"..."9" : "0"..."9"
        return !pin.isEmpty && pin.count <= maximumPINLength && pin.allSatisfy { digits.contains($0) }
    }

    /// One 64-byte packet from the host in; the packets the device answers with out (empty while a message is
    /// incomplete, or when a packet is ignored as the firmware would). Thread-safe: one packet at a time.
    public func receive(packet: [UInt8]) -> [[UInt8]] {
        // Every transport of ours carries exactly 64-byte packets (trezorlib CHUNK_SIZE = 64).
        guard packet.count == TrezorV1Framing.packetSize else { return [] }
        let replies = state.withLock { state in accept(packet, &state) }
        return replies.flatMap { TrezorV1Framing.packets(for: $0) }
    }

    /// Changes the user's decision for the screens to come.
    public func setApproval(_ approval: Approval) {
        state.withLock { $0.approval = approval }
    }

    /// Locks the device again (like LockDevice or the auto-lock): the next protected call asks for the PIN.
    public func lock() {
        state.withLock { $0.unlocked = $0.storage.pin == nil }
    }

    /// Whether the device holds a seed (false after WipeDevice, until LoadDevice).
    public var isInitialized: Bool { state.withLock { $0.storage.isInitialized } }

    /// The screen the device shows now: a confirmation, the PIN matrix, or the home screen.
    public var screen: DeviceScreen { state.withLock { $0.display } }

    /// Every screen shown since the device started (or since ``clearScreensShown()``), oldest first, at most
    /// ``DeviceScreen/historyLimit``: what a test reads to check what the user saw before confirming.
    public var screensShown: [DeviceScreen] { state.withLock { $0.screensShown } }

    /// Forgets the screens shown so far.
    public func clearScreensShown() {
        state.withLock { $0.screensShown.removeAll() }
    }

    /// True while the PIN is needed before protected calls.
    public var isLocked: Bool { state.withLock { !$0.unlocked } }

    /// The layout of the PIN matrix on screen now (digits at keypad positions 1...9), nil when none is shown: what
    /// the emulator's debug link reports, so a test or an operator can read the screen.
    public var pinMatrixOnScreen: [UInt8]? {
        state.withLock { state in
            if case .pinMatrix(let layout, _, _)? = state.pending { return layout }
            return nil
        }
    }

    /// The ids of the open sessions, most recently used last.
    public var sessionIDs: [[UInt8]] { state.withLock { $0.sessions.map(\.id) } }

    // MARK: - Constants

    /// MAX_PIN_LENGTH and MAX_PASSPHRASE_LENGTH (trezorlib; core/src/apps/common/passphrase.py `_MAX_PASSPHRASE_LEN`).
    static let maximumPINLength = 50
    static let maximumPassphraseLength = 50
    /// Sessions kept at once, least recently used evicted (docs/common/protocol_v1/sessions.md: 10 per device).
    static let maximumSessions = 10
    /// The largest message accepted (legacy firmware MSG_IN_SIZE is 15 KiB; core reads up to 64 KiB).
    static let maximumMessageLength = 65_536

    // MARK: - State

    /// One passphrase session: its id and, once derived, the passphrase its seed uses.
    struct Session: Sendable {
        var id: [UInt8]
        var passphrase: String?
    }

    /// A message being received over several packets.
    struct Inbound: Sendable {
        var type: UInt16
        var length: Int
        var payload: [UInt8]
    }

    /// What the device's flash holds: the seed and the settings WipeDevice erases and LoadDevice and ApplySettings
    /// write (legacy/firmware/config.c; core/src/storage/device.py).
    struct Storage: Sendable {
        var mnemonic: Mnemonic?
        /// The phrase as loaded, for DebugLinkState.mnemonic_secret.
        var phrase: String?
        var pin: String?
        var passphraseProtection: Bool
        var label: String?
        /// The device flags ApplyFlags sets (bits are only ever added).
        var flags: UInt32 = 0

        var isInitialized: Bool { mnemonic != nil }

        /// A wiped device: no seed, no PIN, no label, passphrase protection off.
        static let wiped = Storage(mnemonic: nil, phrase: nil, pin: nil, passphraseProtection: false, label: nil)
    }

    struct State: Sendable {
        var storage: Storage
        var inbound: Inbound?
        /// Debug-link messages being received over several packets.
        var debugInbound = TrezorV1Reassembler()
        /// The workflow waiting for the host (or the user), if any.
        var pending: Pending?
        /// Most recently used last.
        var sessions: [Session] = []
        var activeSessionID: [UInt8]?
        var unlocked: Bool
        var approval: Approval
        var scriptedDecisions: [Approval]
        /// BIP-32 master keys by passphrase, so a session switch does not rerun PBKDF2.
        var masters: [String: ExtendedKey] = [:]
        /// The screen on display and the screens shown so far.
        var display: DeviceScreen
        var screensShown: [DeviceScreen] = []
        /// Text typed on the device's keyboard through the debug link (a PIN, a passphrase) for the screen it answers.
        var keyboardInput: String?
        /// Debug-link decisions that arrived before their screen waited for one (the debug link and the main link are
        /// separate sockets, so a press can overtake the ButtonAck), oldest first.
        var earlyDecisions: [TrezorProto.DebugLinkDecision] = []

        init(_ configuration: Configuration, storage: Storage) {
            self.storage = storage
            display = SimulatedTrezor.homeScreen(storage)
            unlocked = storage.pin == nil
            approval = configuration.approval
            scriptedDecisions = configuration.scriptedDecisions
        }

        /// The user's next decision.
        mutating func nextDecision() -> Approval {
            scriptedDecisions.isEmpty ? approval : scriptedDecisions.removeFirst()
        }
    }

    // MARK: - Packets

    /// The firmware's packet reader: `?##` starts a message (restarting any partial one), `?` continues it, and
    /// anything else (or a stray continuation while idle) is dropped (trezor.md section 2; legacy/firmware/usb.c).
    private func accept(_ packet: [UInt8], _ state: inout State) -> [TrezorWireMessage] {
        if packet[0] == 0x3F, packet[1] == 0x23, packet[2] == 0x23 {
            let type = UInt16(packet[3]) << 8 | UInt16(packet[4])
            let length = packet[5...8].reduce(0) { $0 << 8 | Int($1) }
            state.inbound = nil
            guard length <= Self.maximumMessageLength else {
                // legacy/firmware/messages.c: "Message too big".
                return [failure(.dataError, "Message too big")]
            }
            if configuration.model == .one, !Self.legacyFirmwareMessages.contains(type) {
                // The Trezor One rejects an unknown type from the first packet alone (recorded `unknown_message_type`)
                // and drops the rest of the message, whose packets lack `?##`.
                return handleUnknown(type: type, &state)
            }
            state.inbound = Inbound(type: type, length: length, payload: Array(packet[9..<min(64, 9 + length)]))
        } else if packet[0] == 0x3F, var inbound = state.inbound {
            inbound.payload += packet[1..<min(64, 1 + inbound.length - inbound.payload.count)]
            state.inbound = inbound
        } else {
            return []
        }
        guard let inbound = state.inbound, inbound.payload.count >= inbound.length else { return [] }
        state.inbound = nil
        return handle(TrezorWireMessage(type: inbound.type, payload: inbound.payload), &state)
    }

    /// Host-to-device message types the Trezor One firmware has handlers for (legacy/firmware/messages.c with the
    /// `wire_in` types of common/protob/messages.proto); everything else gets Failure(UnexpectedMessage,
    /// "Unknown message"), EthereumSignTypedData (464) included (recorded `unsupported_ethereum_sign_typed_data`).
    static let legacyFirmwareMessages: Set<UInt16> = Set([
        TrezorMessageType.initialize, .ping, .getPublicKey, .getAddress, .signMessage, .verifyMessage, .getFeatures,
        .cancel, .buttonAck, .pinMatrixAck, .passphraseAck, .ethereumGetAddress, .ethereumGetPublicKey,
        .ethereumSignMessage, .ethereumVerifyMessage, .ethereumSignTypedHash, .endSession, .applyFlags, .lockDevice,
        .wipeDevice, .loadDevice, .applySettings, .resetDevice, .entropyAck,
    ].map(\.rawValue))

    // MARK: - Replies

    /// A Failure with the firmware's text.
    func failure(_ code: TrezorProto.FailureType, _ message: String) -> TrezorWireMessage {
        TrezorWireMessage(TrezorProto.Failure(code: code, message: message))
    }

    var isCore: Bool { configuration.model != .one }
}
