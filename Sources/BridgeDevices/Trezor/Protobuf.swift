import BridgeCore

// The proto2 wire format Trezor messages travel in: every FW common/protob/*.proto says `syntax = "proto2"`
// (../shared/reference/trezor.md section 2). Only what Trezor messages use is here: varints (uint32, uint64, bool,
// enums), length-delimited fields (string, bytes, embedded messages, packed repeated) and fixed32/fixed64 (read and
// written for completeness; skipped when unknown). Groups (wire types 3/4) are only ever skipped.

/// A protobuf wire type (the low 3 bits of a field's tag).
public enum ProtobufWireType: UInt8, Sendable {
    case varint = 0
    case fixed64 = 1
    case lengthDelimited = 2
    case startGroup = 3
    case endGroup = 4
    case fixed32 = 5
}

/// Writes protobuf fields. Optional values are written only when non-nil (proto2 presence: the host sets a field to
/// `false`/`0` explicitly where trezorlib does, and leaves it nil where trezorlib leaves it unset). Repeated fields
/// are written unpacked, one tag per element, as trezorlib's `dump_message` does (FW python/src/trezorlib/protobuf.py).
public struct ProtobufWriter: Sendable {
    /// The encoded bytes so far.
    public private(set) var bytes: [UInt8] = []

    public init() {}

    /// A base-128 varint, least significant group first.
    public mutating func writeVarint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    /// A field's tag: `number << 3 | wireType`.
    public mutating func writeTag(_ number: UInt32, _ wireType: ProtobufWireType) {
        writeVarint(UInt64(number) << 3 | UInt64(wireType.rawValue))
    }

    public mutating func uint32(_ value: UInt32?, field: UInt32) {
        guard let value else { return }
        writeTag(field, .varint)
        writeVarint(UInt64(value))
    }

    public mutating func uint64(_ value: UInt64?, field: UInt32) {
        guard let value else { return }
        writeTag(field, .varint)
        writeVarint(value)
    }

    public mutating func bool(_ value: Bool?, field: UInt32) {
        guard let value else { return }
        writeTag(field, .varint)
        writeVarint(value ? 1 : 0)
    }

    /// An enum field, written as the varint of its raw value (negative values as 10-byte two's complement, as
    /// protobuf does for int32 enums).
    public mutating func enumeration<Value: RawRepresentable>(_ value: Value?, field: UInt32) where Value.RawValue == Int {
        guard let value else { return }
        writeTag(field, .varint)
        writeVarint(UInt64(bitPattern: Int64(value.rawValue)))
    }

    public mutating func string(_ value: String?, field: UInt32) {
        guard let value else { return }
        lengthDelimited(Array(value.utf8), field: field)
    }

    /// A `bytes` field (or any length-delimited payload).
    public mutating func lengthDelimited(_ value: [UInt8]?, field: UInt32) {
        guard let value else { return }
        writeTag(field, .lengthDelimited)
        writeVarint(UInt64(value.count))
        bytes.append(contentsOf: value)
    }

    /// An embedded message.
    public mutating func message<Message: TrezorProtobufCodable>(_ value: Message?, field: UInt32) {
        guard let value else { return }
        lengthDelimited(value.protobuf(), field: field)
    }

    public mutating func fixed32(_ value: UInt32?, field: UInt32) {
        guard let value else { return }
        writeTag(field, .fixed32)
        for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    public mutating func fixed64(_ value: UInt64?, field: UInt32) {
        guard let value else { return }
        writeTag(field, .fixed64)
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    /// A repeated uint32, unpacked (one tag per element).
    public mutating func repeatedUInt32(_ values: [UInt32], field: UInt32) {
        for value in values { uint32(value, field: field) }
    }

    /// A repeated `string` field.
    public mutating func repeatedStrings(_ values: [String], field: UInt32) {
        for value in values { string(value, field: field) }
    }

    /// A repeated `bytes` field.
    public mutating func repeatedBytes(_ values: [[UInt8]], field: UInt32) {
        for value in values { lengthDelimited(value, field: field) }
    }

    /// A repeated enum, unpacked.
    public mutating func repeatedEnumeration<Value: RawRepresentable>(_ values: [Value], field: UInt32) where Value.RawValue == Int {
        for value in values { enumeration(value, field: field) }
    }

    /// A repeated embedded message.
    public mutating func repeatedMessage<Message: TrezorProtobufCodable>(_ values: [Message], field: UInt32) {
        for value in values { message(value, field: field) }
    }

    /// Already-encoded fields, appended verbatim (unrecognized enum values kept from decoding).
    public mutating func raw(_ encoded: [UInt8]) {
        bytes.append(contentsOf: encoded)
    }
}

/// One field as read from the wire.
public struct ProtobufField: Sendable, Equatable {
    public enum Value: Sendable, Equatable {
        case varint(UInt64)
        case fixed64(UInt64)
        case lengthDelimited([UInt8])
        case fixed32(UInt32)
        /// A group, skipped: its encoded contents without the start and end tags.
        case group([UInt8])
    }

    public let number: UInt32
    public let value: Value
    /// The whole field as it was encoded (tag included), so an unrecognized value can be written back unchanged.
    public let encoded: [UInt8]

    public var wireType: ProtobufWireType {
        switch value {
        case .varint: .varint
        case .fixed64: .fixed64
        case .lengthDelimited: .lengthDelimited
        case .fixed32: .fixed32
        case .group: .startGroup
        }
    }

    /// The varint value; a protocol error for any other wire type.
    public func varint() throws(DeviceError) -> UInt64 {
        guard case .varint(let value) = value else { throw mismatch("varint") }
        return value
    }

    /// A uint32: the varint truncated to 32 bits, as protobuf decoders do.
    public func uint32() throws(DeviceError) -> UInt32 {
        UInt32(truncatingIfNeeded: try varint())
    }

    public func uint64() throws(DeviceError) -> UInt64 {
        try varint()
    }

    public func bool() throws(DeviceError) -> Bool {
        try varint() != 0
    }

    /// An enum's raw value (int32 on the wire, so a 10-byte negative varint reads back negative).
    public func enumRawValue() throws(DeviceError) -> Int {
        Int(Int32(truncatingIfNeeded: try varint()))
    }

    /// The enum value, or nil when the number is not one this code knows (the caller keeps `encoded` then).
    public func enumeration<Value: RawRepresentable>(_ type: Value.Type) throws(DeviceError) -> Value? where Value.RawValue == Int {
        Value(rawValue: try enumRawValue())
    }

    public func bytes() throws(DeviceError) -> [UInt8] {
        guard case .lengthDelimited(let value) = value else { throw mismatch("length-delimited") }
        return value
    }

    /// A `string` field; malformed UTF-8 is a protocol error (proto2 strings are UTF-8).
    public func string() throws(DeviceError) -> String {
        let raw = try bytes()
        guard let text = String(validating: raw, as: UTF8.self) else {
            throw .protocolError("protobuf field \(number) is not valid UTF-8")
        }
        return text
    }

    public func message<Message: TrezorProtobufCodable>(_ type: Message.Type) throws(DeviceError) -> Message {
        try Message(protobuf: try bytes())
    }

    public func fixed32() throws(DeviceError) -> UInt32 {
        guard case .fixed32(let value) = value else { throw mismatch("fixed32") }
        return value
    }

    public func fixed64() throws(DeviceError) -> UInt64 {
        guard case .fixed64(let value) = value else { throw mismatch("fixed64") }
        return value
    }

    /// The elements of a repeated varint field from this one occurrence: one element when unpacked, all of them
    /// when packed (a length-delimited run of varints). Decoders must accept both (proto2 spec; trezorlib does).
    public func packedVarints() throws(DeviceError) -> [UInt64] {
        switch value {
        case .varint(let single):
            return [single]
        case .lengthDelimited(let run):
            var reader = ProtobufReader(run)
            var values: [UInt64] = []
            while !reader.isAtEnd { values.append(try reader.readVarint()) }
            return values
        default:
            throw mismatch("varint or packed varints")
        }
    }

    /// A repeated uint32 occurrence (packed or not).
    public func uint32s() throws(DeviceError) -> [UInt32] {
        try packedVarints().map { UInt32(truncatingIfNeeded: $0) }
    }

    private func mismatch(_ expected: String) -> DeviceError {
        .protocolError("protobuf field \(number) has wire type \(wireType.rawValue), expected \(expected)")
    }
}

/// Reads protobuf fields one at a time. Truncated or malformed input throws ``DeviceError/protocolError(_:)``;
/// nothing here traps on input from a device.
public struct ProtobufReader: Sendable {
    private let input: [UInt8]
    private var offset = 0

    public init(_ bytes: [UInt8]) {
        input = bytes
    }

    public var isAtEnd: Bool { offset >= input.count }

    /// Reads a varint of at most 10 bytes; bits beyond 64 are an error.
    public mutating func readVarint() throws(DeviceError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < input.count else { throw .protocolError("protobuf varint truncated") }
            let byte = input[offset]
            offset += 1
            if shift == 63 && byte > 1 { throw .protocolError("protobuf varint overflows 64 bits") }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// The next field, or nil at the end of the input.
    public mutating func next() throws(DeviceError) -> ProtobufField? {
        guard !isAtEnd else { return nil }
        let start = offset
        let (number, wireType) = try readTag()
        let value: ProtobufField.Value
        switch wireType {
        case .varint:
            value = .varint(try readVarint())
        case .fixed64:
            let raw = try take(8)
            value = .fixed64(raw.reversed().reduce(0) { $0 << 8 | UInt64($1) })
        case .fixed32:
            let raw = try take(4)
            value = .fixed32(raw.reversed().reduce(0) { $0 << 8 | UInt32($1) })
        case .lengthDelimited:
            let length = try readVarint()
            guard length <= UInt64(input.count - offset) else {
                throw .protocolError("protobuf field \(number) claims \(length) bytes, \(input.count - offset) remain")
            }
            value = .lengthDelimited(try take(Int(length)))
        case .startGroup:
            let contentStart = offset
            let contentEnd = try skipGroup(number, depth: 1)
            value = .group(Array(input[contentStart..<contentEnd]))
        case .endGroup:
            throw .protocolError("protobuf end-group tag for field \(number) without a start")
        }
        return ProtobufField(number: number, value: value, encoded: Array(input[start..<offset]))
    }

    private mutating func readTag() throws(DeviceError) -> (UInt32, ProtobufWireType) {
        let tag = try readVarint()
        let number = tag >> 3
        guard number >= 1, number <= 0x1FFF_FFFF else { throw .protocolError("protobuf field number \(number) is out of range") }
        guard let wireType = ProtobufWireType(rawValue: UInt8(tag & 7)) else {
            throw .protocolError("protobuf wire type \(tag & 7) is not defined")
        }
        return (UInt32(number), wireType)
    }

    private mutating func take(_ count: Int) throws(DeviceError) -> [UInt8] {
        guard count <= input.count - offset else { throw .protocolError("protobuf input truncated") }
        defer { offset += count }
        return Array(input[offset..<offset + count])
    }

    /// Skips a group's fields up to its matching end tag; returns where the end tag starts.
    private mutating func skipGroup(_ number: UInt32, depth: Int) throws(DeviceError) -> Int {
        // Bounded so that hostile nesting cannot exhaust the stack.
        guard depth <= 32 else { throw .protocolError("protobuf groups nested too deeply") }
        while true {
            guard !isAtEnd else { throw .protocolError("protobuf group \(number) is not closed") }
            let tagStart = offset
            let (inner, wireType) = try readTag()
            switch wireType {
            case .endGroup:
                guard inner == number else { throw .protocolError("protobuf group \(number) closed by end tag \(inner)") }
                return tagStart
            case .varint: _ = try readVarint()
            case .fixed64: _ = try take(8)
            case .fixed32: _ = try take(4)
            case .lengthDelimited:
                let length = try readVarint()
                guard length <= UInt64(input.count - offset) else { throw .protocolError("protobuf input truncated") }
                _ = try take(Int(length))
            case .startGroup: _ = try skipGroup(inner, depth: depth + 1)
            }
        }
    }
}

extension DeviceError {
    /// A required proto2 field was absent.
    static func missingField(_ message: String, _ field: String) -> DeviceError {
        .protocolError("\(message) arrived without its required field \(field)")
    }
}
