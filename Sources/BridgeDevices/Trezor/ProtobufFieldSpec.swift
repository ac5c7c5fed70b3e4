import BridgeCore

/// One field of a Trezor message, declared once: its number, its name in the .proto (for errors), whether proto2
/// requires it, and how the Swift property it maps to is written and read. ``TrezorDescribedMessage`` turns a list
/// of these into the message's whole codec, so a new message costs a declaration, not a codec.
///
/// Writing follows the hand-written codecs it replaces byte for byte: optional fields only when set, repeated fields
/// unpacked, one tag per element (trezorlib's `dump_message`, trezor/trezor-firmware python/src/trezorlib/protobuf.py).
/// Reading accepts packed or unpacked repeated varints, as proto2 decoders must.
public struct ProtobufFieldSpec<Message>: Sendable {
    public let number: UInt32
    /// The field's .proto name (`chain_code`), named in a missing-field error.
    public let name: String
    public internal(set) var isRequired: Bool
    /// Whether a required field is missing after a decode, given whether its number was seen.
    var isMissing: @Sendable (Message, _ seen: Bool) -> Bool = { _, seen in !seen }
    let write: @Sendable (Message, inout ProtobufWriter) -> Void
    let read: @Sendable (inout Message, ProtobufField) throws(DeviceError) -> Void

    init(_ number: UInt32, _ name: String, required: Bool = false,
         write: @escaping @Sendable (Message, inout ProtobufWriter) -> Void,
         read: @escaping @Sendable (inout Message, ProtobufField) throws(DeviceError) -> Void) {
        self.number = number
        self.name = name
        self.isRequired = required
        self.write = write
        self.read = read
    }
}

extension ProtobufFieldSpec {
    /// A singular field: `Stored` is the property's type (optional, or not for a required field), which the writer
    /// method takes and the field reader's value is stored as.
    private static func single<Stored>(
        _ number: UInt32, _ name: String, required: Bool, _ property: WritableKeyPath<Message, Stored> & Sendable,
        write: @escaping @Sendable (inout ProtobufWriter, Stored, UInt32) -> Void,
        read: @escaping @Sendable (ProtobufField) throws(DeviceError) -> Stored
    ) -> Self {
        Self(number, name, required: required, write: { write(&$1, $0[keyPath: property], number) },
             read: { message, field throws(DeviceError) in message[keyPath: property] = try read(field) })
    }

    /// An optional `uint32`.
    public static func uint32(_ number: UInt32, _ name: String,
                              _ property: WritableKeyPath<Message, UInt32?> & Sendable) -> Self {
        single(number, name, required: false, property, write: { $0.uint32($1, field: $2) },
               read: { field throws(DeviceError) in try field.uint32() })
    }

    /// A required `uint32`.
    public static func uint32(_ number: UInt32, _ name: String,
                              required property: WritableKeyPath<Message, UInt32> & Sendable) -> Self {
        single(number, name, required: true, property, write: { $0.uint32($1, field: $2) },
               read: { field throws(DeviceError) in try field.uint32() })
    }

    /// An optional `uint64`.
    public static func uint64(_ number: UInt32, _ name: String,
                              _ property: WritableKeyPath<Message, UInt64?> & Sendable) -> Self {
        single(number, name, required: false, property, write: { $0.uint64($1, field: $2) },
               read: { field throws(DeviceError) in try field.uint64() })
    }

    /// An optional `bool`.
    public static func bool(_ number: UInt32, _ name: String, _ property: WritableKeyPath<Message, Bool?> & Sendable) -> Self {
        single(number, name, required: false, property, write: { $0.bool($1, field: $2) },
               read: { field throws(DeviceError) in try field.bool() })
    }

    /// An optional `string` (UTF-8 checked on read).
    public static func string(_ number: UInt32, _ name: String,
                              _ property: WritableKeyPath<Message, String?> & Sendable) -> Self {
        single(number, name, required: false, property, write: { $0.string($1, field: $2) },
               read: { field throws(DeviceError) in try field.string() })
    }

    /// A required `string`.
    public static func string(_ number: UInt32, _ name: String,
                              required property: WritableKeyPath<Message, String> & Sendable) -> Self {
        single(number, name, required: true, property, write: { $0.string($1, field: $2) },
               read: { field throws(DeviceError) in try field.string() })
    }

    /// Optional `bytes`.
    public static func bytes(_ number: UInt32, _ name: String,
                             _ property: WritableKeyPath<Message, [UInt8]?> & Sendable) -> Self {
        single(number, name, required: false, property, write: { $0.lengthDelimited($1, field: $2) },
               read: { field throws(DeviceError) in try field.bytes() })
    }

    /// Required `bytes`.
    public static func bytes(_ number: UInt32, _ name: String,
                             required property: WritableKeyPath<Message, [UInt8]> & Sendable) -> Self {
        single(number, name, required: true, property, write: { $0.lengthDelimited($1, field: $2) },
               read: { field throws(DeviceError) in try field.bytes() })
    }

    /// An optional enum. A value this code does not know is kept, as encoded, in `unrecognized` and written back
    /// after the known fields, so a message passes through unchanged.
    public static func enumeration<Value: RawRepresentable & Sendable>(
        _ number: UInt32, _ name: String, _ property: WritableKeyPath<Message, Value?> & Sendable,
        unrecognized: WritableKeyPath<Message, [UInt8]> & Sendable
    ) -> Self where Value.RawValue == Int {
        Self(number, name, write: { $1.enumeration($0[keyPath: property], field: number) },
             read: { message, field throws(DeviceError) in
                 if let value = try field.enumeration(Value.self) {
                     message[keyPath: property] = value
                 } else {
                     message[keyPath: unrecognized] += field.encoded
                 }
             })
    }

    /// An optional embedded message.
    public static func message<Embedded: TrezorProtobufCodable>(
        _ number: UInt32, _ name: String, _ property: WritableKeyPath<Message, Embedded?> & Sendable
    ) -> Self {
        single(number, name, required: false, property, write: { $0.message($1, field: $2) },
               read: { field throws(DeviceError) in try field.message(Embedded.self) })
    }

    /// A required embedded message.
    public static func message<Embedded: TrezorProtobufCodable>(
        _ number: UInt32, _ name: String, required property: WritableKeyPath<Message, Embedded> & Sendable
    ) -> Self {
        single(number, name, required: true, property, write: { $0.message($1, field: $2) },
               read: { field throws(DeviceError) in try field.message(Embedded.self) })
    }

    /// A repeated enum (read packed or not, written unpacked). A value this code does not know is kept in
    /// `unrecognized` as its own field, so it is written back.
    public static func repeatedEnumeration<Value: RawRepresentable & Sendable>(
        _ number: UInt32, _ name: String, _ property: WritableKeyPath<Message, [Value]> & Sendable,
        unrecognized: WritableKeyPath<Message, [UInt8]> & Sendable
    ) -> Self where Value.RawValue == Int {
        Self(number, name, write: { $1.repeatedEnumeration($0[keyPath: property], field: number) },
             read: { message, field throws(DeviceError) in
                 for raw in try field.packedVarints() {
                     if let value = Value(rawValue: Int(Int32(truncatingIfNeeded: raw))) {
                         message[keyPath: property].append(value)
                     } else {
                         var writer = ProtobufWriter()
                         writer.uint64(raw, field: number)
                         message[keyPath: unrecognized] += writer.bytes
                     }
                 }
             })
    }

    /// A required enum kept in an optional property: a value this code does not know goes to `unrecognized` and
    /// leaves the field missing, so the message is refused unless a known value also came.
    public static func enumeration<Value: RawRepresentable & Sendable>(
        _ number: UInt32, _ name: String, required property: WritableKeyPath<Message, Value?> & Sendable,
        unrecognized: WritableKeyPath<Message, [UInt8]> & Sendable
    ) -> Self where Value.RawValue == Int {
        var spec = enumeration(number, name, property, unrecognized: unrecognized)
        spec.isRequired = true
        spec.isMissing = { message, _ in message[keyPath: property] == nil }
        return spec
    }

    /// A repeated `uint32` (read packed or not, written unpacked).
    public static func repeatedUInt32(_ number: UInt32, _ name: String,
                                      _ property: WritableKeyPath<Message, [UInt32]> & Sendable) -> Self {
        Self(number, name, write: { $1.repeatedUInt32($0[keyPath: property], field: number) },
             read: { message, field throws(DeviceError) in message[keyPath: property] += try field.uint32s() })
    }

    /// A repeated `string`.
    public static func repeatedString(_ number: UInt32, _ name: String,
                                      _ property: WritableKeyPath<Message, [String]> & Sendable) -> Self {
        Self(number, name, write: { $1.repeatedStrings($0[keyPath: property], field: number) },
             read: { message, field throws(DeviceError) in message[keyPath: property].append(try field.string()) })
    }

    /// A repeated `bytes`.
    public static func repeatedBytes(_ number: UInt32, _ name: String,
                                     _ property: WritableKeyPath<Message, [[UInt8]]> & Sendable) -> Self {
        Self(number, name, write: { $1.repeatedBytes($0[keyPath: property], field: number) },
             read: { message, field throws(DeviceError) in message[keyPath: property].append(try field.bytes()) })
    }

    /// A repeated embedded message.
    public static func repeatedMessage<Embedded: TrezorProtobufCodable>(
        _ number: UInt32, _ name: String, _ property: WritableKeyPath<Message, [Embedded]> & Sendable
    ) -> Self {
        Self(number, name, write: { $1.repeatedMessage($0[keyPath: property], field: number) },
             read: { message, field throws(DeviceError) in message[keyPath: property].append(try field.message(Embedded.self)) })
    }
}

/// A Trezor message whose codec is its field list (``ProtobufFieldSpec``): `init(protobuf:)` and `protobuf()` come
/// from here. The message provides an empty value to decode into (required fields at placeholder values, which a
/// decode replaces or refuses) and, when it has enum fields, where unrecognized values are kept.
public protocol TrezorDescribedMessage: TrezorProtobufCodable {
    /// The message's .proto name, for errors (`HDNodeType`).
    static var protoName: String { get }
    /// Its fields in field-number order: the order they are written in.
    static var fields: [ProtobufFieldSpec<Self>] { get }
    /// A value to decode into.
    static var empty: Self { get }
    /// Fields with enum values this code does not know, as encoded, written back after the known ones.
    var unrecognizedFields: [UInt8] { get }
}

extension TrezorDescribedMessage {
    public var unrecognizedFields: [UInt8] { [] }

    /// Decodes the payload: known fields into their properties, unknown ones skipped; a required field that is
    /// absent, a wrong wire type or malformed input is a protocol error.
    public init(protobuf: [UInt8]) throws(DeviceError) {
        var message = Self.empty
        var reader = ProtobufReader(protobuf)
        var seen: Set<UInt32> = []
        let fields = Self.fields
        while let field = try reader.next() {
            guard let spec = fields.first(where: { $0.number == field.number }) else { continue }
            try spec.read(&message, field)
            if spec.isRequired { seen.insert(field.number) }
        }
        for spec in fields where spec.isRequired && spec.isMissing(message, seen.contains(spec.number)) {
            throw .missingField(Self.protoName, spec.name)
        }
        self = message
    }

    /// The known fields in declaration order, then the unrecognized ones as they came.
    public func protobuf() -> [UInt8] {
        var writer = ProtobufWriter()
        for spec in Self.fields { spec.write(self, &writer) }
        writer.raw(unrecognizedFields)
        return writer.bytes
    }
}
