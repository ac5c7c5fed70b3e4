// Messages of trezor/trezor-firmware common/protob/messages-common.proto: Success, Failure, ButtonRequest/Ack,
// PinMatrixRequest/Ack, PassphraseRequest/Ack, HDNodeType (../shared/reference/trezor.md section 3). Each declares
// its fields once; ``TrezorDescribedMessage`` is the codec.

extension TrezorProto {
    /// Success (2): the device did what was asked.
    public struct Success: TrezorMessage, TrezorDescribedMessage {
        public static let messageType = TrezorMessageType.success
        public static let protoName = "Success"
        /// 1: optional string (default "").
        public var message: String?

        public init(message: String? = nil) {
            self.message = message
        }

        public static let empty = Success()
        public static let fields: [ProtobufFieldSpec<Success>] = [.string(1, "message", \.message)]
    }

    /// Failure (3): the request failed; `code` says why.
    public struct Failure: TrezorMessage, TrezorDescribedMessage {
        public static let messageType = TrezorMessageType.failure
        public static let protoName = "Failure"
        /// 1: optional FailureType.
        public var code: FailureType?
        /// 2: optional string.
        public var message: String?
        /// Fields whose enum value this code does not know, as encoded.
        public var unrecognizedFields: [UInt8] = []

        public init(code: FailureType? = nil, message: String? = nil) {
            self.code = code
            self.message = message
        }

        public static let empty = Failure()
        public static let fields: [ProtobufFieldSpec<Failure>] = [
            .enumeration(1, "code", \.code, unrecognized: \.unrecognizedFields),
            .string(2, "message", \.message),
        ]
    }

    /// ButtonRequest (26): the device waits for the user; the host must answer ButtonAck.
    public struct ButtonRequest: TrezorMessage, TrezorDescribedMessage {
        public static let messageType = TrezorMessageType.buttonRequest
        public static let protoName = "ButtonRequest"
        /// 1: optional ButtonRequestType (deprecated upstream, still sent by the Trezor One).
        public var code: ButtonRequestType?
        /// 2: optional uint32.
        public var pages: UInt32?
        /// 4: optional string (field 3 is reserved).
        public var name: String?
        public var unrecognizedFields: [UInt8] = []

        public init(code: ButtonRequestType? = nil, pages: UInt32? = nil, name: String? = nil) {
            self.code = code
            self.pages = pages
            self.name = name
        }

        public static let empty = ButtonRequest()
        public static let fields: [ProtobufFieldSpec<ButtonRequest>] = [
            .enumeration(1, "code", \.code, unrecognized: \.unrecognizedFields),
            .uint32(2, "pages", \.pages),
            .string(4, "name", \.name),
        ]
    }

    /// ButtonAck (27): the host saw the ButtonRequest; the device goes on waiting for the user's press.
    public struct ButtonAck: TrezorMessage, TrezorDescribedMessage {
        public static let messageType = TrezorMessageType.buttonAck
        public static let protoName = "ButtonAck"
        public init() {}
        public static let empty = ButtonAck()
        public static let fields: [ProtobufFieldSpec<ButtonAck>] = []
    }

    /// PinMatrixRequest (18): a Trezor One asks for its PIN through the scrambled matrix.
    public struct PinMatrixRequest: TrezorMessage, TrezorDescribedMessage {
        public static let messageType = TrezorMessageType.pinMatrixRequest
        public static let protoName = "PinMatrixRequest"
        /// 1: optional PinMatrixRequestType.
        public var type: PinMatrixRequestType?
        public var unrecognizedFields: [UInt8] = []

        public init(type: PinMatrixRequestType? = nil) {
            self.type = type
        }

        public static let empty = PinMatrixRequest()
        public static let fields: [ProtobufFieldSpec<PinMatrixRequest>] = [
            .enumeration(1, "type", \.type, unrecognized: \.unrecognizedFields),
        ]
    }

    /// PinMatrixAck (19): the keypad positions (digits 1-9) of the PIN on the matrix the device showed.
    public struct PinMatrixAck: TrezorMessage, TrezorDescribedMessage {
        public static let messageType = TrezorMessageType.pinMatrixAck
        public static let protoName = "PinMatrixAck"
        /// 1: required string.
        public var pin: String

        public init(pin: String) {
            self.pin = pin
        }

        public static let empty = PinMatrixAck(pin: "")
        public static let fields: [ProtobufFieldSpec<PinMatrixAck>] = [.string(1, "pin", required: \.pin)]
    }

    /// PassphraseRequest (41): the device asks for the passphrase (field 1, `_on_device`, is for firmware < 2.3.0
    /// and is not modelled).
    public struct PassphraseRequest: TrezorMessage, TrezorDescribedMessage {
        public static let messageType = TrezorMessageType.passphraseRequest
        public static let protoName = "PassphraseRequest"
        public init() {}
        public static let empty = PassphraseRequest()
        public static let fields: [ProtobufFieldSpec<PassphraseRequest>] = []
    }

    /// PassphraseAck (42): the passphrase from the host, or a request to type it on the device. Never both
    /// (FW docs/common/protocol_v1/passphrase.md).
    public struct PassphraseAck: TrezorMessage, TrezorDescribedMessage {
        public static let messageType = TrezorMessageType.passphraseAck
        public static let protoName = "PassphraseAck"
        /// 1: optional string.
        public var passphrase: String?
        /// 3: optional bool (field 2, `_state`, is reserved).
        public var onDevice: Bool?

        public init(passphrase: String? = nil, onDevice: Bool? = nil) {
            self.passphrase = passphrase
            self.onDevice = onDevice
        }

        public static let empty = PassphraseAck()
        public static let fields: [ProtobufFieldSpec<PassphraseAck>] = [
            .string(1, "passphrase", \.passphrase),
            .bool(3, "on_device", \.onDevice),
        ]
    }

    /// HDNodeType (embedded): a BIP-32 node.
    public struct HDNodeType: TrezorProtobufCodable, TrezorDescribedMessage {
        public static let protoName = "HDNodeType"
        /// 1: required uint32.
        public var depth: UInt32
        /// 2: required uint32: the parent's fingerprint.
        public var fingerprint: UInt32
        /// 3: required uint32.
        public var childNum: UInt32
        /// 4: required bytes (32).
        public var chainCode: [UInt8]
        /// 5: optional bytes (never sent by a device to a host).
        public var privateKey: [UInt8]?
        /// 6: required bytes (33, compressed).
        public var publicKey: [UInt8]

        public init(depth: UInt32, fingerprint: UInt32, childNum: UInt32, chainCode: [UInt8], privateKey: [UInt8]? = nil,
                    publicKey: [UInt8]) {
            self.depth = depth
            self.fingerprint = fingerprint
            self.childNum = childNum
            self.chainCode = chainCode
            self.privateKey = privateKey
            self.publicKey = publicKey
        }

        public static let empty = HDNodeType(depth: 0, fingerprint: 0, childNum: 0, chainCode: [], publicKey: [])
        public static let fields: [ProtobufFieldSpec<HDNodeType>] = [
            .uint32(1, "depth", required: \.depth),
            .uint32(2, "fingerprint", required: \.fingerprint),
            .uint32(3, "child_num", required: \.childNum),
            .bytes(4, "chain_code", required: \.chainCode),
            .bytes(5, "private_key", \.privateKey),
            .bytes(6, "public_key", required: \.publicKey),
        ]
    }
}
