// Messages of trezor/trezor-firmware common/protob/messages-management.proto: Initialize, Ping, Cancel,
// GetFeatures, EndSession, ApplyFlags, LockDevice, ApplySettings, WipeDevice, LoadDevice (the last lives in
// messages-debug.proto's neighbourhood: firmware built with the debug link only); ../shared/reference/trezor.md
// section 3. Features is in TrezorProtoFeatures.swift.

extension TrezorProto {
    /// Initialize (0): opens or resumes a session; the device answers Features.
    public struct Initialize: TrezorMessage, TrezorDescribedMessage {
        public static let messageType = TrezorMessageType.initialize
        public static let protoName = "Initialize"
        /// 1: optional bytes: the session to resume (32 bytes); absent for a new one.
        public var sessionID: [UInt8]?
        /// 2: optional bool `_skip_passphrase` (deprecated).
        public var skipPassphrase: Bool?
        /// 3: optional bool.
        public var deriveCardano: Bool?

        public init(sessionID: [UInt8]? = nil, skipPassphrase: Bool? = nil, deriveCardano: Bool? = nil) {
            self.sessionID = sessionID
            self.skipPassphrase = skipPassphrase
            self.deriveCardano = deriveCardano
        }

        public static let empty = Initialize()
        public static let fields: [ProtobufFieldSpec<Initialize>] = [
            .bytes(1, "session_id", \.sessionID),
            .bool(2, "_skip_passphrase", \.skipPassphrase),
            .bool(3, "derive_cardano", \.deriveCardano),
        ]
    }

    /// Ping (1): the device answers Success(message), after a button press when `buttonProtection` is true.
    public struct Ping: TrezorMessage, TrezorDescribedMessage {
        public static let messageType = TrezorMessageType.ping
        public static let protoName = "Ping"
        /// 1: optional string (default "").
        public var message: String?
        /// 2: optional bool.
        public var buttonProtection: Bool?

        public init(message: String? = nil, buttonProtection: Bool? = nil) {
            self.message = message
            self.buttonProtection = buttonProtection
        }

        public static let empty = Ping()
        public static let fields: [ProtobufFieldSpec<Ping>] = [
            .string(1, "message", \.message),
            .bool(2, "button_protection", \.buttonProtection),
        ]
    }

    /// Cancel (20): aborts the workflow waiting for the user; the device answers Failure(ActionCancelled).
    public struct Cancel: TrezorMessage, TrezorDescribedMessage {
        public static let messageType = TrezorMessageType.cancel
        public static let protoName = "Cancel"
        public init() {}
        public static let empty = Cancel()
        public static let fields: [ProtobufFieldSpec<Cancel>] = []
    }

    /// GetFeatures (55): Features without touching the session.
    public struct GetFeatures: TrezorMessage, TrezorDescribedMessage {
        public static let messageType = TrezorMessageType.getFeatures
        public static let protoName = "GetFeatures"
        public init() {}
        public static let empty = GetFeatures()
        public static let fields: [ProtobufFieldSpec<GetFeatures>] = []
    }

    /// EndSession (83): forgets the session's cached passphrase; the device answers Success.
    public struct EndSession: TrezorMessage, TrezorDescribedMessage {
        public static let messageType = TrezorMessageType.endSession
        public static let protoName = "EndSession"
        public init() {}
        public static let empty = EndSession()
        public static let fields: [ProtobufFieldSpec<EndSession>] = []
    }

    /// ApplyFlags (28): sets bits of the device's flags (never clears them); the device answers Success("Flags
    /// applied") once unlocked. trezorlib 0.20 sends ApplyFlags(flags=0) to make a locked device ask for its PIN
    /// (`ensure_unlocked`). trezor/trezor-firmware common/protob/messages-management.proto.
    public struct ApplyFlags: TrezorMessage, TrezorDescribedMessage {
        public static let messageType = TrezorMessageType.applyFlags
        public static let protoName = "ApplyFlags"
        /// 1: required uint32: a bitmask, ORed into the stored flags.
        public var flags: UInt32

        public init(flags: UInt32) {
            self.flags = flags
        }

        public static let empty = ApplyFlags(flags: 0)
        public static let fields: [ProtobufFieldSpec<ApplyFlags>] = [.uint32(1, "flags", required: \.flags)]
    }

    /// LockDevice (24): locks a PIN-protected device at once; the next call asks for the PIN again. The answer is
    /// Success("Session cleared") on the Trezor One (legacy/firmware/fsm_msg_common.h `fsm_msgLockDevice`) and a
    /// Success without message on core (core/src/apps/base.py `handle_LockDevice`).
    public struct LockDevice: TrezorMessage, TrezorDescribedMessage {
        public static let messageType = TrezorMessageType.lockDevice
        public static let protoName = "LockDevice"
        public init() {}
        public static let empty = LockDevice()
        public static let fields: [ProtobufFieldSpec<LockDevice>] = []
    }

    /// ApplySettings (25): changes the label, passphrase protection and other settings, each confirmed on the device;
    /// Success("Settings applied"). Only the fields this project reads or writes are declared: the rest of the
    /// message (homescreen, rotation, haptics) is skipped on decode, as proto2 allows.
    public struct ApplySettings: TrezorMessage, TrezorDescribedMessage {
        public static let messageType = TrezorMessageType.applySettings
        public static let protoName = "ApplySettings"
        /// 1: optional string (deprecated).
        public var language: String?
        /// 2: optional string.
        public var label: String?
        /// 3: optional bool.
        public var usePassphrase: Bool?
        /// 6: optional uint32.
        public var autoLockDelayMs: UInt32?
        /// 8: optional bool.
        public var passphraseAlwaysOnDevice: Bool?
        /// 9: optional SafetyCheckLevel.
        public var safetyChecks: SafetyCheckLevel?
        public var unrecognizedFields: [UInt8] = []

        public init(language: String? = nil, label: String? = nil, usePassphrase: Bool? = nil, autoLockDelayMs: UInt32? = nil,
                    passphraseAlwaysOnDevice: Bool? = nil, safetyChecks: SafetyCheckLevel? = nil) {
            self.language = language
            self.label = label
            self.usePassphrase = usePassphrase
            self.autoLockDelayMs = autoLockDelayMs
            self.passphraseAlwaysOnDevice = passphraseAlwaysOnDevice
            self.safetyChecks = safetyChecks
        }

        public static let empty = ApplySettings()
        public static let fields: [ProtobufFieldSpec<ApplySettings>] = [
            .string(1, "language", \.language),
            .string(2, "label", \.label),
            .bool(3, "use_passphrase", \.usePassphrase),
            .uint32(6, "auto_lock_delay_ms", \.autoLockDelayMs),
            .bool(8, "passphrase_always_on_device", \.passphraseAlwaysOnDevice),
            .enumeration(9, "safety_checks", \.safetyChecks, unrecognized: \.unrecognizedFields),
        ]
    }

    /// WipeDevice (5): erases the seed and every setting after the user confirms; Success("Device wiped").
    public struct WipeDevice: TrezorMessage, TrezorDescribedMessage {
        public static let messageType = TrezorMessageType.wipeDevice
        public static let protoName = "WipeDevice"
        public init() {}
        public static let empty = WipeDevice()
        public static let fields: [ProtobufFieldSpec<WipeDevice>] = []
    }

    /// LoadDevice (13): writes a seed, PIN, passphrase protection and label into an uninitialized device (debug
    /// firmware only: the emulator, trezorlib.debuglink `load_device`); Success("Device loaded").
    public struct LoadDevice: TrezorMessage, TrezorDescribedMessage {
        public static let messageType = TrezorMessageType.loadDevice
        public static let protoName = "LoadDevice"
        /// 1: repeated string: one BIP-39 mnemonic (or several SLIP-39 shares).
        public var mnemonics: [String]
        /// 3: optional string.
        public var pin: String?
        /// 4: optional bool.
        public var passphraseProtection: Bool?
        /// 5: optional string (deprecated).
        public var language: String?
        /// 6: optional string.
        public var label: String?
        /// 7: optional bool: accept a mnemonic whose BIP-39 checksum is wrong.
        public var skipChecksum: Bool?
        /// 8: optional uint32.
        public var u2fCounter: UInt32?
        /// 9: optional bool.
        public var needsBackup: Bool?
        /// 10: optional bool.
        public var noBackup: Bool?

        public init(mnemonics: [String] = [], pin: String? = nil, passphraseProtection: Bool? = nil, language: String? = nil,
                    label: String? = nil, skipChecksum: Bool? = nil, u2fCounter: UInt32? = nil, needsBackup: Bool? = nil,
                    noBackup: Bool? = nil) {
            self.mnemonics = mnemonics
            self.pin = pin
            self.passphraseProtection = passphraseProtection
            self.language = language
            self.label = label
            self.skipChecksum = skipChecksum
            self.u2fCounter = u2fCounter
            self.needsBackup = needsBackup
            self.noBackup = noBackup
        }

        public static let empty = LoadDevice()
        public static let fields: [ProtobufFieldSpec<LoadDevice>] = [
            .repeatedString(1, "mnemonics", \.mnemonics),
            .string(3, "pin", \.pin),
            .bool(4, "passphrase_protection", \.passphraseProtection),
            .string(5, "language", \.language),
            .string(6, "label", \.label),
            .bool(7, "skip_checksum", \.skipChecksum),
            .uint32(8, "u2f_counter", \.u2fCounter),
            .bool(9, "needs_backup", \.needsBackup),
            .bool(10, "no_backup", \.noBackup),
        ]
    }

    /// ResetDevice (14): creates a new wallet from the device's entropy and the host's (trezorlib `device.reset`,
    /// `hwi setup`); the device asks for the host's entropy with EntropyRequest.
    public struct ResetDevice: TrezorMessage, TrezorDescribedMessage {
        public static let messageType = TrezorMessageType.resetDevice
        public static let protoName = "ResetDevice"
        /// 2: optional uint32, seed strength in bits (the firmware's default: 256 in the proto, 128 on the One).
        public var strength: UInt32?
        /// 3: optional bool.
        public var passphraseProtection: Bool?
        /// 4: optional bool.
        public var pinProtection: Bool?
        /// 5: optional string (deprecated).
        public var language: String?
        /// 6: optional string.
        public var label: String?
        /// 7: optional uint32.
        public var u2fCounter: UInt32?
        /// 8: optional bool: postpone the backup.
        public var skipBackup: Bool?
        /// 9: optional bool: no backup will ever be made.
        public var noBackup: Bool?
        /// 10: optional uint32 BackupType (0 BIP-39; SLIP-39 types are not simulated).
        public var backupType: UInt32?
        /// 11: optional bool: the entropy-check protocol (not simulated: the seed is stored at once).
        public var entropyCheck: Bool?

        public init(strength: UInt32? = nil, passphraseProtection: Bool? = nil, pinProtection: Bool? = nil,
                    language: String? = nil, label: String? = nil, u2fCounter: UInt32? = nil, skipBackup: Bool? = nil,
                    noBackup: Bool? = nil, backupType: UInt32? = nil, entropyCheck: Bool? = nil) {
            self.strength = strength
            self.passphraseProtection = passphraseProtection
            self.pinProtection = pinProtection
            self.language = language
            self.label = label
            self.u2fCounter = u2fCounter
            self.skipBackup = skipBackup
            self.noBackup = noBackup
            self.backupType = backupType
            self.entropyCheck = entropyCheck
        }

        public static let empty = ResetDevice()
        public static let fields: [ProtobufFieldSpec<ResetDevice>] = [
            .uint32(2, "strength", \.strength),
            .bool(3, "passphrase_protection", \.passphraseProtection),
            .bool(4, "pin_protection", \.pinProtection),
            .string(5, "language", \.language),
            .string(6, "label", \.label),
            .uint32(7, "u2f_counter", \.u2fCounter),
            .bool(8, "skip_backup", \.skipBackup),
            .bool(9, "no_backup", \.noBackup),
            .uint32(10, "backup_type", \.backupType),
            .bool(11, "entropy_check", \.entropyCheck),
        ]
    }

    /// EntropyRequest (35): the device asks for the host's entropy during ResetDevice.
    public struct EntropyRequest: TrezorMessage, TrezorDescribedMessage {
        public static let messageType = TrezorMessageType.entropyRequest
        public static let protoName = "EntropyRequest"
        /// 1: optional bytes, HMAC-SHA256 of the device's entropy (entropy check only).
        public var entropyCommitment: [UInt8]?
        /// 2: optional bytes, the previous round's device entropy (entropy check only).
        public var previousEntropy: [UInt8]?

        public init(entropyCommitment: [UInt8]? = nil, previousEntropy: [UInt8]? = nil) {
            self.entropyCommitment = entropyCommitment
            self.previousEntropy = previousEntropy
        }

        public static let empty = EntropyRequest()
        public static let fields: [ProtobufFieldSpec<EntropyRequest>] = [
            .bytes(1, "entropy_commitment", \.entropyCommitment),
            .bytes(2, "prev_entropy", \.previousEntropy),
        ]
    }

    /// EntropyAck (36): the host's entropy (32 random bytes).
    public struct EntropyAck: TrezorMessage, TrezorDescribedMessage {
        public static let messageType = TrezorMessageType.entropyAck
        public static let protoName = "EntropyAck"
        /// 1: required bytes.
        public var entropy: [UInt8]

        public init(entropy: [UInt8] = []) {
            self.entropy = entropy
        }

        public static let empty = EntropyAck()
        public static let fields: [ProtobufFieldSpec<EntropyAck>] = [.bytes(1, "entropy", required: \.entropy)]
    }
}
