import BridgeCore
import BridgeCrypto
import BridgeDevices
import BridgeSimulator
import TestVectors
import Testing

/// The full EIP-712 flow of a core model driven by a host that answers exactly as trezorlib does
/// (trezor/trezor-firmware python/src/trezorlib/ethereum.py `sign_typed_data`, `get_field_type`, `encode_data`),
/// independent of the bridge's own ``TrezorDevice``: every case of ethereum/sign_typed_data.json must come back with
/// the fixture's signature, and the device must ask in the firmware's order.
@Suite("Simulated Trezor: full EIP-712")
struct SimulatedTrezorEIP712Tests {
    /// trezorlib's side of the struct/value loop for one document.
    struct TrezorlibHost {
        let types: JSONObject
        let primaryType: String
        let domain: JSONValue
        let message: JSONValue

        /// `sanitize_typed_data`: the four keys, and an empty EIP712Domain when the document has none.
        init(_ data: JSONValue) throws {
            var types = try #require(data["types"]?.objectValue)
            if types["EIP712Domain"] == nil { types = JSONObject(types.entries.map { ($0.key, $0.value) } + [("EIP712Domain", .array([]))]) }
            self.types = types
            primaryType = try data.string("primaryType")
            domain = try #require(data["domain"])
            message = data["message"] ?? .object(JSONObject())
        }

        func members(of name: String) throws -> [JSONValue] { try #require(types[name]?.arrayValue, "no type \(name)") }

        /// `get_field_type`.
        func fieldType(_ name: String) throws -> TrezorProto.EthereumFieldType {
            if name.hasSuffix("]") {
                let open = try #require(name.lastIndex(of: "["))
                let size = UInt32(name[name.index(after: open)..<name.index(before: name.endIndex)])
                return TrezorProto.EthereumFieldType(dataType: .array, size: size, entryType: try fieldType(String(name[..<open])))
            }
            if name.hasPrefix("uint") { return TrezorProto.EthereumFieldType(dataType: .uint, size: UInt32(name.dropFirst(4))! / 8) }
            if name.hasPrefix("int") { return TrezorProto.EthereumFieldType(dataType: .int, size: UInt32(name.dropFirst(3))! / 8) }
            if name.hasPrefix("bytes") { return TrezorProto.EthereumFieldType(dataType: .bytes, size: name == "bytes" ? nil : UInt32(name.dropFirst(5))) }
            switch name {
            case "string": return TrezorProto.EthereumFieldType(dataType: .string)
            case "bool": return TrezorProto.EthereumFieldType(dataType: .bool)
            case "address": return TrezorProto.EthereumFieldType(dataType: .address)
            default:
                return TrezorProto.EthereumFieldType(dataType: .struct, size: UInt32(try members(of: name).count), structName: name)
            }
        }

        func structAck(_ name: String) throws -> TrezorProto.EthereumTypedDataStructAck {
            TrezorProto.EthereumTypedDataStructAck(members: try members(of: name).map { member in
                TrezorProto.EthereumStructMember(type: try fieldType(try member.string("type")), name: try member.string("name"))
            })
        }

        /// The value at `path`: a list's length as uint16, else `encode_data`.
        func value(at path: [UInt32]) throws -> [UInt8] {
            var typeName = path.first == 0 ? "EIP712Domain" : primaryType
            var data = path.first == 0 ? domain : message
            for index in path.dropFirst() {
                if let object = data.objectValue {
                    let member = try members(of: typeName)[Int(index)]
                    typeName = try member.string("type")
                    data = object[try member.string("name")] ?? .null
                } else if let list = data.arrayValue {
                    typeName = String(typeName[..<(try #require(typeName.lastIndex(of: "[")))])
                    data = list[Int(index)]
                }
            }
            if let list = data.arrayValue { return [UInt8(list.count >> 8), UInt8(list.count & 0xFF)] }
            return try Self.encode(data, typeName)
        }

        /// `encode_data`.
        static func encode(_ value: JSONValue, _ typeName: String) throws -> [UInt8] {
            if typeName.hasPrefix("bytes") || typeName == "address" {
                let text: String = try #require(value.stringValue)
                return try #require(Hex.decode(text))
            }
            if typeName == "string" { return Array((try #require(value.stringValue)).utf8) }
            if typeName == "bool" {
                guard case .bool(let flag) = value else { throw NotABool() }
                return [flag ? 1 : 0]
            }
            let signed = typeName.hasPrefix("int")
            let width = Int(typeName.dropFirst(signed ? 3 : 4))! / 8
            let text = try #require(value.numberValue?.text ?? value.stringValue)
            return try bigEndian(text, width: width)
        }

        struct NotABool: Error {}

        /// `int(value).to_bytes(width, "big", signed=...)` for decimal or 0x-hex text.
        static func bigEndian(_ text: String, width: Int) throws -> [UInt8] {
            var digits = Substring(text)
            let negative = digits.hasPrefix("-")
            if negative { digits = digits.dropFirst() }
            var radix = 10
            if digits.hasPrefix("0x") { digits = digits.dropFirst(2); radix = 16 }
            var bytes = [UInt8](repeating: 0, count: width)
            for character in digits {
                var carry = try #require(character.hexDigitValue.flatMap { $0 < radix ? $0 : nil }, "bad digit in \(text)")
                for index in bytes.indices.reversed() {
                    let total = Int(bytes[index]) * radix + carry
                    bytes[index] = UInt8(total & 0xFF)
                    carry = total >> 8
                }
            }
            if negative {
                bytes = bytes.map { ~$0 }
                for index in bytes.indices.reversed() {
                    let (sum, overflow) = bytes[index].addingReportingOverflow(1)
                    bytes[index] = sum
                    if !overflow { break }
                }
            }
            return bytes
        }
    }

    /// Runs the whole exchange; returns the final message and the requests in the order the device made them.
    static func sign(_ data: JSONValue, path: String, v4: Bool = true, on device: SimulatedTrezor)
        throws -> (result: TrezorWireMessage, requests: [String])
    {
        let host = try TrezorlibHost(data)
        var requests: [String] = []
        var answer = try TrezorSim.reply(device, TrezorProto.EthereumSignTypedData(
            addressN: try TrezorSim.path(path), primaryType: host.primaryType, metamaskV4Compat: v4))
        while true {
            switch answer.messageType {
            case .buttonRequest?:
                requests.append("button:" + (try answer.decode(TrezorProto.ButtonRequest.self).name ?? ""))
                answer = try TrezorSim.reply(device, TrezorProto.ButtonAck())
            case .ethereumTypedDataStructRequest?:
                let name = try answer.decode(TrezorProto.EthereumTypedDataStructRequest.self).name
                requests.append("struct:" + name)
                answer = try TrezorSim.reply(device, try host.structAck(name))
            case .ethereumTypedDataValueRequest?:
                let path = try answer.decode(TrezorProto.EthereumTypedDataValueRequest.self).memberPath
                requests.append("value:" + path.map(String.init).joined(separator: "."))
                answer = try TrezorSim.reply(device, TrezorProto.EthereumTypedDataValueAck(value: try host.value(at: path)))
            default:
                return (answer, requests)
            }
        }
    }

    static func cases() throws -> [String] {
        try TestVectors.json("trezor/ethereum/sign_typed_data.json").array("tests").map { try $0.string("name") }
    }

    @Test(arguments: try SimulatedTrezorEIP712Tests.cases())
    func fixtureSignatures(_ name: String) throws {
        let fixture = try TestVectors.json("trezor/ethereum/sign_typed_data.json")
        let test = try #require(try fixture.array("tests").first { try $0.string("name") == name })
        let parameters = try #require(test["parameters"])
        let mnemonic = try #require(fixture["setup"]).string("mnemonic")
        let device = try TrezorSim.device {
            $0.model = .safe5
            $0.mnemonic = mnemonic
        }
        let v4 = parameters["metamask_v4_compat"]?.boolValue ?? true
        let (result, _) = try Self.sign(try #require(parameters["data"]), path: try parameters.string("path"), v4: v4, on: device)
        guard v4 else {
            // Non-v4 struct-array hashing is not simulated; the device says so instead of signing something else.
            #expect(try TrezorSim.failure(result).code == .dataError)
            return
        }
        let signature = try result.decode(TrezorProto.EthereumTypedDataSignature.self)
        let expected = try #require(test["result"])
        #expect(signature.address == (try expected.string("address")))
        #expect(Hex.encodePrefixed(signature.signature) == (try expected.string("sig")))
    }

    @Test func requestsComeInTheFirmwaresOrder() throws {
        let fixture = try TestVectors.json("trezor/ethereum/sign_typed_data.json")
        let basic = try #require(try fixture.array("tests").first { try $0.string("name") == "basic_data" })
        let device = try TrezorSim.device { $0.model = .t }
        let (result, requests) = try Self.sign(try #require(basic["parameters"]?["data"]), path: "m/44'/60'/0'/0/0", on: device)
        #expect(result.messageType == .ethereumTypedDataSignature)
        // Mail(Person from, Person to, string contents): types depth first, the domain's name and version for the
        // domain screen, the domain, the message; screens between (core/src/apps/ethereum/sign_typed_data.py).
        #expect(requests == [
            "button:confirm_address",
            "struct:EIP712Domain", "struct:Mail", "struct:Person",
            "value:0.0", "value:0.1", "button:should_show_domain",
            "value:0.0", "value:0.1", "value:0.2", "value:0.3", "button:should_show_struct",
            "value:1.0.0", "value:1.0.1", "value:1.1.0", "value:1.1.1", "value:1.2",
            "button:confirm_typed_data_final",
        ])
    }

    @Test func dynamicArraysAskTheirLengthFirst() throws {
        let data: JSONValue = try JSONValue(parsing: Array("""
            {"types": {"EIP712Domain": [], "Message": [{"name": "element", "type": "Element[]"}, {"name": "n", "type": "int16[2]"}],
                       "Element": [{"name": "foo", "type": "int8"}]},
             "primaryType": "Message", "domain": {}, "message": {"element": [{"foo": -1}, {"foo": 2}], "n": [-300, 7]}}
            """.utf8))
        let device = try TrezorSim.device { $0.model = .safe3 }
        let (result, requests) = try Self.sign(data, path: "m/44'/60'/0'/0/0", on: device)
        #expect(requests.filter { $0.hasPrefix("value:") } == [
            "value:1.0", "value:1.0.0.0", "value:1.0.1.0", "value:1.1.0", "value:1.1.1",
        ])
        // The signature is over what BridgeCrypto hashes for the same document.
        let digest = try TypedData(json: data).hashes().digest
        let signature = try EthereumSignature(bytes: try result.decode(TrezorProto.EthereumTypedDataSignature.self).signature)
        #expect(try signature.recoverSigner(digest: digest).checksummed == "0x73d0385F4d8E00C5e6504C6030F47BF6212736A8")
    }

    @Test func badValuesAreRefusedAsTheFirmwareDoes() throws {
        let device = try TrezorSim.device { $0.model = .safe5 }
        _ = try TrezorSim.call(device, TrezorProto.EthereumSignTypedData(
            addressN: try TrezorSim.path("m/44'/60'/0'/0/0"), primaryType: "EIP712Domain", metamaskV4Compat: true))
        // The struct request for EIP712Domain is pending: define a bool member, then send 2 for it.
        let domain = TrezorProto.EthereumTypedDataStructAck(members: [
            TrezorProto.EthereumStructMember(type: TrezorProto.EthereumFieldType(dataType: .bool), name: "flag"),
        ])
        #expect(try TrezorSim.reply(device, domain).messageType == .ethereumTypedDataStructRequest)
        #expect(try TrezorSim.reply(device, domain).messageType == .buttonRequest)  // should_show_domain
        #expect(try TrezorSim.reply(device, TrezorProto.ButtonAck()).messageType == .ethereumTypedDataValueRequest)
        let failure = try TrezorSim.failure(try TrezorSim.reply(device, TrezorProto.EthereumTypedDataValueAck(value: [2])))
        #expect(failure.code == .dataError)
        #expect(failure.message == "Invalid boolean value")

        // A uint without a size is an invalid field type.
        _ = try TrezorSim.call(device, TrezorProto.EthereumSignTypedData(
            addressN: try TrezorSim.path("m/44'/60'/0'/0/0"), primaryType: "EIP712Domain"))
        let sizeless = TrezorProto.EthereumTypedDataStructAck(members: [
            TrezorProto.EthereumStructMember(type: TrezorProto.EthereumFieldType(dataType: .uint), name: "chainId"),
        ])
        #expect(try TrezorSim.failure(try TrezorSim.reply(device, sizeless)).message == "Invalid size in int/uint")
    }
}
