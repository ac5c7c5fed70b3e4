import BridgeCore
import BridgeCrypto
import BridgeDevices
import BridgeSimulator
import Testing
import TestVectors

@Suite("Full-mode EIP-712 APDUs for the Ledger Ethereum app")
struct LedgerTypedDataAPDUTests {
    static let path = DerivationPath(indexes: [0x8000_002C, 0x8000_003C, 0x8000_0000, 0, 0])

    /// Drives the flow by hand, answering 9000 to every APDU, and returns them all (the last one is the sign APDU).
    static func commands(_ operation: LedgerEthereumSignTypedDataFull) throws -> [APDUCommand] {
        var operation = operation
        var commands = [try operation.start()]
        while commands[commands.count - 1].ins != 0x0C {
            guard case .send(let next) = try operation.handle(APDUResponse(statusWord: 0x9000)) else {
                Issue.record("the flow finished before its sign APDU")
                return commands
            }
            commands.append(next)
        }
        return commands
    }

    static func commands(_ json: String, structOrder: [String]? = nil) throws -> [APDUCommand] {
        try commands(LedgerEthereumSignTypedDataFull(path: path, typedData: try TypedData(jsonText: json), structOrder: structOrder))
    }

    /// `P1P2:data` of every APDU with instruction `ins`, in order.
    static func bodies(_ commands: [APDUCommand], ins: UInt8) -> [String] {
        commands.filter { $0.ins == ins }.map { Hex.encode([$0.p1, $0.p2]) + ":" + Hex.encode($0.data) }
    }

    static let everyType = """
        {"types": {
           "EIP712Domain": [{"name": "name", "type": "string"}],
           "Values": [
             {"name": "a", "type": "int8"}, {"name": "b", "type": "int256"}, {"name": "c", "type": "uint64"},
             {"name": "d", "type": "bytes32"}, {"name": "e", "type": "bytes"}, {"name": "f", "type": "bool"},
             {"name": "g", "type": "string"}, {"name": "h", "type": "address"}, {"name": "i", "type": "Inner"},
             {"name": "j", "type": "uint8[2][]"}, {"name": "k", "type": "Inner[]"}, {"name": "l", "type": "Inner[2]"},
             {"name": "m", "type": "uint64"}, {"name": "n", "type": "bool"}],
           "Inner": [{"name": "x", "type": "int16"}]},
         "primaryType": "Values",
         "domain": {"name": "T"},
         "message": {
           "a": -1, "b": "-1", "c": "18446744073709551615",
           "d": "0x0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20", "e": "0x", "f": true,
           "g": "h\\u00e9llo", "h": "0xcd2a3d9f938e13cd947ec05abc7fe734df8dd826", "i": {"x": -256},
           "j": [[1, 2], [3, 4], [5, 6]], "k": [{"x": 128}, {"x": 0}], "l": [{"x": "0x7fff"}, {"x": -32768}],
           "m": 9007199254740993, "n": false}}
        """

    /// TypeDesc | [name] | [size] | [levels] | key, per app-ethereum doc/ethapp.adoc.
    @Test func structDefinitionsForEveryKindOfType() throws {
        let definitions = Self.bodies(try Self.commands(Self.everyType, structOrder: ["EIP712Domain", "Values", "Inner"]),
                                      ins: 0x1A)
        #expect(definitions == [
            "0000:" + Hex.encode(Array("EIP712Domain".utf8)),
            "00ff:0504" + Hex.encode(Array("name".utf8)),
            "0000:" + Hex.encode(Array("Values".utf8)),
            "00ff:41010161",  // int8: int with size 1
            "00ff:41200162",  // int256
            "00ff:42080163",  // uint64
            "00ff:46200164",  // bytes32: fixed bytes with size 32
            "00ff:070165",  // bytes
            "00ff:040166",  // bool
            "00ff:050167",  // string
            "00ff:030168",  // address
            "00ff:0005" + Hex.encode(Array("Inner".utf8)) + "0169",  // custom struct by name
            "00ff:c20102010200016a",  // uint8[2][]: array + size, 2 levels as written: fixed 2, dynamic
            "00ff:8005" + Hex.encode(Array("Inner".utf8)) + "0100016b",  // Inner[]
            "00ff:8005" + Hex.encode(Array("Inner".utf8)) + "010102016c",  // Inner[2]
            "00ff:4208016d",
            "00ff:04016e",
            "0000:" + Hex.encode(Array("Inner".utf8)),
            "00ff:41020178",
        ])
    }

    /// Raw values: minimal big-endian integers, negative ones over the type's width, 20-byte addresses, 1-byte bools,
    /// raw bytes and UTF-8 strings; arrays announced by P2 0F and their size, outermost first.
    @Test func structImplementationForEveryKindOfValue() throws {
        let values = Self.bodies(try Self.commands(Self.everyType), ins: 0x1C)
        #expect(values == [
            "0000:" + Hex.encode(Array("EIP712Domain".utf8)),
            "00ff:000154",
            "0000:" + Hex.encode(Array("Values".utf8)),
            "00ff:0001ff",  // int8 -1
            "00ff:0020" + String(repeating: "ff", count: 32),  // int256 -1
            "00ff:0008ffffffffffffffff",  // uint64 max, from a decimal string
            "00ff:00200102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20",
            "00ff:0000",  // empty bytes
            "00ff:000101",  // true
            "00ff:000668c3a96c6c6f",  // "héllo" as UTF-8
            "00ff:0014cd2a3d9f938e13cd947ec05abc7fe734df8dd826",
            "00ff:0002ff00",  // Inner.x = -256 (int16)
            "000f:03", "000f:02", "00ff:000101", "00ff:000102", "000f:02", "00ff:000103", "00ff:000104",
            "000f:02", "00ff:000105", "00ff:000106",
            "000f:02", "00ff:000180", "00ff:000100",  // 128 fits one byte; 0 is one zero byte
            "000f:02", "00ff:00027fff", "00ff:00028000",  // 0x7fff, -32768
            "00ff:000720000000000001",  // 2^53 + 1 as a JSON number, exact
            "00ff:000100",  // false
        ])
    }

    @Test func signAPDUCarriesOnlyThePath() throws {
        let commands = try Self.commands(Self.everyType)
        #expect(Hex.encode(try #require(commands.last).bytes) == "e00c000115058000002c8000003c800000000000000000000000")
    }

    /// A value too long for one APDU goes out in 255-byte pieces, P1 01 until the last one (P1 00).
    @Test func longValueIsSplit() throws {
        let payload = Hex.encode((0..<600).map { UInt8(truncatingIfNeeded: $0) })
        let json = """
            {"types": {"EIP712Domain": [], "Blob": [{"name": "data", "type": "bytes"}]},
             "primaryType": "Blob", "domain": {}, "message": {"data": "0x\(payload)"}}
            """
        let fields = try Self.commands(json).filter { $0.ins == 0x1C && $0.p2 == 0xFF }
        #expect(fields.map(\.p1) == [0x01, 0x01, 0x00])
        #expect(fields.map(\.data.count) == [255, 255, 92])
        #expect(fields.flatMap(\.data) == [0x02, 0x58] + (0..<600).map { UInt8(truncatingIfNeeded: $0) })
    }

    static let mailFirst = """
        {"types": {
           "Mail": [{"name": "from", "type": "Person"}, {"name": "contents", "type": "string"}],
           "Person": [{"name": "name", "type": "string"}],
           "EIP712Domain": [{"name": "name", "type": "string"}]},
         "primaryType": "Mail", "domain": {"name": "T"},
         "message": {"from": {"name": "Cow"}, "contents": "Hi"}}
        """

    @Test func defaultOrderPutsTheDomainFirstAndReferencedStructsBeforeTheirUsers() throws {
        let names = try Self.commands(Self.mailFirst).filter { $0.ins == 0x1A && $0.p2 == 0x00 }
            .map { String(decoding: $0.data, as: UTF8.self) }
        #expect(names == ["EIP712Domain", "Person", "Mail"])
    }

    @Test func givenOrderIsKept() throws {
        let names = try Self.commands(Self.mailFirst, structOrder: ["Mail", "Person", "EIP712Domain"])
            .filter { $0.ins == 0x1A && $0.p2 == 0x00 }.map { String(decoding: $0.data, as: UTF8.self) }
        #expect(names == ["Mail", "Person", "EIP712Domain"])
    }

    @Test(arguments: [["Mail", "Person"], ["Mail", "Person", "EIP712Domain", "Mail"], ["Mail", "Person", "Other"]])
    func orderMustNameEveryStructOnce(order: [String]) throws {
        var operation = LedgerEthereumSignTypedDataFull(path: Self.path, typedData: try TypedData(jsonText: Self.mailFirst),
                                                        structOrder: order)
        let error = #expect(throws: DeviceError.self) { _ = try operation.start() }
        #expect(error?.code == .badArgument, "\(String(describing: error))")
    }

    @Test func mutuallyReferringStructsAreOrderedOnce() throws {
        let json = """
            {"types": {"EIP712Domain": [], "A": [{"name": "bs", "type": "B[]"}], "B": [{"name": "as", "type": "A[]"}]},
             "primaryType": "A", "domain": {}, "message": {"bs": []}}
            """
        let names = try Self.commands(json).filter { $0.ins == 0x1A && $0.p2 == 0x00 }
            .map { String(decoding: $0.data, as: UTF8.self) }
        #expect(names == ["EIP712Domain", "B", "A"])
    }

    /// The recorded full flows need no document order: the default one reproduces them byte for byte.
    @Test(arguments: ["eth_sign_eip712_full_mail_approved", "eth_sign_eip712_full_batch_array_of_structs_bytes_approved"])
    func recordedFlowsWithTheDefaultOrder(name: String) throws {
        let entry = try LedgerReplay.entry("ledger/recorded_eth_app_1_22_0.json", name)
        let input = try #require(entry["input"])
        let typedData = try TypedData(json: try #require(input["typed_data"]))
        let channel = try LedgerReplay.channel(name, entry)
        let operation = LedgerEthereumSignTypedDataFull(path: try DerivationPath(parsing: try input.string("path")),
                                                        typedData: typedData)
        let signature = try LedgerReplay.run(operation, on: channel)
        #expect(signature.bytes == (try #require(entry["expected"]).hex("signature_rsv_hex")))
        #expect(channel.isFinished)
    }

    @Test func invalidDataOnTheFirstFieldNamesTheRawMessagesSetting() throws {
        var operation = LedgerEthereumSignTypedDataFull(path: Self.path, typedData: try TypedData(jsonText: Self.mailFirst))
        _ = try operation.start()
        // 3 structs with 1 + 2 + 1 fields, then the domain root: 8 APDUs answered 9000; the domain's name answers 6A80.
        for _ in 0..<8 {
            guard case .send = try operation.handle(APDUResponse(statusWord: 0x9000)) else {
                Issue.record("the flow ended early")
                return
            }
        }
        LedgerReplay.expectSettingsRefuse(naming: "Raw messages") { _ = try operation.handle(APDUResponse(statusWord: 0x6A80)) }
    }

    @Test func rejectionAndMalformedReplies() throws {
        let typedData = try TypedData(jsonText: Self.mailFirst)
        let count = try Self.commands(LedgerEthereumSignTypedDataFull(path: Self.path, typedData: typedData)).count

        func operationAtTheSignAPDU() throws -> LedgerEthereumSignTypedDataFull {
            var operation = LedgerEthereumSignTypedDataFull(path: Self.path, typedData: typedData)
            _ = try operation.start()
            for _ in 1..<count { _ = try operation.handle(APDUResponse(statusWord: 0x9000)) }
            return operation
        }

        var rejected = try operationAtTheSignAPDU()
        #expect(throws: DeviceError.rejectedOnDevice) { try rejected.handle(APDUResponse(statusWord: 0x6985)) }

        var truncated = try operationAtTheSignAPDU()
        LedgerReplay.expectProtocolError("is 32 bytes; expected 65") {
            _ = try truncated.handle(APDUResponse(data: [UInt8](repeating: 1, count: 32), statusWord: 0x9000))
        }

        var chatty = LedgerEthereumSignTypedDataFull(path: Self.path, typedData: typedData)
        _ = try chatty.start()
        LedgerReplay.expectProtocolError("APDU 1 of \(count) (e01a0000)") {
            _ = try chatty.handle(APDUResponse(data: [0x00], statusWord: 0x9000))
        }

        var finished = try operationAtTheSignAPDU()
        let signature = try #require(Hex.decode(
            "1cc3bd8d724e3b161667f5d0fd367e104bb2358959163dca6ff8f26fab64e1acaa5f69c0357ac1c748d397675a640107415483725faff5bc121e04bafae1439ea9"))
        guard case .finished(let decoded) = try finished.handle(APDUResponse(data: signature, statusWord: 0x9000)) else {
            Issue.record("expected the signature")
            return
        }
        #expect(decoded.v == 28)
    }

    @Test(arguments: [
        // uint8 out of range: refused before anything is sent, as hashing would refuse it.
        """
        {"types": {"EIP712Domain": [], "V": [{"name": "x", "type": "uint8"}]}, "primaryType": "V", "domain": {},
         "message": {"x": 256}}
        """,
        // more than 255 array elements
        """
        {"types": {"EIP712Domain": [], "V": [{"name": "x", "type": "bool[]"}]}, "primaryType": "V", "domain": {},
         "message": {"x": [\(Array(repeating: "true", count: 256).joined(separator: ","))]}}
        """,
    ])
    func valuesTheAppCannotTakeAreBadArguments(json: String) throws {
        var operation = LedgerEthereumSignTypedDataFull(path: Self.path, typedData: try TypedData(jsonText: json))
        let error = #expect(throws: DeviceError.self) { _ = try operation.start() }
        #expect(error?.code == .badArgument, "\(String(describing: error))")
    }

    @Test(arguments: [
        // A null struct hashes to zeros, but has no APDU form.
        """
        {"types": {"EIP712Domain": [], "V": [{"name": "p", "type": "P"}], "P": [{"name": "x", "type": "bool"}]},
         "primaryType": "V", "domain": {}, "message": {"p": null}}
        """,
        // A domain-only document has no message to send.
        """
        {"types": {"EIP712Domain": [{"name": "name", "type": "string"}]}, "primaryType": "EIP712Domain",
         "domain": {"name": "T"}}
        """,
    ])
    func documentsWithoutAFullModeFormAreNotSupported(json: String) throws {
        var operation = LedgerEthereumSignTypedDataFull(path: Self.path, typedData: try TypedData(jsonText: json))
        let error = #expect(throws: DeviceError.self) { _ = try operation.start() }
        #expect(error?.code == .notSupported, "\(String(describing: error))")
    }
}
