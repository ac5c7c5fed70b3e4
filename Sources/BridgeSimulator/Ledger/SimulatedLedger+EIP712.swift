import BridgeCore
import BridgeCrypto
import BridgeDevices

/// Full EIP-712 ("v1", app-ethereum >= 1.9.19): E0 1A struct definitions, E0 1C struct implementations, then
/// E0 0C P2=01 signs. The simulator rebuilds the `eth_signTypedData_v4` document from what it received and hashes it
/// with BridgeCrypto's ``TypedData``, so the signature is over exactly what the host streamed.
/// Spec: app-ethereum doc/ethapp.adoc, "EIP712 SEND STRUCT DEFINITION/IMPLEMENTATION"; ../shared/reference/ledger.md 4.6.
extension SimulatedLedger {
    /// E0 1A / E0 1C parameter values (ethapp.adoc).
    enum TypedDataAPDU {
        static let structName: UInt8 = 0x00
        static let structField: UInt8 = 0xFF
        static let arraySize: UInt8 = 0x0F
        static let completeValue: UInt8 = 0x00
        static let partialValue: UInt8 = 0x01
    }

    /// One member as E0 1A describes it: `TypeDesc [name] [size] [array levels] key`.
    struct TypedDataField: Sendable {
        enum Base: Sendable {
            case structure(String)
            case integer(bytes: Int, signed: Bool)
            case address
            case bool
            case string
            case fixedBytes(Int)
            case bytes
        }

        var name: String
        var base: Base
        /// Array levels in definition order (`T[2][]` -> [2, nil]); the last one is the outermost array.
        var arrayLevels: [Int?]

        /// The type as `types` writes it, e.g. `Transfer[]` or `uint256`.
        var typeText: String {
            let baseText: String
            switch base {
            case .structure(let name): baseText = name
            case .integer(let bytes, let signed): baseText = (signed ? "int" : "uint") + String(bytes * 8)
            case .address: baseText = "address"
            case .bool: baseText = "bool"
            case .string: baseText = "string"
            case .fixedBytes(let count): baseText = "bytes\(count)"
            case .bytes: baseText = "bytes"
            }
            return baseText + arrayLevels.map { "[\($0.map(String.init) ?? "")]" }.joined()
        }
    }

    /// A struct type as E0 1A defined it.
    struct TypedDataStruct: Sendable {
        var name: String
        var fields: [TypedDataField] = []
    }

    /// The full EIP-712 exchange so far.
    struct TypedDataSession: Sendable {
        /// The types, in the order they were defined (which is the order of the `types` object).
        var structs: [TypedDataStruct] = []
        var isImplementing = false
        /// Where the next value goes: the structs and arrays being filled, outermost first.
        var stack: [TypedDataFrame] = []
        /// The first parts of a value sent with P1=01.
        var partialValue: [UInt8]?
        var domain: JSONObject?
        var primaryType: String?
        var message: JSONObject?

        func definition(of name: String) -> TypedDataStruct? { structs.first { $0.name == name } }
    }

    /// A struct or an array being filled.
    enum TypedDataFrame: Sendable {
        case structure(TypedDataStruct, values: JSONObject)
        case array(element: TypedDataSlot, count: Int, elements: [JSONValue])
    }

    /// What the next value must be: a member's base type with the array levels still to open.
    struct TypedDataSlot: Sendable {
        var field: TypedDataField
        var levels: [Int?]
    }

    /// E0 1A: P2=00 names a new struct, P2=FF adds a member to the last one.
    func ethereumTypedDataStructDefinition(_ command: APDUCommand, in state: inout State) throws(APDUFailure) -> APDUResponse {
        guard command.p1 == 0 else { throw APDUFailure(LedgerStatusWord.wrongP1P2) }
        var session: TypedDataSession
        if case .typedData(let current) = state.pending, !current.isImplementing {
            session = current
        } else {
            session = TypedDataSession()
        }
        switch command.p2 {
        case TypedDataAPDU.structName:
            let name = try Self.utf8(command.data)
            guard !name.isEmpty, session.definition(of: name) == nil else { throw APDUFailure(LedgerStatusWord.invalidData) }
            session.structs.append(TypedDataStruct(name: name))
        case TypedDataAPDU.structField:
            let field = try Self.parseFieldDefinition(command.data)
            guard let last = session.structs.indices.last, !session.structs[last].fields.contains(where: { $0.name == field.name })
            else { throw APDUFailure(LedgerStatusWord.invalidData) }
            session.structs[last].fields.append(field)
        default:
            throw APDUFailure(LedgerStatusWord.wrongP1P2)
        }
        state.pending = .typedData(session)
        return APDUResponse(statusWord: LedgerStatusWord.ok)
    }

    /// `TypeDesc(1) [nameLen name if custom] [size if bit 6] [levelCount levels if bit 7] keyLen key`; TypeDesc =
    /// isArray << 7 | hasSize << 6 | type (0 struct, 1 int, 2 uint, 3 address, 4 bool, 5 string, 6 bytesN, 7 bytes).
    private static func parseFieldDefinition(_ data: [UInt8]) throws(APDUFailure) -> TypedDataField {
        let invalid = LedgerStatusWord.invalidData
        var reader = ByteReader(data)
        let descriptor = try reader.u8(or: invalid)
        let isArray = descriptor & 0x80 != 0
        let hasSize = descriptor & 0x40 != 0
        var structName: String?
        if descriptor & 0x0F == 0 {
            structName = try utf8(try reader.bytes(Int(try reader.u8(or: invalid)), or: invalid))
        }
        let size = hasSize ? Int(try reader.u8(or: invalid)) : nil
        var levels: [Int?] = []
        if isArray {
            for _ in 0..<(try reader.u8(or: invalid)) {
                switch try reader.u8(or: invalid) {
                case 0: levels.append(nil)
                case 1: levels.append(Int(try reader.u8(or: invalid)))
                default: throw APDUFailure(invalid)
                }
            }
        }
        let key = try utf8(try reader.bytes(Int(try reader.u8(or: invalid)), or: invalid))
        guard reader.isAtEnd, !key.isEmpty else { throw APDUFailure(invalid) }
        let base: TypedDataField.Base
        switch (descriptor & 0x0F, size) {
        case (0, nil): base = .structure(structName ?? "")
        case (1, let bytes?) where (1...32).contains(bytes): base = .integer(bytes: bytes, signed: true)
        case (2, let bytes?) where (1...32).contains(bytes): base = .integer(bytes: bytes, signed: false)
        case (3, nil): base = .address
        case (4, nil): base = .bool
        case (5, nil): base = .string
        case (6, let count?) where (1...32).contains(count): base = .fixedBytes(count)
        case (7, nil): base = .bytes
        default: throw APDUFailure(invalid)
        }
        return TypedDataField(name: key, base: base, arrayLevels: levels)
    }

    /// E0 1C: P2=00 starts a root struct ("EIP712Domain", then the primary type), P2=0F gives the size of the next
    /// array, P2=FF the next value (`len(2) | bytes`, split over P1=01 APDUs when long). Values are taken only when
    /// "Raw messages" or "Blind signing" is on: app 1.22.0 answers 6A80 at the first one otherwise
    /// (recorded_eth_app_1_22_0.json `eth_sign_eip712_full_mail_blind_signing_disabled`).
    func ethereumTypedDataStructImplementation(_ command: APDUCommand, in state: inout State) throws(APDUFailure) -> APDUResponse {
        guard case .typedData(var session) = state.pending else { throw APDUFailure(LedgerStatusWord.invalidData) }
        session.isImplementing = true
        switch (command.p1, command.p2) {
        case (TypedDataAPDU.completeValue, TypedDataAPDU.structName):
            let name = try Self.utf8(command.data)
            guard session.stack.isEmpty, session.partialValue == nil, let root = session.definition(of: name),
                session.message == nil, (session.domain == nil) == (name == "EIP712Domain")
            else { throw APDUFailure(LedgerStatusWord.invalidData) }
            if name != "EIP712Domain" { session.primaryType = name }
            session.stack = [.structure(root, values: JSONObject())]
            try Self.closeFinishedFrames(&session)
        case (TypedDataAPDU.completeValue, TypedDataAPDU.arraySize):
            try requireTypedDataValuesAllowed(state)
            guard command.data.count == 1, session.partialValue == nil else { throw APDUFailure(LedgerStatusWord.invalidData) }
            let slot = try Self.openStructsUntilSlot(&session)
            guard let outermost = slot.levels.last else { throw APDUFailure(LedgerStatusWord.invalidData) }
            let count = Int(command.data[0])
            if let fixed = outermost, fixed != count { throw APDUFailure(LedgerStatusWord.invalidData) }
            var element = slot
            element.levels.removeLast()
            session.stack.append(.array(element: element, count: count, elements: []))
            try Self.closeFinishedFrames(&session)
        case (TypedDataAPDU.partialValue, TypedDataAPDU.structField):
            try requireTypedDataValuesAllowed(state)
            session.partialValue = (session.partialValue ?? []) + command.data
        case (TypedDataAPDU.completeValue, TypedDataAPDU.structField):
            try requireTypedDataValuesAllowed(state)
            var reader = ByteReader((session.partialValue ?? []) + command.data)
            session.partialValue = nil
            let length = Int(try reader.bytes(2, or: LedgerStatusWord.invalidData).reduce(0) { $0 << 8 | Int($1) })
            let value = try reader.bytes(length, or: LedgerStatusWord.invalidData)
            guard reader.isAtEnd else { throw APDUFailure(LedgerStatusWord.invalidData) }
            let slot = try Self.openStructsUntilSlot(&session)
            guard slot.levels.isEmpty else { throw APDUFailure(LedgerStatusWord.invalidData) }
            try Self.store(try Self.jsonValue(value, for: slot.field.base), in: &session)
        default:
            throw APDUFailure(LedgerStatusWord.wrongP1P2)
        }
        state.pending = .typedData(session)
        return APDUResponse(statusWord: LedgerStatusWord.ok)
    }

    private func requireTypedDataValuesAllowed(_ state: State) throws(APDUFailure) {
        guard state.rawMessages || state.blindSigning else { throw APDUFailure(LedgerStatusWord.invalidData) }
    }

    /// E0 0C P2=01 `path`: signs the digest of the document received, after the user approves.
    func ethereumSignFullTypedData(_ command: APDUCommand, in state: inout State) throws(APDUFailure) -> APDUResponse {
        guard command.p1 == 0 else { throw APDUFailure(LedgerStatusWord.wrongP1P2) }
        guard case .typedData(let session) = state.pending else { throw APDUFailure(LedgerStatusWord.invalidData) }
        state.pending = .none
        var reader = ByteReader(command.data)
        let path = try ethereumPath(&reader)
        guard reader.isAtEnd, session.stack.isEmpty, let domain = session.domain, let primaryType = session.primaryType,
            let message = session.message
        else { throw APDUFailure(LedgerStatusWord.invalidData) }
        var types = JSONObject()
        for structure in session.structs {
            types[structure.name] = .array(
                structure.fields.map { .object(["name": .string($0.name), "type": .string($0.typeText)]) })
        }
        let document: JSONValue = .object([
            "types": .object(types), "primaryType": .string(primaryType), "domain": .object(domain),
            "message": .object(message),
        ])
        guard let digest = try? TypedData(json: document).hashes().digest else {
            throw APDUFailure(LedgerStatusWord.invalidData)
        }
        // app-ethereum's clear-signing review: the domain's and the message's fields, one step each, then "Sign".
        let fields = DeviceScreen.fieldLines(.object(domain)) + DeviceScreen.fieldLines(.object(message))
        try confirm([DeviceScreen(name: "review_typed_data", title: "Review typed message", lines: [primaryType])]
                    + fields.map { DeviceScreen(name: "typed_data_field", title: primaryType, lines: [$0]) }
                    + [DeviceScreen(name: "sign", title: "Sign typed message")], state.approval, app: state.app)
        return try ethereumMessageSignature(digest, at: path)
    }

    /// Descends into struct members (which need no APDU of their own: nested structs are sent inline) until the
    /// next slot that takes a value or an array size.
    private static func openStructsUntilSlot(_ session: inout TypedDataSession) throws(APDUFailure) -> TypedDataSlot {
        while true {
            let slot: TypedDataSlot
            switch session.stack.last {
            case .structure(let definition, let values)?:
                guard values.count < definition.fields.count else { throw APDUFailure(LedgerStatusWord.invalidData) }
                let field = definition.fields[values.count]
                slot = TypedDataSlot(field: field, levels: field.arrayLevels)
            case .array(let element, let count, let elements)?:
                guard elements.count < count else { throw APDUFailure(LedgerStatusWord.invalidData) }
                slot = element
            case nil:
                throw APDUFailure(LedgerStatusWord.invalidData)
            }
            guard slot.levels.isEmpty, case .structure(let name) = slot.field.base else { return slot }
            guard let definition = session.definition(of: name) else { throw APDUFailure(LedgerStatusWord.invalidData) }
            session.stack.append(.structure(definition, values: JSONObject()))
            // An empty struct is complete as soon as it is opened.
            try closeFinishedFrames(&session)
        }
    }

    /// Puts `value` in the innermost struct or array, then closes what that completed.
    private static func store(_ value: JSONValue, in session: inout TypedDataSession) throws(APDUFailure) {
        switch session.stack.popLast() {
        case .structure(let definition, var values)?:
            values[definition.fields[values.count].name] = value
            session.stack.append(.structure(definition, values: values))
        case .array(let element, let count, let elements)?:
            session.stack.append(.array(element: element, count: count, elements: elements + [value]))
        case nil:
            throw APDUFailure(LedgerStatusWord.invalidData)
        }
        try closeFinishedFrames(&session)
    }

    /// Pops every complete struct or array into its parent; a complete root becomes the domain or the message.
    private static func closeFinishedFrames(_ session: inout TypedDataSession) throws(APDUFailure) {
        while let top = session.stack.last {
            let finished: JSONValue
            switch top {
            case .structure(let definition, let values):
                guard values.count == definition.fields.count else { return }
                finished = .object(values)
            case .array(_, let count, let elements):
                guard elements.count == count else { return }
                finished = .array(elements)
            }
            session.stack.removeLast()
            if session.stack.isEmpty {
                guard case .object(let object) = finished else { throw APDUFailure(LedgerStatusWord.invalidData) }
                if session.domain == nil { session.domain = object } else { session.message = object }
                return
            }
            try store(finished, in: &session)
            return
        }
    }

    /// A received value as `eth_signTypedData_v4` JSON: integers and byte strings as 0x-hex (negative intN, sent
    /// as N-bit two's complement by ledgerjs `EIP712_TYPE_ENCODERS.INT`, as "-decimal"), addresses as 0x + 40 digits.
    private static func jsonValue(_ value: [UInt8], for base: TypedDataField.Base) throws(APDUFailure) -> JSONValue {
        let invalid = APDUFailure(LedgerStatusWord.invalidData)
        switch base {
        case .integer(let width, let signed):
            guard value.count <= width else { throw invalid }
            if signed, value.count == width, let first = value.first, first & 0x80 != 0 {
                return .string("-" + decimal(twosComplementMagnitude(value)))
            }
            return .string("0x" + (value.isEmpty ? "0" : Hex.encode(value)))
        case .address:
            guard value.count <= 20 else { throw invalid }
            return .string(Hex.encodePrefixed([UInt8](repeating: 0, count: 20 - value.count) + value))
        case .bool:
            guard value.count <= 1 else { throw invalid }
            return .bool(value.first.map { $0 != 0 } ?? false)
        case .string:
            return .string(try utf8(value))
        case .fixedBytes(let count):
            guard value.count <= count else { throw invalid }
            return .string(Hex.encodePrefixed(value + [UInt8](repeating: 0, count: count - value.count)))
        case .bytes:
            return .string(Hex.encodePrefixed(value))
        case .structure:
            throw invalid
        }
    }

    /// |x| for a negative big-endian two's complement x: invert and add one.
    private static func twosComplementMagnitude(_ value: [UInt8]) -> [UInt8] {
        var magnitude = value.map { ~$0 }
        for index in magnitude.indices.reversed() {
            let (sum, overflow) = magnitude[index].addingReportingOverflow(1)
            magnitude[index] = sum
            if !overflow { break }
        }
        return magnitude
    }

    /// The decimal digits of a big-endian unsigned integer (schoolbook division by 10).
    private static func decimal(_ bigEndian: [UInt8]) -> String {
        var number = bigEndian
        var digits: [Character] = []
        repeat {
            var remainder = 0
            for index in number.indices {
                let current = remainder << 8 | Int(number[index])
                number[index] = UInt8(current / 10)
                remainder = current % 10
            }
            digits.append(Character(String(remainder)))
            while number.first == 0 { number.removeFirst() }
        } while !number.isEmpty
        return String(digits.reversed())
    }

    /// Strict UTF-8, as names and strings must be.
    static func utf8(_ bytes: [UInt8]) throws(APDUFailure) -> String {
        guard let text = String(validating: bytes, as: UTF8.self) else { throw APDUFailure(LedgerStatusWord.invalidData) }
        return text
    }
}
