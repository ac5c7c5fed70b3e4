// Messages of trezor/trezor-firmware common/protob/messages-common.proto: Success, Failure, ButtonRequest/Ack,
// PinMatrixRequest/Ack, PassphraseRequest/Ack, HDNodeType (../shared/reference/trezor.md section 3).

extension TrezorProto {
    /// Success (2): the device did what was asked.
    public struct Success: TrezorMessage {
        public static let messageType = TrezorMessageType.success
        /// 1: optional string (default "").
        public var message: String?

        public init(message: String? = nil) {
            self.message = message
        }

        public init(protobuf: [UInt8]) throws(DeviceError) {
            var reader = ProtobufReader(protobuf)
            var message: String?
            while let field = try reader.next() {
                if field.number == 1 { message = try field.string() }
            }
            self.init(message: message)
        }

        public func protobuf() -> [UInt8] {
            var writer = ProtobufWriter()
            writer.string(message, field: 1)
            return writer.bytes
        }
    }

    /// Failure (3): the request failed; `code` says why.
    public struct Failure: TrezorMessage {
        public static let messageType = TrezorMessageType.failure
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

        public init(protobuf: [UInt8]) throws(DeviceError) {
            var reader = ProtobufReader(protobuf)
            self.init()
            while let field = try reader.next() {
                switch field.number {
                case 1:
                    if let value = try field.enumeration(FailureType.self) { code = value } else { unrecognizedFields += field.encoded }
                case 2: message = try field.string()
                default: break
                }
            }
        }

        public func protobuf() -> [UInt8] {
            var writer = ProtobufWriter()
            writer.enumeration(code, field: 1)
            writer.string(message, field: 2)
            writer.raw(unrecognizedFields)
            return writer.bytes
        }
    }

    /// ButtonRequest (26): the device waits for the user; the host must answer ButtonAck.
    public struct ButtonRequest: TrezorMessage {
        public static let messageType = TrezorMessageType.buttonRequest
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

        public init(protobuf: [UInt8]) throws(DeviceError) {
            var reader = ProtobufReader(protobuf)
            self.init()
            while let field = try reader.next() {
                switch field.number {
                case 1:
                    if let value = try field.enumeration(ButtonRequestType.self) { code = value } else { unrecognizedFields += field.encoded }
                case 2: pages = try field.uint32()
                case 4: name = try field.string()
                default: break
                }
            }
        }

        public func protobuf() -> [UInt8] {
            var writer = ProtobufWriter()
            writer.enumeration(code, field: 1)
            writer.uint32(pages, field: 2)
            writer.string(name, field: 4)
            writer.raw(unrecognizedFields)
            return writer.bytes
        }
    }

    /// ButtonAck (27): the host saw the ButtonRequest; the device goes on waiting for the user's press.
    public struct ButtonAck: TrezorMessage {
        public static let messageType = TrezorMessageType.buttonAck
        public init() {}
        public init(protobuf: [UInt8]) throws(DeviceError) { try skipAllFields(protobuf) }
        public func protobuf() -> [UInt8] { [] }
    }

    /// PinMatrixRequest (18): a Trezor One asks for its PIN through the scrambled matrix.
    public struct PinMatrixRequest: TrezorMessage {
        public static let messageType = TrezorMessageType.pinMatrixRequest
        /// 1: optional PinMatrixRequestType.
        public var type: PinMatrixRequestType?
        public var unrecognizedFields: [UInt8] = []

        public init(type: PinMatrixRequestType? = nil) {
            self.type = type
        }

        public init(protobuf: [UInt8]) throws(DeviceError) {
            var reader = ProtobufReader(protobuf)
            self.init()
            while let field = try reader.next() {
                guard field.number == 1 else { continue }
                if let value = try field.enumeration(PinMatrixRequestType.self) { type = value } else { unrecognizedFields += field.encoded }
            }
        }

        public func protobuf() -> [UInt8] {
            var writer = ProtobufWriter()
            writer.enumeration(type, field: 1)
            writer.raw(unrecognizedFields)
            return writer.bytes
        }
    }

    /// PinMatrixAck (19): the keypad positions (digits 1-9) of the PIN on the matrix the device showed.
    public struct PinMatrixAck: TrezorMessage {
        public static let messageType = TrezorMessageType.pinMatrixAck
        /// 1: required string.
        public var pin: String

        public init(pin: String) {
            self.pin = pin
        }

        public init(protobuf: [UInt8]) throws(DeviceError) {
            var reader = ProtobufReader(protobuf)
            var pin: String?
            while let field = try reader.next() {
                if field.number == 1 { pin = try field.string() }
            }
            guard let pin else { throw .missingField("PinMatrixAck", "pin") }
            self.init(pin: pin)
        }

        public func protobuf() -> [UInt8] {
            var writer = ProtobufWriter()
            writer.string(pin, field: 1)
            return writer.bytes
        }
    }

    /// PassphraseRequest (41): the device asks for the passphrase (field 1, `_on_device`, is for firmware < 2.3.0
    /// and is not modelled).
    public struct PassphraseRequest: TrezorMessage {
        public static let messageType = TrezorMessageType.passphraseRequest
        public init() {}
        public init(protobuf: [UInt8]) throws(DeviceError) { try skipAllFields(protobuf) }
        public func protobuf() -> [UInt8] { [] }
    }

    /// PassphraseAck (42): the passphrase from the host, or a request to type it on the device. Never both
    /// (FW docs/common/protocol_v1/passphrase.md).
    public struct PassphraseAck: TrezorMessage {
        public static let messageType = TrezorMessageType.passphraseAck
        /// 1: optional string.
        public var passphrase: String?
        /// 3: optional bool (field 2, `_state`, is reserved).
        public var onDevice: Bool?

        public init(passphrase: String? = nil, onDevice: Bool? = nil) {
            self.passphrase = passphrase
            self.onDevice = onDevice
        }

        public init(protobuf: [UInt8]) throws(DeviceError) {
            var reader = ProtobufReader(protobuf)
            self.init()
            while let field = try reader.next() {
                switch field.number {
                case 1: passphrase = try field.string()
                case 3: onDevice = try field.bool()
                default: break
                }
            }
        }

        public func protobuf() -> [UInt8] {
            var writer = ProtobufWriter()
            writer.string(passphrase, field: 1)
            writer.bool(onDevice, field: 3)
            return writer.bytes
        }
    }

    /// HDNodeType (embedded): a BIP-32 node.
    public struct HDNodeType: TrezorProtobufCodable {
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

        public init(protobuf: [UInt8]) throws(DeviceError) {
            var reader = ProtobufReader(protobuf)
            var depth: UInt32?, fingerprint: UInt32?, childNum: UInt32?
            var chainCode: [UInt8]?, privateKey: [UInt8]?, publicKey: [UInt8]?
            while let field = try reader.next() {
                switch field.number {
                case 1: depth = try field.uint32()
                case 2: fingerprint = try field.uint32()
                case 3: childNum = try field.uint32()
                case 4: chainCode = try field.bytes()
                case 5: privateKey = try field.bytes()
                case 6: publicKey = try field.bytes()
                default: break
                }
            }
            guard let depth else { throw .missingField("HDNodeType", "depth") }
            guard let fingerprint else { throw .missingField("HDNodeType", "fingerprint") }
            guard let childNum else { throw .missingField("HDNodeType", "child_num") }
            guard let chainCode else { throw .missingField("HDNodeType", "chain_code") }
            guard let publicKey else { throw .missingField("HDNodeType", "public_key") }
            self.init(depth: depth, fingerprint: fingerprint, childNum: childNum, chainCode: chainCode, privateKey: privateKey,
                      publicKey: publicKey)
        }

        public func protobuf() -> [UInt8] {
            var writer = ProtobufWriter()
            writer.uint32(depth, field: 1)
            writer.uint32(fingerprint, field: 2)
            writer.uint32(childNum, field: 3)
            writer.lengthDelimited(chainCode, field: 4)
            writer.lengthDelimited(privateKey, field: 5)
            writer.lengthDelimited(publicKey, field: 6)
            return writer.bytes
        }
    }
}

/// Decodes a message without modelled fields: checks the payload is well-formed, skips every field.
func skipAllFields(_ protobuf: [UInt8]) throws(DeviceError) {
    var reader = ProtobufReader(protobuf)
    while try reader.next() != nil {}
}
