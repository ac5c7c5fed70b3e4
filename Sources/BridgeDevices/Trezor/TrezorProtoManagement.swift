// Messages of trezor/trezor-firmware common/protob/messages-management.proto: Initialize, Ping, Cancel,
// GetFeatures, Features, EndSession (../shared/reference/trezor.md section 3).

extension TrezorProto {
    /// Initialize (0): opens or resumes a session; the device answers Features.
    public struct Initialize: TrezorMessage {
        public static let messageType = TrezorMessageType.initialize
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

        public init(protobuf: [UInt8]) throws(DeviceError) {
            var reader = ProtobufReader(protobuf)
            self.init()
            while let field = try reader.next() {
                switch field.number {
                case 1: sessionID = try field.bytes()
                case 2: skipPassphrase = try field.bool()
                case 3: deriveCardano = try field.bool()
                default: break
                }
            }
        }

        public func protobuf() -> [UInt8] {
            var writer = ProtobufWriter()
            writer.lengthDelimited(sessionID, field: 1)
            writer.bool(skipPassphrase, field: 2)
            writer.bool(deriveCardano, field: 3)
            return writer.bytes
        }
    }

    /// Ping (1): the device answers Success(message), after a button press when `buttonProtection` is true.
    public struct Ping: TrezorMessage {
        public static let messageType = TrezorMessageType.ping
        /// 1: optional string (default "").
        public var message: String?
        /// 2: optional bool.
        public var buttonProtection: Bool?

        public init(message: String? = nil, buttonProtection: Bool? = nil) {
            self.message = message
            self.buttonProtection = buttonProtection
        }

        public init(protobuf: [UInt8]) throws(DeviceError) {
            var reader = ProtobufReader(protobuf)
            self.init()
            while let field = try reader.next() {
                switch field.number {
                case 1: message = try field.string()
                case 2: buttonProtection = try field.bool()
                default: break
                }
            }
        }

        public func protobuf() -> [UInt8] {
            var writer = ProtobufWriter()
            writer.string(message, field: 1)
            writer.bool(buttonProtection, field: 2)
            return writer.bytes
        }
    }

    /// Cancel (20): aborts the workflow waiting for the user; the device answers Failure(ActionCancelled).
    public struct Cancel: TrezorMessage {
        public static let messageType = TrezorMessageType.cancel
        public init() {}
        public init(protobuf: [UInt8]) throws(DeviceError) { try skipAllFields(protobuf) }
        public func protobuf() -> [UInt8] { [] }
    }

    /// GetFeatures (55): Features without touching the session.
    public struct GetFeatures: TrezorMessage {
        public static let messageType = TrezorMessageType.getFeatures
        public init() {}
        public init(protobuf: [UInt8]) throws(DeviceError) { try skipAllFields(protobuf) }
        public func protobuf() -> [UInt8] { [] }
    }

    /// EndSession (83): forgets the session's cached passphrase; the device answers Success.
    public struct EndSession: TrezorMessage {
        public static let messageType = TrezorMessageType.endSession
        public init() {}
        public init(protobuf: [UInt8]) throws(DeviceError) { try skipAllFields(protobuf) }
        public func protobuf() -> [UInt8] { [] }
    }
}
