import BridgeCore

/// The checked `types` of a typed-data document, with everything that does not depend on the values worked out once:
/// parsed member types, encodeType strings and typeHashes.
final class TypedDataSchema: Sendable {
    /// One member of a struct type.
    struct Member: Sendable {
        let name: String
        let type: TypedDataType
    }

    /// One struct type, ready to encode values with.
    struct StructType: Sendable {
        let name: String
        let members: [Member]
        /// encodeType(name): this type's signature followed by those of every struct it references, sorted by name.
        let encodedType: String
        /// keccak256(encodedType).
        let typeHash: [UInt8]
    }

    /// Every struct type in `types`, by name.
    let structs: [String: StructType]

    /// Checks `types`: `EIP712Domain` is present, every name is a struct name, every member is a `{name, type}` pair
    /// with a parseable type, no struct has a member twice, and every referenced struct is defined.
    init(types: JSONObject) throws(CryptoError) {
        guard types[TypedData.domainTypeName] != nil else {
            throw .invalidTypedData("types has no \(TypedData.domainTypeName) entry (it is required, even as an empty list)")
        }
        // Structs are numbered in document order, so the first problem reported is the first one written.
        let names = types.keys
        var numbers: [String: Int] = [:]
        numbers.reserveCapacity(names.count)
        var definitions: [[Member]] = []
        definitions.reserveCapacity(names.count)
        for (number, (name, definition)) in types.enumerated() {
            numbers[name] = number
            definitions.append(try TypedDataSchema.members(of: name, definition: definition))
        }
        // The structs each struct refers to directly, by number.
        var references: [[Int]] = []
        references.reserveCapacity(names.count)
        for (name, members) in zip(names, definitions) {
            var direct: [Int] = []
            for member in members {
                guard let referenced = member.type.structName else { continue }
                guard let number = numbers[referenced] else {
                    throw .invalidTypedData(
                        "type \"\(referenced)\" is not defined in types (used by \(name).\(member.name) of type \(member.type))")
                }
                direct.append(number)
            }
            references.append(direct)
        }

        // encodeType(T) = T's signature, then each struct T reaches (transitively, cycles allowed), sorted by name.
        // ethereum/EIPs EIPS/eip-712.md, "Definition of encodeType".
        let signatures = zip(names, definitions).map { name, members in
            var signature = name + "("
            for (index, member) in members.enumerated() {
                if index > 0 { signature += "," }
                signature += member.type.description + " " + member.name
            }
            return signature + ")"
        }
        var structs: [String: StructType] = [:]
        structs.reserveCapacity(names.count)
        for (number, name) in names.enumerated() {
            var reached = [Bool](repeating: false, count: names.count)
            reached[number] = true
            var pending = [number]
            var dependencies: [Int] = []
            while let next = pending.popLast() {
                for referenced in references[next] where !reached[referenced] {
                    reached[referenced] = true
                    dependencies.append(referenced)
                    pending.append(referenced)
                }
            }
            var encodedType = signatures[number]
            for dependency in dependencies.sorted(by: { names[$0] < names[$1] }) {
                encodedType += signatures[dependency]
            }
            structs[name] = StructType(
                name: name, members: definitions[number], encodedType: encodedType,
                typeHash: Keccak256.hash(Array(encodedType.utf8)))
        }
        self.structs = structs
    }

    /// The members of struct `name` from its `types` entry, a list of `{"name": ..., "type": ...}` objects.
    private static func members(of name: String, definition: JSONValue) throws(CryptoError) -> [Member] {
        guard TypedDataType.isStructName(name) else {
            throw .invalidTypedData("types has an entry \"\(name)\", which is not a valid struct name (letters, digits, _ and $)")
        }
        guard case .structure? = try? TypedDataType(parsing: name) else {
            throw .invalidTypedData("types has an entry \"\(name)\", which is an atomic type name (or malformed one) and cannot be a struct")
        }
        guard let list = definition.arrayValue else {
            throw .invalidTypedData("types.\(name) is a \(definition.typeName); expected a list of {\"name\", \"type\"} objects")
        }
        var members: [Member] = []
        members.reserveCapacity(list.count)
        var seen: Set<String> = []
        seen.reserveCapacity(list.count)
        for (index, entry) in list.enumerated() {
            guard let memberName = entry["name"]?.stringValue else {
                throw .invalidTypedData("types.\(name)[\(index)] has no string \"name\"")
            }
            guard let typeText = entry["type"]?.stringValue else {
                throw .invalidTypedData("types.\(name)[\(index)] (\(memberName)) has no string \"type\"")
            }
            guard seen.insert(memberName).inserted else {
                throw .invalidTypedData("types.\(name) has the member \"\(memberName)\" twice")
            }
            let type: TypedDataType
            do {
                type = try TypedDataType(parsing: typeText)
            } catch {
                throw .invalidTypedData("types.\(name)[\(index)] (\(memberName)): " + error.detail)
            }
            members.append(Member(name: memberName, type: type))
        }
        return members
    }
}

extension CryptoError {
    /// The message without the "Invalid EIP-712 typed data: " lead, for nesting inside a more specific message.
    fileprivate var detail: String {
        if case .invalidTypedData(let why) = self { return why }
        return message
    }
}
