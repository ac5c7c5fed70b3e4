import BridgeCore
import BridgeCrypto

/// SIGN EIP-712 in full ("v1") mode, app >= 1.9.19: the device receives the whole typed data and can show every field.
///
/// 1. STRUCT DEFINITION `E0 1A 00 P2` for every struct type: P2 `00` + its name, then P2 `FF` + one field definition
///    per member: `TypeDesc | [TypeNameLen TypeName] | [TypeSize] | [LevelCount Levels] | KeyNameLen KeyName`.
/// 2. STRUCT IMPLEMENTATION `E0 1C P1 P2`: P2 `00` + root name ("EIP712Domain", then the primary type), then every
///    value depth-first in definition order: P2 `0F` + element count before an array's elements, P2 `FF` +
///    `length(2, BE) | value` per field, cut into 255-byte APDUs sent with P1 `01` (more to come) and the last with P1
///    `00`.
/// 3. SIGN `E0 0C 00 01 path` -> `v | r | s`.
///
/// Every step but the last answers a bare 9000. Without filters, app 1.22.0 needs "Raw messages" or "Blind signing"
/// on: otherwise the first field value answers 6A80, mapped to ``DeviceError/settingsRefuse(message:hint:)`` with the
/// full-mode hint (recorded_eth_app_1_22_0.json). Sources: app-ethereum `doc/ethapp.adoc`; ledgerjs hw-app-eth
/// `src/modules/EIP712/index.ts` (`signEIP712Message`); ../shared/reference/ledger.md section 4.6.
public struct LedgerEthereumSignTypedDataFull: APDUOperation {
    public typealias Output = EthereumSignature

    public let path: DerivationPath
    public let typedData: TypedData
    /// The order of the struct definitions; nil sends `EIP712Domain` first, then each struct after the structs it
    /// refers to (starting from the primary type, then the rest by name).
    public let structOrder: [String]?
    public var context: LedgerStatusWord.Context

    /// Every APDU of the flow, built by `start()`, and how many have been sent.
    private var commands: [APDUCommand] = []
    private var sent = 0

    /// - Parameters:
    ///   - structOrder: the order of `types` in the JSON document, to send the definitions exactly as ledgerjs does;
    ///     it must name every struct type once. The app accepts any order, so nil (the default order) is fine.
    ///   - context: gets `typedDataMode = .full` whatever is passed, so 6A80 names the "Raw messages" setting.
    public init(path: DerivationPath, typedData: TypedData, structOrder: [String]? = nil,
                context: LedgerStatusWord.Context = LedgerEthereum.context) {
        self.path = path
        self.typedData = typedData
        self.structOrder = structOrder
        self.context = context
        self.context.typedDataMode = .full
    }

    public mutating func start() throws(DeviceError) -> APDUCommand {
        commands = try buildCommands()
        sent = 0
        return nextCommand()
    }

    public mutating func handle(_ response: APDUResponse) throws(DeviceError) -> APDUStep<EthereumSignature> {
        guard sent > 0 else { throw .protocolError("EIP-712 signing got a reply before its first command") }
        guard sent == commands.count else {
            let command = commands[sent - 1]
            try LedgerEthereum.expectAcknowledgement(
                response, context: context,
                "EIP-712 reply to APDU \(sent) of \(commands.count) (\(Hex.encode([command.cla, command.ins, command.p1, command.p2])))")
            return .send(nextCommand())
        }
        return .finished(try LedgerEthereum.signature(from: try response.requireOK(context), "SIGN EIP-712 (full) reply"))
    }

    private mutating func nextCommand() -> APDUCommand {
        defer { sent += 1 }
        return commands[sent]
    }

    /// The whole flow, checked before anything is sent: a value the app cannot take fails here, not halfway.
    func buildCommands() throws(DeviceError) -> [APDUCommand] {
        let domainType = "EIP712Domain"
        guard typedData.primaryType != domainType else {
            throw .notSupported("full-mode EIP-712 of a domain-only document (primaryType EIP712Domain) on a Ledger")
        }
        do {
            // The same checks as the hashes: every value is present and valid for its type.
            _ = try typedData.hashes()
        } catch {
            throw .badArgument(error.message)
        }
        var builder = CommandBuilder(typedData: typedData)
        for name in try definitionOrder() {
            try builder.appendDefinition(of: name)
        }
        try builder.appendImplementation(root: domainType, value: .object(typedData.domain))
        try builder.appendImplementation(root: typedData.primaryType, value: typedData.message)
        builder.commands.append(
            try APDUCommand(cla: LedgerEthereum.cla, ins: LedgerEthereum.insSignEIP712, p1: 0x00, p2: 0x01,
                            data: try path.ledgerEncoded()))
        return builder.commands
    }

    private func definitionOrder() throws(DeviceError) -> [String] {
        guard let structOrder else { return LedgerEthereumEIP712Encoding.defaultDefinitionOrder(of: typedData) }
        let defined = typedData.structTypeNames
        guard structOrder.count == defined.count, Set(structOrder) == Set(defined) else {
            throw .badArgument("The EIP-712 struct order \(structOrder) does not name each of \(defined) exactly once")
        }
        return structOrder
    }
}

/// Accumulates the APDUs of a full-mode EIP-712 flow.
private struct CommandBuilder {
    let typedData: TypedData
    var commands: [APDUCommand] = []

    // app-ethereum doc/ethapp.adoc: P2 of E0 1A and E0 1C.
    static let p2Name: UInt8 = 0x00
    static let p2Array: UInt8 = 0x0F
    static let p2Field: UInt8 = 0xFF
    static let p1Complete: UInt8 = 0x00
    static let p1Partial: UInt8 = 0x01

    mutating func appendDefinition(of name: String) throws(DeviceError) {
        guard let members = typedData.members(ofStruct: name) else {
            throw .badArgument("EIP-712 struct \(name) is not defined in types")
        }
        try append(LedgerEthereum.insEIP712StructDefinition, p2: Self.p2Name, Array(name.utf8))
        for member in members {
            try append(LedgerEthereum.insEIP712StructDefinition, p2: Self.p2Field,
                       try LedgerEthereumEIP712Encoding.fieldDefinition(member, of: name))
        }
    }

    mutating func appendImplementation(root name: String, value: JSONValue) throws(DeviceError) {
        try append(LedgerEthereum.insEIP712StructImplementation, p2: Self.p2Name, Array(name.utf8))
        try appendMembers(of: name, value: value, at: name == "EIP712Domain" ? "domain" : "message")
    }

    private mutating func appendMembers(of structName: String, value: JSONValue, at place: String) throws(DeviceError) {
        guard let members = typedData.members(ofStruct: structName) else {
            throw .badArgument("EIP-712 struct \(structName) is not defined in types")
        }
        guard case .object(let object) = value else {
            // A null struct hashes to zeros in eth_signTypedData_v4, but the app has no way to receive one.
            throw .notSupported("EIP-712 value \(place) is \(value.typeName), not a \(structName) object, which a Ledger cannot take in full mode")
        }
        for member in members {
            guard let memberValue = object[member.name] else {
                throw .badArgument("EIP-712 value \(place).\(member.name) is missing")
            }
            try appendValue(memberValue, as: member.type, at: place + "." + member.name)
        }
    }

    private mutating func appendValue(_ value: JSONValue, as type: TypedDataType, at place: String) throws(DeviceError) {
        switch type {
        case .array(let element, _):
            guard case .array(let elements) = value else { throw .badArgument("EIP-712 value \(place) is not an array") }
            guard let count = UInt8(exactly: elements.count) else {
                throw .badArgument("EIP-712 array \(place) has \(elements.count) elements; the Ledger app takes at most 255")
            }
            try append(LedgerEthereum.insEIP712StructImplementation, p2: Self.p2Array, [count])
            for (index, elementValue) in elements.enumerated() {
                try appendValue(elementValue, as: element, at: "\(place)[\(index)]")
            }
        case .structure(let name):
            try appendMembers(of: name, value: value, at: place)
        default:
            let raw = try LedgerEthereumEIP712Encoding.fieldValue(value, as: type, in: typedData, at: place)
            guard let length = UInt16(exactly: raw.count) else {
                throw .badArgument("EIP-712 value \(place) is \(raw.count) bytes; the Ledger app takes at most 65535")
            }
            let payload = [UInt8(length >> 8), UInt8(length & 0xFF)] + raw
            var offset = 0
            repeat {
                let end = min(offset + 255, payload.count)
                try append(LedgerEthereum.insEIP712StructImplementation,
                           p1: end < payload.count ? Self.p1Partial : Self.p1Complete, p2: Self.p2Field,
                           Array(payload[offset..<end]))
                offset = end
            } while offset < payload.count
        }
    }

    private mutating func append(_ ins: UInt8, p1: UInt8 = 0x00, p2: UInt8, _ data: [UInt8]) throws(DeviceError) {
        commands.append(try APDUCommand(cla: LedgerEthereum.cla, ins: ins, p1: p1, p2: p2, data: data))
    }
}
