import BridgeCore

/// A proto2 message (top-level or embedded) with its protobuf form.
public protocol TrezorProtobufCodable: Sendable, Equatable {
    /// Decodes the protobuf payload; ``DeviceError/protocolError(_:)`` on malformed input or a missing required
    /// field. Unknown fields are skipped.
    init(protobuf: [UInt8]) throws(DeviceError)
    /// The protobuf payload: known fields in field-number order, repeated fields unpacked.
    func protobuf() -> [UInt8]
}

/// Every typed top-level message: its wire id and its protobuf form.
public protocol TrezorMessage: TrezorProtobufCodable {
    static var messageType: TrezorMessageType { get }
    init(protobuf: [UInt8]) throws(DeviceError)
    func protobuf() -> [UInt8]
}

/// The namespace of the typed Trezor messages, one struct per proto message, named as in
/// trezor/trezor-firmware common/protob/messages-*.proto.
public enum TrezorProto {}

/// One protocol-v1 message as it travels: the u16 type and the protobuf payload.
public struct TrezorWireMessage: Sendable, Equatable {
    public var type: UInt16
    public var payload: [UInt8]

    public init(type: UInt16, payload: [UInt8]) {
        self.type = type
        self.payload = payload
    }

    public init<Message: TrezorMessage>(_ message: Message) {
        self.init(type: Message.messageType.rawValue, payload: message.protobuf())
    }

    /// The known message type, or nil for a type id this code does not know.
    public var messageType: TrezorMessageType? { TrezorMessageType(rawValue: type) }

    /// The proto name of the type, for messages.
    public var typeName: String { TrezorMessageType.name(of: type) }

    /// Decodes the payload as `Message`; a protocol error when the wire type is a different one.
    public func decode<Message: TrezorMessage>(_ type: Message.Type) throws(DeviceError) -> Message {
        guard self.type == Message.messageType.rawValue else {
            throw .protocolError("expected \(Message.messageType.name), got \(typeName)")
        }
        return try Message(protobuf: payload)
    }
}
