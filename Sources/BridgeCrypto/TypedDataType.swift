/// One EIP-712 member type, parsed from its text in `types` (`uint256`, `bytes32`, `Person`, `Person[2][]`).
// ethereum/EIPs EIPS/eip-712.md, "Definition of typed structured data 𝕊": atomic types bytes1..bytes32, uint8..uint256,
// int8..int256 (steps of 8), bool, address; dynamic types bytes and string; reference types: arrays and structs.
public indirect enum TypedDataType: Sendable, Hashable, CustomStringConvertible {
    case address
    case bool
    case string
    /// Dynamic `bytes`.
    case bytes
    /// `bytes1` ... `bytes32`.
    case fixedBytes(Int)
    /// `uintN` / `intN` with N = 8, 16, ..., 256.
    case integer(bits: Int, signed: Bool)
    /// A struct type defined in `types`, by name.
    case structure(String)
    /// `T[]` (length nil) or `T[k]`.
    case array(of: TypedDataType, length: Int?)

    /// Array dimensions allowed in one type. Nothing real comes close; the cap keeps hostile input from nesting
    /// deep enough to exhaust the stack when the type is printed, compared or freed.
    public static let maximumArrayDimensions = 32

    /// Parses a type as written in a `types` member: an atomic or dynamic type, a struct name, or either followed by
    /// any number of `[]` / `[k]` suffixes (up to ``maximumArrayDimensions``).
    public init(parsing text: String) throws(CryptoError) {
        // Peel the suffixes off from the right: `T[2][]` is a dynamic array of `T[2]`.
        var base = Substring(text)
        var lengths: [Int?] = []
        while base.utf8.last == UInt8(ascii: "]") {
            guard let open = base.utf8.lastIndex(of: UInt8(ascii: "[")) else {
                throw .invalidTypedData("type \"\(text)\" has \"]\" without a matching \"[\"")
            }
            let lengthText = base[base.index(after: open)..<base.index(before: base.endIndex)]
            if lengthText.isEmpty {
                lengths.append(nil)
            } else if let length = TypedDataType.decimal(lengthText) {
                lengths.append(length)
            } else {
                throw .invalidTypedData(
                    "type \"\(text)\" has array length \"\(lengthText)\"; it must be a positive decimal number or empty")
            }
            guard lengths.count <= TypedDataType.maximumArrayDimensions else {
                throw .invalidTypedData("type \"\(text.prefix(80))…\" has more than \(TypedDataType.maximumArrayDimensions) array dimensions")
            }
            base = base[..<open]
        }
        guard !base.isEmpty else { throw .invalidTypedData("type \"\(text)\" has no element type before \"[\"") }

        let baseName = String(base)
        var type: TypedDataType
        if let atomic = try TypedDataType.atomic(baseName) {
            type = atomic
        } else if TypedDataType.isStructName(baseName) {
            type = .structure(baseName)
        } else {
            throw .invalidTypedData(
                "type \"\(text)\" is neither an EIP-712 atomic type nor a valid struct name (letters, digits, _ and $)")
        }
        for length in lengths.reversed() {
            type = .array(of: type, length: length)
        }
        self = type
    }

    /// The type as EIP-712 writes it in encodeType, e.g. `uint256` or `Person[2][]`.
    public var description: String {
        switch self {
        case .address: "address"
        case .bool: "bool"
        case .string: "string"
        case .bytes: "bytes"
        case .fixedBytes(let count): "bytes\(count)"
        case .integer(let bits, let signed): (signed ? "int" : "uint") + String(bits)
        case .structure(let name): name
        case .array(let element, let length): "\(element)[\(length.map(String.init) ?? "")]"
        }
    }

    /// The struct name at the bottom of any array nesting, if the type is made of structs.
    public var structName: String? {
        switch self {
        case .structure(let name): name
        case .array(let element, _): element.structName
        default: nil
        }
    }

    /// The atomic or dynamic type `text` names; nil for a struct name; an error for a malformed width such as
    /// `uint7`, `bytes33` or the Solidity alias `uint`, which EIP-712 does not allow.
    private static func atomic(_ text: String) throws(CryptoError) -> TypedDataType? {
        switch text {
        case "address": return .address
        case "bool": return .bool
        case "string": return .string
        case "bytes": return .bytes
        case "uint", "int":
            throw .invalidTypedData("type \"\(text)\" needs an explicit width, e.g. \(text)256")
        default: break
        }
        let utf8 = text.utf8
        // Only a known prefix followed by digits only is a sized type: a struct may be called "integerRange".
        let prefix: String
        if utf8.starts(with: "uint".utf8) {
            prefix = "uint"
        } else if utf8.starts(with: "int".utf8) {
            prefix = "int"
        } else if utf8.starts(with: "bytes".utf8) {
            prefix = "bytes"
        } else {
            return nil
        }
        let widthText = utf8.dropFirst(prefix.utf8.count)
        guard widthText.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return nil }
        let width = decimal(Substring(widthText))
        if prefix == "bytes" {
            guard let width, (1...32).contains(width) else {
                throw .invalidTypedData("type \"\(text)\" has width \(Substring(widthText)); bytesN needs N = 1 ... 32")
            }
            return .fixedBytes(width)
        }
        guard let width, width % 8 == 0, (8...256).contains(width) else {
            throw .invalidTypedData("type \"\(text)\" has width \(Substring(widthText)); \(prefix)N needs N = 8, 16, ..., 256")
        }
        return .integer(bits: width, signed: prefix == "int")
    }

    /// A positive decimal number without leading zeros made only of ASCII digits, or nil (also for absurdly long
    /// ones).
    private static func decimal(_ text: Substring) -> Int? {
        let utf8 = text.utf8
        guard let first = utf8.first, first != UInt8(ascii: "0"), utf8.count <= 9 else { return nil }
        var value = 0
        for char in utf8 {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(char) else { return nil }
            value = value * 10 + Int(char - UInt8(ascii: "0"))
        }
        return value
    }

    /// Struct names are Solidity identifiers; anything else (a space, a comma, a parenthesis) would make encodeType
    /// ambiguous, and is far more often a typo than intended.
    static func isStructName(_ text: String) -> Bool {
        guard let first = text.utf8.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else { return false }
        return text.utf8.allSatisfy { char in
            switch char {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "$"):
                true
            default:
                false
            }
        }
    }
}
