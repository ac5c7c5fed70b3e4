// Messages of trezor/trezor-firmware common/protob/messages-management.proto: Initialize, Ping, Cancel,
// GetFeatures, EndSession, ApplyFlags, LockDevice (../shared/reference/trezor.md section 3); Features is in
// TrezorProtoFeatures.swift.

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
}
