import BridgeCore
import BridgeCrypto

/// How full-mode EIP-712 describes types and values to the Ledger Ethereum app: the bodies of `E0 1A` (struct
/// definition) field APDUs and `E0 1C` (struct implementation) field values.
///
/// Source: app-ethereum `doc/ethapp.adoc` §"EIP712 SEND STRUCT DEFINITION" / §"EIP712 SEND STRUCT IMPLEMENTATION"
/// (parsed by `src_features/signMessageEIP712/typed_data.c` and `field_hash.c` / `encode_field.c`); ledgerjs hw-app-eth
/// `src/modules/EIP712/utils.ts` (`makeTypeEntryStructBuffer`, `EIP712_TYPE_ENCODERS`); ../shared/reference/ledger.md
/// section 4.6.
enum LedgerEthereumEIP712Encoding {
    /// TypeDesc bit 7: the field is an array.
    static let isArrayFlag: UInt8 = 0x80
    /// TypeDesc bit 6: a TypeSize byte follows.
    static let hasSizeFlag: UInt8 = 0x40

    /// TypeDesc's low nibble.
    enum BaseType: UInt8 {
        case custom = 0, int = 1, uint = 2, address = 3, bool = 4, string = 5, fixedBytes = 6, bytes = 7
    }

    /// Array level bytes: `00` dynamic, `01 size` fixed.
    static let dynamicArrayLevel: UInt8 = 0x00
    static let fixedArrayLevel: UInt8 = 0x01

    /// A struct definition field body: `TypeDesc | [TypeNameLen TypeName] | [TypeSize] | [LevelCount Levels] |
    /// KeyNameLen KeyName`.
    static func fieldDefinition(_ member: TypedData.StructMember, of structName: String) throws(DeviceError) -> [UInt8] {
        let place = "\(structName).\(member.name)"
        // Peel the array suffixes from the outside in, then list them as written (`T[2][]` -> [2, dynamic]).
        var levels: [Int?] = []
        var base = member.type
        while case .array(let element, let length) = base {
            levels.append(length)
            base = element
        }
        levels.reverse()

        let baseType: BaseType
        var typeSize: Int?
        var customName: String?
        switch base {
        case .structure(let name): baseType = .custom; customName = name
        case .integer(let bits, let signed): baseType = signed ? .int : .uint; typeSize = bits / 8
        case .address: baseType = .address
        case .bool: baseType = .bool
        case .string: baseType = .string
        case .fixedBytes(let count): baseType = .fixedBytes; typeSize = count
        case .bytes: baseType = .bytes
        case .array: throw .badArgument("EIP-712 field \(place) has an array type the loop above did not unwrap")
        }

        var bytes = [(levels.isEmpty ? 0 : isArrayFlag) | (typeSize == nil ? 0 : hasSizeFlag) | baseType.rawValue]
        if let customName {
            bytes += try lengthPrefixed(customName, "type name of \(place)")
        }
        if let typeSize {
            bytes.append(UInt8(typeSize))  // at most 32: TypedDataType only admits widths up to 256 bits / 32 bytes
        }
        if !levels.isEmpty {
            bytes.append(UInt8(levels.count))  // at most TypedDataType.maximumArrayDimensions (32)
            for level in levels {
                if let length = level {
                    guard let size = UInt8(exactly: length) else {
                        throw .badArgument("EIP-712 field \(place) is a fixed array of \(length); the Ledger app takes at most 255 elements")
                    }
                    bytes += [fixedArrayLevel, size]
                } else {
                    bytes.append(dynamicArrayLevel)
                }
            }
        }
        return bytes + (try lengthPrefixed(member.name, "field name \(place)"))
    }

    /// A value as the app takes it in a struct implementation field (before its 2-byte length): integers as minimal
    /// big-endian bytes (zero is one `00` byte), negative ones as two's complement over the type's width (app-ethereum
    /// `encode_int` sign-extends only a value of exactly the type's size with its top bit set); addresses as 20 bytes;
    /// bools as one byte; bytesN as N bytes; `bytes` and strings as their raw bytes.
    ///
    /// Atomic values are taken from ``TypedData/encodeValue(_:as:)``, i.e. checked and converted exactly as the hashes
    /// are, never through floating point.
    static func fieldValue(_ value: JSONValue, as type: TypedDataType, in typedData: TypedData, at place: String)
        throws(DeviceError) -> [UInt8]
    {
        switch type {
        case .string:
            guard case .string(let text) = value else { throw .badArgument("EIP-712 value \(place) is not a string") }
            return Array(text.utf8)
        case .bytes:
            guard case .string(let text) = value, text.hasPrefix("0x") || text.hasPrefix("0X"), let bytes = Hex.decode(text) else {
                throw .badArgument("EIP-712 value \(place) is not 0x-hex bytes")
            }
            return bytes
        case .integer(let bits, let signed):
            let word = try typedData.deviceWord(value, as: type, at: place)
            if signed, word[0] & 0x80 != 0 {
                return Array(word.suffix(bits / 8))
            }
            return Array(word.drop(while: { $0 == 0 })).nonEmptyOrZero
        case .address:
            return Array(try typedData.deviceWord(value, as: type, at: place).suffix(20))
        case .bool:
            return [try typedData.deviceWord(value, as: type, at: place)[31]]
        case .fixedBytes(let count):
            return Array(try typedData.deviceWord(value, as: type, at: place).prefix(count))
        case .structure, .array:
            throw .badArgument("EIP-712 value \(place) of type \(type) is not a single field")
        }
    }

    /// The order of the struct definitions when the document's own order is not known: `EIP712Domain` first, then
    /// each struct after the structs it refers to, starting from the primary type, then the others by name.
    ///
    /// ledgerjs sends the `types` object's own order; the app looks structs up by name when the values come
    /// (app-ethereum `typed_data.c get_structn`), so any order is accepted. This one reproduces the recorded
    /// transcripts, whose documents list referenced structs first.
    static func defaultDefinitionOrder(of typedData: TypedData) -> [String] {
        let domain = "EIP712Domain"
        var order = [domain]
        var placed: Set<String> = [domain]
        for root in [typedData.primaryType] + typedData.structTypeNames where !placed.contains(root) {
            // Iterative depth-first post-order, so a long chain of struct references cannot exhaust the stack.
            placed.insert(root)
            var stack: [(name: String, references: [String])] = [(root, references(of: root, in: typedData))]
            while !stack.isEmpty {
                if let next = stack[stack.count - 1].references.popLast() {
                    guard !placed.contains(next) else { continue }
                    placed.insert(next)
                    stack.append((next, references(of: next, in: typedData)))
                } else {
                    order.append(stack.removeLast().name)
                }
            }
        }
        return order
    }

    /// The struct types `name`'s members refer to, in reverse member order (so popping yields member order).
    private static func references(of name: String, in typedData: TypedData) -> [String] {
        (typedData.members(ofStruct: name) ?? []).compactMap(\.type.structName).reversed()
    }

    /// `length(1) | UTF-8 bytes`.
    static func lengthPrefixed(_ text: String, _ what: String) throws(DeviceError) -> [UInt8] {
        let bytes = Array(text.utf8)
        guard let length = UInt8(exactly: bytes.count) else {
            throw .badArgument("The EIP-712 \(what) is \(bytes.count) bytes; the Ledger app takes at most 255")
        }
        return [length] + bytes
    }
}

extension Array where Element == UInt8 {
    /// `[0]` for an empty array: the minimal encoding of zero is one zero byte.
    fileprivate var nonEmptyOrZero: [UInt8] { isEmpty ? [0] : self }
}
