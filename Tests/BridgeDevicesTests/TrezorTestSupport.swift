import BridgeCore
import BridgeCrypto
import BridgeDevices
import BridgeSimulator
import Foundation
import Synchronization
import TestVectors
import Testing

/// One transcript of `trezor/recorded_t1_firmware_1_14_2.json`.
struct TrezorTranscript {
    struct Packet {
        let fromHost: Bool
        let bytes: [UInt8]
    }

    struct Decoded {
        let fromHost: Bool
        let type: String
        let typeID: UInt16
        let fields: JSONValue
        let payload: [UInt8]
        let packetIndex: [Int]
    }

    let name: String
    let packets: [Packet]
    let decoded: [Decoded]
    let json: JSONValue

    static func all() throws -> [TrezorTranscript] {
        let list = try #require(try TestVectors.json("trezor/recorded_t1_firmware_1_14_2.json").arrayValue)
        return try list.map { entry in
            let packets = try entry.array("packets").map { packet in
                Packet(fromHost: try packet.string("dir") == "host", bytes: try packet.hex("hex"))
            }
            let decoded = try entry.array("decoded").map { message in
                Decoded(
                    fromHost: try message.string("dir") == "host", type: try message.string("type"),
                    typeID: UInt16(try message.int("type_id")), fields: try #require(message["fields"]),
                    payload: try message.hex("payload_hex"),
                    packetIndex: try message.array("packet_index").map { Int(try #require($0.numberValue?.int64Value)) })
            }
            return TrezorTranscript(name: try entry.string("name"), packets: packets, decoded: decoded, json: entry)
        }
    }

    static func named(_ name: String) throws -> TrezorTranscript {
        try #require(try all().first { $0.name == name }, "no transcript \(name)")
    }

    /// The decoded message at `index` as a wire message.
    func wire(_ index: Int) -> TrezorWireMessage {
        TrezorWireMessage(type: decoded[index].typeID, payload: decoded[index].payload)
    }
}

/// Proto enum names as the transcripts spell them, to their numbers (FW common/protob/messages-common.proto,
/// messages-bitcoin.proto, messages-management.proto; ../shared/reference/trezor.md section 3).
enum TrezorEnumNames {
    static let failure: [String: Int] = [
        "UnexpectedMessage": 1, "ButtonExpected": 2, "DataError": 3, "ActionCancelled": 4, "PinExpected": 5,
        "PinCancelled": 6, "PinInvalid": 7, "InvalidSignature": 8, "ProcessError": 9, "NotEnoughFunds": 10,
        "NotInitialized": 11, "PinMismatch": 12, "WipeCodeMismatch": 13, "InvalidSession": 14, "Busy": 15,
        "InvalidProtocol": 17, "FirmwareError": 99,
    ]
    static let buttonRequest: [String: Int] = ["Other": 1, "ProtectCall": 7, "Address": 10, "PublicKey": 11, "PinEntry": 20]
    static let pinMatrix: [String: Int] = ["Current": 1, "NewFirst": 2, "NewSecond": 3]
    static let inputScript: [String: Int] = [
        "SPENDADDRESS": 0, "SPENDMULTISIG": 1, "EXTERNAL": 2, "SPENDWITNESS": 3, "SPENDP2SHWITNESS": 4, "SPENDTAPROOT": 5,
    ]
    static let capability: [String: Int] = [
        "Bitcoin": 1, "Bitcoin_like": 2, "Binance": 3, "Cardano": 4, "Crypto": 5, "EOS": 6, "Ethereum": 7, "Lisk": 8,
        "Monero": 9, "NEM": 10, "Ripple": 11, "Stellar": 12, "Tezos": 13, "U2F": 14, "Shamir": 15, "ShamirGroups": 16,
        "PassphraseEntry": 17,
    ]
    static let backupAvailability: [String: Int] = ["NotAvailable": 0, "Required": 1, "Available": 2]
    static let safetyChecks: [String: Int] = ["Strict": 0, "PromptAlways": 1, "PromptTemporarily": 2]

    /// The table for an enum-valued field of a message, nil for fields that are not enums.
    static func table(message: String, field: String) -> [String: Int]? {
        switch (message, field) {
        case ("Failure", "code"): failure
        case ("ButtonRequest", "code"): buttonRequest
        case ("PinMatrixRequest", "type"): pinMatrix
        case (_, "script_type"): inputScript
        case ("Features", "capabilities"): capability
        case ("Features", "backup_availability"): backupAvailability
        case ("Features", "safety_checks"): safetyChecks
        default: nil
        }
    }
}

/// Fields flattened to comparable text: numbers in decimal, bools as true/false, bytes as lowercase hex, enums as
/// their numbers, arrays as [a,b], embedded messages as {key=value,...} with sorted keys.
struct TrezorFieldText {
    private(set) var fields: [String: String] = [:]

    mutating func string(_ key: String, _ value: String?) { if let value { fields[key] = value } }
    mutating func number(_ key: String, _ value: UInt32?) { if let value { fields[key] = String(value) } }
    mutating func bool(_ key: String, _ value: Bool?) { if let value { fields[key] = String(value) } }
    mutating func hex(_ key: String, _ value: [UInt8]?) { if let value { fields[key] = Hex.encode(value) } }
    mutating func numbers(_ key: String, _ values: [UInt32]) {
        if !values.isEmpty { fields[key] = "[" + values.map(String.init).joined(separator: ",") + "]" }
    }
    mutating func enumeration<E: RawRepresentable>(_ key: String, _ value: E?) where E.RawValue == Int {
        if let value { fields[key] = String(value.rawValue) }
    }
    mutating func enumerations<E: RawRepresentable>(_ key: String, _ values: [E]) where E.RawValue == Int {
        if !values.isEmpty { fields[key] = "[" + values.map { String($0.rawValue) }.joined(separator: ",") + "]" }
    }
    mutating func node(_ key: String, _ node: TrezorProto.HDNodeType) {
        var inner = TrezorFieldText()
        inner.number("depth", node.depth)
        inner.number("fingerprint", node.fingerprint)
        inner.number("child_num", node.childNum)
        inner.hex("chain_code", node.chainCode)
        inner.hex("private_key", node.privateKey)
        inner.hex("public_key", node.publicKey)
        fields[key] = inner.asObject
    }

    var asObject: String { "{" + fields.keys.sorted().map { "\($0)=\(fields[$0]!)" }.joined(separator: ",") + "}" }

    /// The transcript's `fields` object in the same text form.
    static func fromJSON(_ json: JSONValue, message: String) -> [String: String] {
        var result: [String: String] = [:]
        for key in json.objectValue?.keys ?? [] {
            guard let value = json[key] else { continue }
            result[key] = text(value, table: TrezorEnumNames.table(message: message, field: key))
        }
        return result
    }

    private static func text(_ value: JSONValue, table: [String: Int]?) -> String {
        switch value {
        case .null: return "null"
        case .bool(let flag): return String(flag)
        case .number(let number): return number.text
        case .string(let text): return table?[text].map(String.init) ?? text
        case .array(let items): return "[" + items.map { Self.text($0, table: table) }.joined(separator: ",") + "]"
        case .object(let object):
            return "{" + object.keys.sorted().map { "\($0)=\(text(object[$0] ?? .null, table: nil))" }.joined(separator: ",") + "}"
        }
    }

    /// Decodes `wire` with the typed message for its type and flattens the modelled fields; nil for a type the
    /// transcripts' test does not model (the undefined id 9999).
    static func decode(_ wire: TrezorWireMessage) throws -> [String: String]? {
        guard let type = wire.messageType else { return nil }
        var f = TrezorFieldText()
        switch type {
        case .initialize:
            let m = try wire.decode(TrezorProto.Initialize.self)
            f.hex("session_id", m.sessionID); f.bool("_skip_passphrase", m.skipPassphrase); f.bool("derive_cardano", m.deriveCardano)
        case .ping:
            let m = try wire.decode(TrezorProto.Ping.self)
            f.string("message", m.message); f.bool("button_protection", m.buttonProtection)
        case .success:
            f.string("message", try wire.decode(TrezorProto.Success.self).message)
        case .failure:
            let m = try wire.decode(TrezorProto.Failure.self)
            f.enumeration("code", m.code); f.string("message", m.message)
        case .getPublicKey:
            let m = try wire.decode(TrezorProto.GetPublicKey.self)
            f.numbers("address_n", m.addressN); f.string("ecdsa_curve_name", m.ecdsaCurveName); f.bool("show_display", m.showDisplay)
            f.string("coin_name", m.coinName); f.enumeration("script_type", m.scriptType); f.bool("ignore_xpub_magic", m.ignoreXpubMagic)
        case .publicKey:
            let m = try wire.decode(TrezorProto.PublicKey.self)
            f.node("node", m.node); f.string("xpub", m.xpub); f.number("root_fingerprint", m.rootFingerprint)
            f.string("descriptor", m.descriptor)
        case .features:
            let m = try wire.decode(TrezorProto.Features.self)
            f.string("vendor", m.vendor); f.number("major_version", m.majorVersion); f.number("minor_version", m.minorVersion)
            f.number("patch_version", m.patchVersion); f.bool("bootloader_mode", m.bootloaderMode); f.string("device_id", m.deviceID)
            f.bool("pin_protection", m.pinProtection); f.bool("passphrase_protection", m.passphraseProtection)
            f.string("language", m.language); f.string("label", m.label); f.bool("initialized", m.initialized)
            f.hex("revision", m.revision); f.hex("bootloader_hash", m.bootloaderHash); f.bool("imported", m.imported)
            f.bool("unlocked", m.unlocked); f.bool("firmware_present", m.firmwarePresent)
            f.enumeration("backup_availability", m.backupAvailability); f.number("flags", m.flags); f.string("model", m.model)
            f.number("fw_major", m.fwMajor); f.number("fw_minor", m.fwMinor); f.number("fw_patch", m.fwPatch)
            f.string("fw_vendor", m.fwVendor); f.bool("unfinished_backup", m.unfinishedBackup); f.bool("no_backup", m.noBackup)
            f.enumerations("capabilities", m.capabilities); f.enumeration("backup_type", m.backupType)
            f.bool("wipe_code_protection", m.wipeCodeProtection); f.hex("session_id", m.sessionID)
            f.bool("passphrase_always_on_device", m.passphraseAlwaysOnDevice); f.enumeration("safety_checks", m.safetyChecks)
            f.number("auto_lock_delay_ms", m.autoLockDelayMs); f.bool("busy", m.busy)
            f.enumeration("homescreen_format", m.homescreenFormat); f.bool("hide_passphrase_from_host", m.hidePassphraseFromHost)
            f.string("internal_model", m.internalModel); f.number("unit_color", m.unitColor); f.bool("unit_btconly", m.unitBtconly)
            f.number("build_version", m.buildVersion)
        case .pinMatrixRequest:
            f.enumeration("type", try wire.decode(TrezorProto.PinMatrixRequest.self).type)
        case .pinMatrixAck:
            f.string("pin", try wire.decode(TrezorProto.PinMatrixAck.self).pin)
        case .cancel: _ = try wire.decode(TrezorProto.Cancel.self)
        case .buttonRequest:
            let m = try wire.decode(TrezorProto.ButtonRequest.self)
            f.enumeration("code", m.code); f.number("pages", m.pages); f.string("name", m.name)
        case .buttonAck: _ = try wire.decode(TrezorProto.ButtonAck.self)
        case .applyFlags: f.number("flags", try wire.decode(TrezorProto.ApplyFlags.self).flags)
        case .lockDevice: _ = try wire.decode(TrezorProto.LockDevice.self)
        case .wipeDevice, .loadDevice, .resetDevice, .entropyRequest, .entropyAck, .applySettings, .debugLinkDecision, .debugLinkGetState, .debugLinkState, .debugLinkStop, .debugLinkLayout:
            // No recorded transcript carries them (the recordings are of the main link of an initialized device).
            return nil
        case .getAddress:
            let m = try wire.decode(TrezorProto.GetAddress.self)
            f.numbers("address_n", m.addressN); f.string("coin_name", m.coinName); f.bool("show_display", m.showDisplay)
            f.enumeration("script_type", m.scriptType); f.bool("ignore_xpub_magic", m.ignoreXpubMagic); f.bool("chunkify", m.chunkify)
            if m.multisig != nil { f.string("multisig", "present") }
        case .address:
            let m = try wire.decode(TrezorProto.Address.self)
            f.string("address", m.address); f.hex("mac", m.mac)
        case .signMessage:
            let m = try wire.decode(TrezorProto.SignMessage.self)
            f.numbers("address_n", m.addressN); f.hex("message", m.message); f.string("coin_name", m.coinName)
            f.enumeration("script_type", m.scriptType); f.bool("no_script_type", m.noScriptType); f.bool("chunkify", m.chunkify)
        case .verifyMessage:
            let m = try wire.decode(TrezorProto.VerifyMessage.self)
            f.string("address", m.address); f.hex("signature", m.signature); f.hex("message", m.message)
            f.string("coin_name", m.coinName); f.bool("chunkify", m.chunkify)
        case .messageSignature:
            let m = try wire.decode(TrezorProto.MessageSignature.self)
            f.string("address", m.address); f.hex("signature", m.signature)
        case .passphraseRequest: _ = try wire.decode(TrezorProto.PassphraseRequest.self)
        case .passphraseAck:
            let m = try wire.decode(TrezorProto.PassphraseAck.self)
            f.string("passphrase", m.passphrase); f.bool("on_device", m.onDevice)
        case .getFeatures: _ = try wire.decode(TrezorProto.GetFeatures.self)
        case .endSession: _ = try wire.decode(TrezorProto.EndSession.self)
        case .ethereumGetAddress:
            let m = try wire.decode(TrezorProto.EthereumGetAddress.self)
            f.numbers("address_n", m.addressN); f.bool("show_display", m.showDisplay); f.hex("encoded_network", m.encodedNetwork)
            f.bool("chunkify", m.chunkify)
        case .ethereumAddress:
            let m = try wire.decode(TrezorProto.EthereumAddress.self)
            f.hex("_old_address", m.oldAddress); f.string("address", m.address); f.hex("mac", m.mac)
        case .ethereumSignMessage:
            let m = try wire.decode(TrezorProto.EthereumSignMessage.self)
            f.numbers("address_n", m.addressN); f.hex("message", m.message); f.hex("encoded_network", m.encodedNetwork)
            f.bool("chunkify", m.chunkify)
        case .ethereumVerifyMessage:
            let m = try wire.decode(TrezorProto.EthereumVerifyMessage.self)
            f.hex("signature", m.signature); f.hex("message", m.message); f.string("address", m.address); f.bool("chunkify", m.chunkify)
        case .ethereumMessageSignature:
            let m = try wire.decode(TrezorProto.EthereumMessageSignature.self)
            f.hex("signature", m.signature); f.string("address", m.address)
        case .ethereumGetPublicKey:
            let m = try wire.decode(TrezorProto.EthereumGetPublicKey.self)
            f.numbers("address_n", m.addressN); f.bool("show_display", m.showDisplay)
        case .ethereumPublicKey:
            let m = try wire.decode(TrezorProto.EthereumPublicKey.self)
            f.node("node", m.node); f.string("xpub", m.xpub)
        case .ethereumSignTypedData:
            let m = try wire.decode(TrezorProto.EthereumSignTypedData.self)
            f.numbers("address_n", m.addressN); f.string("primary_type", m.primaryType); f.bool("metamask_v4_compat", m.metamaskV4Compat)
            f.hex("show_message_hash", m.showMessageHash)
        case .ethereumSignTypedHash:
            let m = try wire.decode(TrezorProto.EthereumSignTypedHash.self)
            f.numbers("address_n", m.addressN); f.hex("domain_separator_hash", m.domainSeparatorHash)
            f.hex("message_hash", m.messageHash); f.hex("encoded_network", m.encodedNetwork)
        case .ethereumTypedDataSignature:
            let m = try wire.decode(TrezorProto.EthereumTypedDataSignature.self)
            f.hex("signature", m.signature); f.string("address", m.address)
        case .ethereumTypedDataStructRequest, .ethereumTypedDataStructAck, .ethereumTypedDataValueRequest,
             .ethereumTypedDataValueAck:
            return nil
        }
        return f.fields
    }

    /// Re-encodes a host message through its typed struct (decode then `protobuf()`).
    static func reencode(_ wire: TrezorWireMessage) throws -> [UInt8]? {
        guard let type = wire.messageType else { return nil }
        func round<M: TrezorMessage>(_: M.Type) throws -> [UInt8] { try wire.decode(M.self).protobuf() }
        switch type {
        case .initialize: return try round(TrezorProto.Initialize.self)
        case .ping: return try round(TrezorProto.Ping.self)
        case .cancel: return try round(TrezorProto.Cancel.self)
        case .getFeatures: return try round(TrezorProto.GetFeatures.self)
        case .getPublicKey: return try round(TrezorProto.GetPublicKey.self)
        case .getAddress: return try round(TrezorProto.GetAddress.self)
        case .signMessage: return try round(TrezorProto.SignMessage.self)
        case .buttonAck: return try round(TrezorProto.ButtonAck.self)
        case .pinMatrixAck: return try round(TrezorProto.PinMatrixAck.self)
        case .passphraseAck: return try round(TrezorProto.PassphraseAck.self)
        case .ethereumGetAddress: return try round(TrezorProto.EthereumGetAddress.self)
        case .ethereumGetPublicKey: return try round(TrezorProto.EthereumGetPublicKey.self)
        case .ethereumSignMessage: return try round(TrezorProto.EthereumSignMessage.self)
        case .ethereumSignTypedHash: return try round(TrezorProto.EthereumSignTypedHash.self)
        case .ethereumSignTypedData: return try round(TrezorProto.EthereumSignTypedData.self)
        case .features: return try round(TrezorProto.Features.self)
        case .publicKey: return try round(TrezorProto.PublicKey.self)
        case .failure: return try round(TrezorProto.Failure.self)
        case .success: return try round(TrezorProto.Success.self)
        case .buttonRequest: return try round(TrezorProto.ButtonRequest.self)
        case .pinMatrixRequest: return try round(TrezorProto.PinMatrixRequest.self)
        case .passphraseRequest: return try round(TrezorProto.PassphraseRequest.self)
        case .address: return try round(TrezorProto.Address.self)
        case .messageSignature: return try round(TrezorProto.MessageSignature.self)
        case .ethereumAddress: return try round(TrezorProto.EthereumAddress.self)
        case .ethereumPublicKey: return try round(TrezorProto.EthereumPublicKey.self)
        case .ethereumMessageSignature: return try round(TrezorProto.EthereumMessageSignature.self)
        case .ethereumTypedDataSignature: return try round(TrezorProto.EthereumTypedDataSignature.self)
        default: return nil
        }
    }
}

// MARK: Links for host tests

extension TrezorTranscript {
    var replayPackets: [ReplayTrezorLink.Packet] {
        packets.map { ReplayTrezorLink.Packet(fromHost: $0.fromHost, bytes: $0.bytes) }
    }

    /// A strict replay of the named transcripts, one after the other.
    static func replay(_ names: String...) throws -> ReplayTrezorLink {
        let all = try TrezorTranscript.all()
        var packets: [ReplayTrezorLink.Packet] = []
        for name in names {
            packets += try #require(all.first { $0.name == name }, "no transcript \(name)").replayPackets
        }
        return ReplayTrezorLink(name: names.joined(separator: "+"), packets: packets)
    }
}

enum TrezorTest {
    static func descriptor(model: String = "unknown") -> DeviceDescriptor {
        DeviceDescriptor(id: "trezor-test", family: .trezor, model: model, transport: "replay", path: "-")
    }

    static func context(timeout: Duration = .seconds(5), credentials: TrezorCredentials = TrezorCredentials(),
                        isCancelled: @escaping @Sendable () -> Bool = { false },
                        progress: @escaping @Sendable (String) -> Void = { _ in }) -> TrezorCallContext {
        TrezorCallContext(timeout: timeout, isCancelled: isCancelled, progress: progress, credentials: credentials)
    }

    static func path(_ text: String) -> DerivationPath {
        // Test paths are literals; a typo should fail loudly.
        try! DerivationPath(parsing: text)
    }

    static let ethAddress = "0x73d0385F4d8E00C5e6504C6030F47BF6212736A8"
}

/// A scripted Trezor: each complete host message is answered with what `respond` returns (framed as v1 packets).
/// With `holding`, answers wait until `release()`.
final class ScriptedTrezorLink: DeviceLink {
    let endpoint = "scripted:trezor"
    private let respond: @Sendable (TrezorWireMessage) -> [TrezorWireMessage]
    private let state: Mutex<State>

    private struct State {
        var reassembler = TrezorV1Reassembler()
        var outbox: [[UInt8]] = []
        var held: [[UInt8]] = []
        var holding: Bool
        var received: [TrezorWireMessage] = []
    }

    init(holding: Bool = false, respond: @escaping @Sendable (TrezorWireMessage) -> [TrezorWireMessage]) {
        self.respond = respond
        state = Mutex(State(holding: holding))
    }

    /// Every message the host sent, in order.
    var received: [TrezorWireMessage] { state.withLock { $0.received } }

    func release() {
        state.withLock { state in
            state.holding = false
            state.outbox += state.held
            state.held = []
        }
    }

    func send(_ packet: [UInt8]) throws(DeviceError) {
        let message: TrezorWireMessage? = try state.withLock { state throws(DeviceError) in try state.reassembler.append(packet) }
        guard let message else { return }
        let replies = respond(message).flatMap { TrezorV1Framing.packets(for: $0) }
        state.withLock { state in
            state.received.append(message)
            if state.holding { state.held += replies } else { state.outbox += replies }
        }
    }

    func receive(timeout: Duration) throws(DeviceError) -> [UInt8]? {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            let packet: [UInt8]? = state.withLock { state in state.outbox.isEmpty ? nil : state.outbox.removeFirst() }
            if let packet { return packet }
            guard ContinuousClock.now < deadline else { return nil }
            Thread.sleep(forTimeInterval: 0.001)
        }
    }

    func close() {}
}
