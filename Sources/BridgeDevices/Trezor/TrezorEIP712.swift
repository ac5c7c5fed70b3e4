import BridgeCore
import BridgeCrypto

/// How the full EIP-712 flow describes typed data to a Trezor: the members of each struct the device asks for
/// (EthereumTypedDataStructAck) and each value at a member path (EthereumTypedDataValueAck), exactly as trezorlib
/// builds them: trezor/trezor-firmware python/src/trezorlib/ethereum.py `sign_typed_data`, `get_field_type`
/// (named `_make_field_type` in older releases) and `encode_data`; messages from common/protob/messages-ethereum-eip712.proto.
public struct TrezorEIP712: Sendable {
    public let typedData: TypedData
    /// Every struct's members, built before anything is sent so that unsupported types fail before the device shows
    /// a screen.
    private let structAcks: [String: TrezorProto.EthereumTypedDataStructAck]

    static let domainTypeName = "EIP712Domain"

    public init(typedData: TypedData) throws(DeviceError) {
        self.typedData = typedData
        var acks: [String: TrezorProto.EthereumTypedDataStructAck] = [:]
        for name in typedData.structTypeNames {
            let members = typedData.members(ofStruct: name) ?? []
            var ack = TrezorProto.EthereumTypedDataStructAck()
            for member in members {
                ack.members.append(TrezorProto.EthereumStructMember(
                    type: try Self.fieldType(member.type, in: typedData, at: "\(name).\(member.name)"), name: member.name))
            }
            acks[name] = ack
        }
        structAcks = acks
    }

    /// The request that starts the flow: trezorlib sends `metamask_v4_compat=True` explicitly.
    public func request(path: DerivationPath) -> TrezorProto.EthereumSignTypedData {
        TrezorProto.EthereumSignTypedData(addressN: path.indexes, primaryType: typedData.primaryType, metamaskV4Compat: true)
    }

    /// The members of the struct the device asked for, in definition order.
    public func structAck(for request: TrezorProto.EthereumTypedDataStructRequest) throws(DeviceError)
        -> TrezorProto.EthereumTypedDataStructAck
    {
        guard let ack = structAcks[request.name] else {
            throw .protocolError("the Trezor asked for struct \"\(request.name)\", which the typed data does not define")
        }
        return ack
    }

    /// The value at the member path the device asked for: `[0, ...]` in the domain, `[1, ...]` in the message, then
    /// member indexes (structs) and element indexes (arrays). Arrays are answered with their length as a
    /// big-endian uint16; atomic values as `encode_data` encodes them.
    public func valueAck(for request: TrezorProto.EthereumTypedDataValueRequest) throws(DeviceError)
        -> TrezorProto.EthereumTypedDataValueAck
    {
        guard let root = request.memberPath.first else { throw .protocolError("the Trezor asked for a value with an empty member path") }
        var type: TypedDataType
        var value: JSONValue
        var place: String
        switch root {
        case 0: type = .structure(Self.domainTypeName); value = .object(typedData.domain); place = "domain"
        case 1: type = .structure(typedData.primaryType); value = typedData.message; place = "message"
        default: throw .protocolError("the Trezor asked for a value under root index \(root); only 0 (domain) and 1 (message) exist")
        }
        for index in request.memberPath.dropFirst() {
            switch type {
            case .structure(let name):
                guard let members = typedData.members(ofStruct: name), Int(index) < members.count else {
                    throw .protocolError("the Trezor asked for member \(index) of \(place) (\(name)), which has fewer members")
                }
                let member = members[Int(index)]
                guard let memberValue = value[member.name] else {
                    throw .badArgument("EIP-712 value \(place).\(member.name) is missing")
                }
                type = member.type
                value = memberValue
                place += "." + member.name
            case .array(let element, _):
                guard let items = value.arrayValue, Int(index) < items.count else {
                    throw .protocolError("the Trezor asked for element \(index) of \(place), which has fewer elements")
                }
                type = element
                value = items[Int(index)]
                place += "[\(index)]"
            default:
                throw .protocolError("the Trezor asked for a value inside \(place), which is a single \(type)")
            }
        }
        if case .array = type {
            guard let items = value.arrayValue else { throw .badArgument("EIP-712 value \(place) is not an array") }
            guard let count = UInt16(exactly: items.count) else {
                throw .badArgument("EIP-712 array \(place) has \(items.count) elements; a Trezor takes at most 65535")
            }
            return TrezorProto.EthereumTypedDataValueAck(value: [UInt8(count >> 8), UInt8(count & 0xFF)])
        }
        return TrezorProto.EthereumTypedDataValueAck(value: try Self.encodeAtomic(value, as: type, in: typedData, at: place))
    }

    /// `get_field_type`: the proto description of one member type.
    static func fieldType(_ type: TypedDataType, in typedData: TypedData, at place: String) throws(DeviceError)
        -> TrezorProto.EthereumFieldType
    {
        switch type {
        case .array(let element, let length):
            let entry = try fieldType(element, in: typedData, at: place)
            // trezorlib refuses nested arrays ("Nested arrays are not supported").
            guard entry.dataType != .array else {
                throw .notSupported("EIP-712 nested arrays such as \(type) (\(place)) in the Trezor full flow")
            }
            return TrezorProto.EthereumFieldType(dataType: .array, size: try length.map { (n) throws(DeviceError) in
                guard let size = UInt32(exactly: n) else { throw .badArgument("EIP-712 array \(place) is too long") }
                return size
            }, entryType: entry)
        case .integer(let bits, let signed):
            return TrezorProto.EthereumFieldType(dataType: signed ? .int : .uint, size: UInt32(bits / 8))
        case .fixedBytes(let count):
            return TrezorProto.EthereumFieldType(dataType: .bytes, size: UInt32(count))
        case .bytes:
            return TrezorProto.EthereumFieldType(dataType: .bytes)
        case .string:
            return TrezorProto.EthereumFieldType(dataType: .string)
        case .bool:
            return TrezorProto.EthereumFieldType(dataType: .bool)
        case .address:
            return TrezorProto.EthereumFieldType(dataType: .address)
        case .structure(let name):
            guard let members = typedData.members(ofStruct: name) else {
                throw .badArgument("EIP-712 type \(name) (\(place)) is not defined in types")
            }
            return TrezorProto.EthereumFieldType(dataType: .struct, size: UInt32(members.count), structName: name)
        }
    }

    /// `encode_data`: strings as UTF-8, bytes and bytesN as their raw bytes, intN/uintN as N/8 big-endian bytes (two's
    /// complement), bool as one byte, address as 20 bytes. Values are checked and converted by BridgeCrypto's EIP-712
    /// encoder (never through floating point).
    static func encodeAtomic(_ value: JSONValue, as type: TypedDataType, in typedData: TypedData, at place: String)
        throws(DeviceError) -> [UInt8]
    {
        switch type {
        case .string:
            guard let text = value.stringValue else { throw .badArgument("EIP-712 value \(place) is not a string") }
            return Array(text.utf8)
        case .bytes:
            guard let text = value.stringValue, let bytes = Hex.decode(text) else {
                throw .badArgument("EIP-712 value \(place) is not 0x-hex bytes")
            }
            return bytes
        case .fixedBytes(let count):
            return Array(try typedData.deviceWord(value, as: type, at: place).prefix(count))
        case .integer(let bits, _):
            return Array(try typedData.deviceWord(value, as: type, at: place).suffix(bits / 8))
        case .bool:
            return [try typedData.deviceWord(value, as: type, at: place)[31]]
        case .address:
            return Array(try typedData.deviceWord(value, as: type, at: place).suffix(20))
        case .structure, .array:
            throw .protocolError("the Trezor asked for \(place) of type \(type) as a single value")
        }
    }
}
