import BridgeCore
import BridgeCrypto
import BridgeDevices

/// Full EIP-712 on core models: EthereumSignTypedData (464), then the device pulls every struct definition
/// (EthereumTypedDataStructRequest 465 / Ack 466) and every value (EthereumTypedDataValueRequest 467 with a
/// member_path / Ack 468) in the order trezor/trezor-firmware core/src/apps/ethereum/sign_typed_data.py does, checks
/// each as `validate_field_type` / `_validate_value` do, rebuilds the `eth_signTypedData_v4` document and hashes it
/// with BridgeCrypto's ``TypedData``, and signs (EthereumTypedDataSignature 469). Field types and value encodings are
/// trezorlib's (python/src/trezorlib/ethereum.py `get_field_type`, `encode_data`); the messages are those of
/// common/protob/messages-ethereum-eip712.proto.
///
/// Screens (core/src/apps/ethereum/layout.py): the signing address ("confirm_address", SignTx), "Confirm domain"
/// ("should_show_domain"), "Confirm message" ("should_show_struct", or "confirm_empty_typed_message" for a
/// domain-only document) and "confirm_typed_data_final". The simulated user confirms each without expanding the
/// details, so no per-value screens appear.
extension SimulatedTrezor {
    typealias FieldType = TrezorProto.EthereumFieldType
    typealias Member = TrezorProto.EthereumStructMember

    /// The struct definitions fetched so far, in the order they arrived (`TypedDataEnvelope._collect_types`).
    struct TypeCollector: Sendable {
        var types: [String: [Member]] = [:]
        var order: [String] = []
        /// Structs whose members are being scanned for struct types not fetched yet (depth first).
        var stack: [(name: String, next: Int)] = []
        /// The roots still to fetch: "EIP712Domain", then the primary type, each asked unconditionally.
        var roots: [String]
    }

    /// Gathers one value tree (the domain or the message) from the host, member by member.
    struct ValueWalker: Sendable {
        enum Frame: Sendable {
            case structure(name: String, path: [UInt32], next: Int, fields: [(String, JSONValue)])
            case array(entry: FieldType, path: [UInt32], count: Int, elements: [JSONValue])
        }

        var stack: [Frame]
    }

    typealias TypesContinuation = @Sendable (inout State, TypeCollector) throws(Refusal) -> Step
    typealias ValueContinuation = @Sendable (inout State, JSONValue) throws(Refusal) -> Step

    static let domainTypeName = "EIP712Domain"

    func ethereumSignTypedData(_ message: TrezorProto.EthereumSignTypedData, _ state: inout State) throws(Refusal) -> Step {
        guard message.metamaskV4Compat ?? true else {
            // Non-v4 hashing of struct arrays (get_and_encode_data instead of hash_struct) is not simulated.
            throw Refusal(code: .dataError, message: "The simulator hashes typed data the MetaMask v4 way only")
        }
        return try withKeys(&state) { [self] state, master throws(Refusal) in
            let key = try derive(master, message.addressN)
            let address = EthereumAddress(publicKey: key.publicKey).checksummed
            let signingKey = try privateKey(key)
            let primaryType = message.primaryType
            return confirm(screen(.signTx, "confirm_address", title: "Signing address", lines: [address])) { [self] state throws(Refusal) in
                let collector = TypeCollector(roots: [Self.domainTypeName, primaryType])
                return try collectTypes(collector, &state) { [self] state, collector throws(Refusal) in
                    try collectValues(types: collector, primaryType: primaryType, &state) { [self] state, document throws(Refusal) in
                        let digest: [UInt8]
                        do throws(CryptoError) {
                            digest = try TypedData(json: document).hashes().digest
                        } catch {
                            throw Refusal(code: .dataError, message: error.message)
                        }
                        return .reply(try typedDataSignature(digest: digest, key: signingKey, address: address))
                    }
                }
            }
        }
    }

    // MARK: - Types

    /// Asks for struct definitions until every struct reachable from the roots is known.
    private func collectTypes(_ collector: TypeCollector, _ state: inout State, then done: @escaping TypesContinuation)
        throws(Refusal) -> Step
    {
        var collector = collector
        while let top = collector.stack.last {
            let members = collector.types[top.name] ?? []
            guard top.next < members.count else {
                collector.stack.removeLast()
                continue
            }
            collector.stack[collector.stack.count - 1].next += 1
            let base = Self.baseType(of: members[top.next].type)
            if base.dataType == .struct, let name = base.structName, collector.types[name] == nil {
                return requestStruct(name, collector, then: done)
            }
        }
        guard !collector.roots.isEmpty else { return try done(&state, collector) }
        let root = collector.roots.removeFirst()
        return requestStruct(root, collector, then: done)
    }

    private func requestStruct(_ name: String, _ collector: TypeCollector, then done: @escaping TypesContinuation) -> Step {
        let request = TrezorWireMessage(TrezorProto.EthereumTypedDataStructRequest(name: name))
        return .ask(request, .typedDataStruct { [self] state, ack throws(Refusal) in
            for member in ack.members { try Self.validate(member.type) }
            var collector = collector
            if collector.types[name] == nil { collector.order.append(name) }
            collector.types[name] = ack.members
            collector.stack.append((name, 0))
            return try collectTypes(collector, &state, then: done)
        })
    }

    /// The element type under any array levels.
    static func baseType(of type: FieldType) -> FieldType {
        var type = type
        while type.dataType == .array, let entry = type.entryType { type = entry }
        return type
    }

    /// sign_typed_data.py `validate_field_type`, plus trezorlib's refusal of nested arrays ("Nested arrays are not
    /// supported"), which the firmware cannot encode either.
    static func validate(_ field: FieldType) throws(Refusal) {
        func refuse(_ message: String) -> Refusal { Refusal(code: .dataError, message: message) }
        if field.dataType == .array {
            guard let entry = field.entryType else { throw refuse("Missing entry_type in array") }
            guard entry.dataType != .array else { throw refuse("Nested arrays are not supported") }
            try validate(entry)
        } else if field.entryType != nil {
            throw refuse("Unexpected entry_type in nonarray")
        }
        if field.dataType == .struct {
            guard field.structName != nil else { throw refuse("Missing struct_name in struct") }
        } else if field.structName != nil {
            throw refuse("Unexpected struct_name in nonstruct")
        }
        switch field.dataType {
        case .struct:
            guard field.size != nil else { throw refuse("Missing size in struct") }
        case .bytes:
            if let size = field.size, !(1...32).contains(size) { throw refuse("Invalid size in bytes") }
        case .uint, .int:
            guard let size = field.size, (1...32).contains(size) else { throw refuse("Invalid size in int/uint") }
        case .string, .bool, .address:
            guard field.size == nil else { throw refuse("Unexpected size in str/bool/addr") }
        case .array:
            break
        }
    }

    /// The type as EIP-712 writes it (core/src/apps/ethereum/helpers.py `get_type_name`).
    static func typeName(_ field: FieldType) -> String {
        switch field.dataType {
        case .uint: return "uint\((field.size ?? 32) * 8)"
        case .int: return "int\((field.size ?? 32) * 8)"
        case .bytes: return field.size.map { "bytes\($0)" } ?? "bytes"
        case .string: return "string"
        case .bool: return "bool"
        case .address: return "address"
        case .struct: return field.structName ?? ""
        case .array:
            let entry = field.entryType.map(typeName) ?? ""
            return entry + "[" + (field.size.map(String.init) ?? "") + "]"
        }
    }

    // MARK: - Values

    /// The value phase of `_generate_typed_data_hash`: the domain's name and version (for the domain screen), the
    /// domain, the message, the screens between them; then the rebuilt document.
    private func collectValues(
        types: TypeCollector, primaryType: String, _ state: inout State,
        then done: @escaping @Sendable (inout State, JSONValue) throws(Refusal) -> Step
    ) throws(Refusal) -> Step {
        let domainMembers = types.types[Self.domainTypeName] ?? []
        let shown = domainMembers.indices.filter { ["name", "version"].contains(domainMembers[$0].name) }
        return try fetchDomainLabels(shown, members: domainMembers, labels: [], &state) { [self] state, labels throws(Refusal) in
            confirm(screen(.other, "should_show_domain", title: "Typed data", lines: labels)) { [self] state throws(Refusal) in
                let domainWalker = ValueWalker(stack: [.structure(name: Self.domainTypeName, path: [0], next: 0, fields: [])])
                return try walk(domainWalker, types: types, &state) { [self] state, domain throws(Refusal) in
                    let finish: @Sendable (inout State, JSONValue?) throws(Refusal) -> Step = { [self] state, message throws(Refusal) in
                        // core shows each member as it arrives when the user opens the struct; the simulated user
                        // reads them all on the last screen before confirming.
                        let lines = message.map { DeviceScreen.fieldLines($0) } ?? []
                        let final = screen(.other, "confirm_typed_data_final", title: "Confirm typed data", lines: lines)
                        return confirm(final) { state throws(Refusal) in
                            var document: [(String, JSONValue)] = [
                                ("types", Self.typesJSON(types)), ("primaryType", .string(primaryType)), ("domain", domain),
                            ]
                            if let message { document.append(("message", message)) }
                            return try done(&state, .object(JSONObject(document)))
                        }
                    }
                    guard primaryType != Self.domainTypeName else {
                        // A domain-only document signs keccak256(0x19 0x01 || domainSeparator).
                        return confirm(screen(.other, "confirm_empty_typed_message", title: "Confirm typed data",
                                              lines: ["No message field"])) { state throws(Refusal) in
                            try finish(&state, nil)
                        }
                    }
                    let structScreen = screen(.other, "should_show_struct", title: primaryType,
                                              lines: ["Contains \((types.types[primaryType] ?? []).count) keys"])
                    return confirm(structScreen) { [self] state throws(Refusal) in
                        let messageWalker = ValueWalker(stack: [.structure(name: primaryType, path: [1], next: 0, fields: [])])
                        return try walk(messageWalker, types: types, &state) { state, message throws(Refusal) in
                            try finish(&state, message)
                        }
                    }
                }
            }
        }
    }

    /// `_get_name_and_version_for_domain`: asks for the domain's "name" and "version" members, in member order.
    private func fetchDomainLabels(
        _ indices: [Int], members: [Member], labels: [String], _ state: inout State,
        then next: @escaping @Sendable (inout State, [String]) throws(Refusal) -> Step
    ) throws(Refusal) -> Step {
        guard let index = indices.first else { return try next(&state, labels) }
        let rest = Array(indices.dropFirst())
        return requestValue([0, UInt32(index)]) { [self] state, bytes throws(Refusal) in
            let value = try Self.jsonValue(bytes, as: members[index].type)
            let shown = labels + DeviceScreen.fieldLines(value, prefix: members[index].name)
            return try fetchDomainLabels(rest, members: members, labels: shown, &state, then: next)
        }
    }

    private func requestValue(_ path: [UInt32], then next: @escaping @Sendable (inout State, [UInt8]) throws(Refusal) -> Step)
        -> Step
    {
        .ask(TrezorWireMessage(TrezorProto.EthereumTypedDataValueRequest(memberPath: path)), .typedDataValue(then: next))
    }

    /// `get_and_encode_data` / `hash_struct` as a walk: members in order, a struct member walked in place, an array
    /// member's length asked first when it is dynamic (uint16), then its elements.
    private func walk(_ walker: ValueWalker, types: TypeCollector, _ state: inout State, then done: @escaping ValueContinuation)
        throws(Refusal) -> Step
    {
        var walker = walker
        while let top = walker.stack.popLast() {
            switch top {
            case .structure(let name, let path, let next, let fields):
                let members = types.types[name] ?? []
                guard next < members.count else {
                    if let value = Self.complete(.object(JSONObject(fields)), into: &walker, types: types) {
                        return try done(&state, value)
                    }
                    continue
                }
                let member = members[next]
                let memberPath = path + [UInt32(next)]
                walker.stack.append(.structure(name: name, path: path, next: next + 1, fields: fields))
                switch member.type.dataType {
                case .struct:
                    walker.stack.append(.structure(name: member.type.structName ?? "", path: memberPath, next: 0, fields: []))
                case .array:
                    guard let entry = member.type.entryType else { throw Refusal(code: .dataError, message: "Missing entry_type in array") }
                    if let size = member.type.size {
                        walker.stack.append(.array(entry: entry, path: memberPath, count: Int(size), elements: []))
                        continue
                    }
                    let waiting = walker
                    return requestValue(memberPath) { [self] state, bytes throws(Refusal) in
                        // `_get_array_size`: the length as a uint16 (EthereumFieldType UINT, size 2).
                        guard bytes.count == 2 else { throw Refusal(code: .dataError, message: "Invalid length") }
                        var walker = waiting
                        walker.stack.append(.array(entry: entry, path: memberPath, count: Int(bytes[0]) << 8 | Int(bytes[1]), elements: []))
                        return try walk(walker, types: types, &state, then: done)
                    }
                default:
                    let waiting = walker
                    return requestValue(memberPath) { [self] state, bytes throws(Refusal) in
                        var walker = waiting
                        _ = Self.complete(try Self.jsonValue(bytes, as: member.type), into: &walker, types: types)
                        return try walk(walker, types: types, &state, then: done)
                    }
                }
            case .array(let entry, let path, let count, let elements):
                guard elements.count < count else {
                    if let value = Self.complete(.array(elements), into: &walker, types: types) {
                        return try done(&state, value)
                    }
                    continue
                }
                let elementPath = path + [UInt32(elements.count)]
                walker.stack.append(top)
                if entry.dataType == .struct {
                    walker.stack.append(.structure(name: entry.structName ?? "", path: elementPath, next: 0, fields: []))
                    continue
                }
                let waiting = walker
                return requestValue(elementPath) { [self] state, bytes throws(Refusal) in
                    var walker = waiting
                    _ = Self.complete(try Self.jsonValue(bytes, as: entry), into: &walker, types: types)
                    return try walk(walker, types: types, &state, then: done)
                }
            }
        }
        // Not reached: the root struct completes inside the loop.
        throw Refusal(code: .firmwareError, message: "Typed data walk ended without a value")
    }

    /// Puts a finished value into its parent (the struct member or array element being filled); returns the value
    /// when it was the root.
    private static func complete(_ value: JSONValue, into walker: inout ValueWalker, types: TypeCollector) -> JSONValue? {
        guard let parent = walker.stack.popLast() else { return value }
        switch parent {
        case .structure(let name, let path, let next, var fields):
            // `next` already points past the member being filled.
            let members = types.types[name] ?? []
            if next >= 1, next - 1 < members.count { fields.append((members[next - 1].name, value)) }
            walker.stack.append(.structure(name: name, path: path, next: next, fields: fields))
        case .array(let entry, let path, let count, var elements):
            elements.append(value)
            walker.stack.append(.array(entry: entry, path: path, count: count, elements: elements))
        }
        return nil
    }

    /// One atomic value as trezorlib's `encode_data` sends it, checked as `_validate_value` does, in the JSON form
    /// ``TypedData`` reads: integers and bytes as 0x-hex (negative integers as decimal), addresses 0x-hex, bools,
    /// UTF-8 strings.
    static func jsonValue(_ bytes: [UInt8], as field: FieldType) throws(Refusal) -> JSONValue {
        func refuse(_ message: String) -> Refusal { Refusal(code: .dataError, message: message) }
        if let size = field.size, field.dataType != .array, field.dataType != .struct, bytes.count != Int(size) {
            throw refuse("Invalid length")
        }
        switch field.dataType {
        case .uint:
            return .string(Hex.encodePrefixed(bytes))
        case .int:
            return .string(signedDecimal(bytes))
        case .bytes:
            return .string(Hex.encodePrefixed(bytes))
        case .bool:
            guard bytes == [0] || bytes == [1] else { throw refuse("Invalid boolean value") }
            return .bool(bytes == [1])
        case .address:
            guard bytes.count == 20 else { throw refuse("Invalid address") }
            return .string(Hex.encodePrefixed(bytes))
        case .string:
            guard let text = String(validating: bytes, as: UTF8.self) else { throw refuse("Invalid UTF-8") }
            return .string(text)
        case .array, .struct:
            throw refuse("Unsupported data type for field encoding")
        }
    }

    /// A big-endian two's complement integer in decimal (TypedData reads negative integers only in decimal).
    static func signedDecimal(_ bytes: [UInt8]) -> String {
        let negative = (bytes.first ?? 0) & 0x80 != 0
        var magnitude = bytes
        if negative {
            // Two's complement negation: invert, add one.
            magnitude = magnitude.map { ~$0 }
            for index in magnitude.indices.reversed() {
                let (sum, overflow) = magnitude[index].addingReportingOverflow(1)
                magnitude[index] = sum
                if !overflow { break }
            }
        }
        var number = Array(magnitude.drop { $0 == 0 })
        var digits: [UInt8] = []
        while !number.isEmpty {
            var remainder = 0
            var quotient: [UInt8] = []
            for byte in number {
                let accumulator = remainder * 256 + Int(byte)
                let digit = accumulator / 10
                remainder = accumulator % 10
                if !quotient.isEmpty || digit != 0 { quotient.append(UInt8(digit)) }
            }
            digits.append(UInt8(remainder))
            number = quotient
        }
        let text = digits.isEmpty ? "0" : String(decoding: digits.reversed().map { $0 + 0x30 }, as: UTF8.self)
        return negative ? "-" + text : text
    }

    /// The `types` object of the rebuilt document: every fetched struct with its members' EIP-712 type names.
    static func typesJSON(_ types: TypeCollector) -> JSONValue {
        .object(JSONObject(types.order.map { name in
            let members = (types.types[name] ?? []).map { member -> JSONValue in
                .object(JSONObject([("name", .string(member.name)), ("type", .string(typeName(member.type)))]))
            }
            return (name, .array(members))
        }))
    }
}
