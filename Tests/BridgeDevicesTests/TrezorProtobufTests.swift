import BridgeCore
import BridgeDevices
import Testing

@Suite("Trezor protobuf codec")
struct TrezorProtobufTests {
    static let varintCases: [(UInt64, [UInt8])] = [
        (0, [0x00]),
        (127, [0x7F]),
        (128, [0x80, 0x01]),
        (300, [0xAC, 0x02]),
        (0xFFFF_FFFF, [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]),
        (UInt64.max, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]),
    ]

    @Test(arguments: varintCases)
    func varints(value: UInt64, encoded: [UInt8]) throws {
        var writer = ProtobufWriter()
        writer.writeVarint(value)
        #expect(writer.bytes == encoded)
        var reader = ProtobufReader(encoded)
        #expect(try reader.readVarint() == value)
        #expect(reader.isAtEnd)
    }

    @Test func varintOverflowAndTruncationAreProtocolErrors() {
        var long = ProtobufReader([UInt8](repeating: 0xFF, count: 10) + [0x01])
        #expect(throws: DeviceError.self) { try long.readVarint() }
        var tenthTooBig = ProtobufReader([UInt8](repeating: 0xFF, count: 9) + [0x02])
        #expect(throws: DeviceError.self) { try tenthTooBig.readVarint() }
        var cut = ProtobufReader([0x80, 0x80])
        #expect(throws: DeviceError.self) { try cut.readVarint() }
    }

    @Test func unknownFieldsOfEveryWireTypeAreSkipped() throws {
        var writer = ProtobufWriter()
        writer.uint64(UInt64.max, field: 9)                      // varint
        writer.fixed64(0x0102_0304_0506_0708, field: 10)         // fixed64
        writer.lengthDelimited([1, 2, 3], field: 11)             // length-delimited
        writer.writeTag(12, .startGroup)                         // group with a nested field and a nested group
        writer.uint32(5, field: 1)
        writer.writeTag(13, .startGroup)
        writer.writeTag(13, .endGroup)
        writer.writeTag(12, .endGroup)
        writer.fixed32(0xDEAD_BEEF, field: 14)                   // fixed32
        writer.string("0x73d0385F4d8E00C5e6504C6030F47BF6212736A8", field: 2)
        writer.uint64(1, field: 536_870_911)                     // the largest field number
        let decoded = try TrezorProto.EthereumAddress(protobuf: writer.bytes)
        #expect(decoded == TrezorProto.EthereumAddress(address: "0x73d0385F4d8E00C5e6504C6030F47BF6212736A8"))

        var reader = ProtobufReader(writer.bytes)
        var kinds: [ProtobufWireType] = []
        while let field = try reader.next() { kinds.append(field.wireType) }
        #expect(kinds == [.varint, .fixed64, .lengthDelimited, .startGroup, .fixed32, .lengthDelimited, .varint])
    }

    @Test func fixedWidthValuesReadBackLittleEndian() throws {
        var writer = ProtobufWriter()
        writer.fixed32(0xDEAD_BEEF, field: 1)
        writer.fixed64(0x0102_0304_0506_0708, field: 2)
        #expect(writer.bytes == [0x0D, 0xEF, 0xBE, 0xAD, 0xDE, 0x11, 8, 7, 6, 5, 4, 3, 2, 1])
        var reader = ProtobufReader(writer.bytes)
        #expect(try reader.next()?.fixed32() == 0xDEAD_BEEF)
        #expect(try reader.next()?.fixed64() == 0x0102_0304_0506_0708)
    }

    @Test func packedAndUnpackedRepeatedBothDecode() throws {
        let path: [UInt32] = [0x8000_002C, 0x8000_003C, 0x8000_0000, 0, 0]
        let unpacked = TrezorProto.EthereumGetAddress(addressN: path, showDisplay: false).protobuf()
        #expect(Hex.encode(unpacked) == "08ac8080800808bc80808008088080808008080008001000")

        var packedRun = ProtobufWriter()
        for element in path { packedRun.writeVarint(UInt64(element)) }
        var packed = ProtobufWriter()
        packed.lengthDelimited(packedRun.bytes, field: 1)
        packed.bool(false, field: 2)
        let fromPacked = try TrezorProto.EthereumGetAddress(protobuf: packed.bytes)
        #expect(fromPacked.addressN == path)
        #expect(try TrezorProto.EthereumGetAddress(protobuf: unpacked).addressN == path)

        // Mixed: a packed run followed by single elements appends, as proto2 requires.
        var mixed = ProtobufWriter()
        mixed.lengthDelimited(packedRun.bytes, field: 1)
        mixed.uint32(7, field: 1)
        #expect(try TrezorProto.EthereumGetAddress(protobuf: mixed.bytes).addressN == path + [7])

        // A packed repeated enum (Features.capabilities) decodes too.
        var capabilities = ProtobufWriter()
        capabilities.uint32(1, field: 2); capabilities.uint32(14, field: 3); capabilities.uint32(2, field: 4)
        capabilities.lengthDelimited([1, 7, 17], field: 30)
        #expect(try TrezorProto.Features(protobuf: capabilities.bytes).capabilities == [.bitcoin, .ethereum, .passphraseEntry])
    }

    @Test func truncatedInputIsAProtocolErrorNotACrash() throws {
        let full = TrezorProto.EthereumMessageSignature(signature: [UInt8](repeating: 0xAB, count: 65),
                                                        address: "0x73d0385F4d8E00C5e6504C6030F47BF6212736A8").protobuf()
        for cut in 1..<full.count {
            let prefix = Array(full.prefix(cut))
            do {
                _ = try TrezorProto.EthereumMessageSignature(protobuf: prefix)
                Issue.record("a payload cut at \(cut) of \(full.count) bytes decoded")
            } catch {
                #expect(error.code == .protocolError)
            }
        }
        #expect(throws: DeviceError.self) { try TrezorProto.Features(protobuf: [0x0A, 0x05, 0x41]) }
        #expect(throws: DeviceError.self) { try TrezorProto.Success(protobuf: [0x0A, 0x02, 0xC3, 0x28]) }  // not UTF-8
        #expect(throws: DeviceError.self) { try TrezorProto.Success(protobuf: [0x08, 0x01]) }              // wire type mismatch
        #expect(throws: DeviceError.self) { try TrezorProto.Success(protobuf: [0x0B, 0x10, 0x01]) }        // unclosed group
        #expect(throws: DeviceError.self) { try TrezorProto.Success(protobuf: [0x0F]) }                    // wire type 7
        #expect(throws: DeviceError.self) { try TrezorProto.Success(protobuf: [0x00]) }                    // field 0
    }

    @Test func missingRequiredFieldIsAProtocolError() {
        #expect(throws: DeviceError.protocolError("PublicKey arrived without its required field node")) {
            try TrezorProto.PublicKey(protobuf: [0x12, 0x01, 0x78])
        }
        #expect(throws: DeviceError.self) { try TrezorProto.Features(protobuf: [0x10, 0x01]) }  // no minor/patch
    }

    @Test func unknownEnumValuesAreKeptLosslessly() throws {
        var writer = ProtobufWriter()
        writer.uint32(42, field: 1)                      // FailureType 42 does not exist
        writer.string("odd", field: 2)
        let failure = try TrezorProto.Failure(protobuf: writer.bytes)
        #expect(failure.code == nil)
        #expect(failure.message == "odd")
        #expect(failure.unrecognizedFields == [0x08, 42])
        #expect(try TrezorProto.Failure(protobuf: failure.protobuf()) == failure)

        var features = ProtobufWriter()
        features.uint32(2, field: 2); features.uint32(8, field: 3); features.uint32(0, field: 4)
        features.lengthDelimited([7, 200, 1, 17], field: 30)  // 200: a capability this code does not know
        let decoded = try TrezorProto.Features(protobuf: features.bytes)
        #expect(decoded.capabilities == [.ethereum, .passphraseEntry])
        #expect(decoded.unrecognizedFields == [0xF0, 0x01, 0xC8, 0x01])
        #expect(try TrezorProto.Features(protobuf: decoded.protobuf()) == decoded)
    }

    @Test func nestedEIP712TypesRoundTrip() throws {
        let member = TrezorProto.EthereumStructMember(
            type: TrezorProto.EthereumFieldType(dataType: .array, entryType: TrezorProto.EthereumFieldType(
                dataType: .array, size: 2, entryType: TrezorProto.EthereumFieldType(dataType: .struct, size: 2, structName: "Person"))),
            name: "grid")
        let ack = TrezorProto.EthereumTypedDataStructAck(members: [member, .init(type: .init(dataType: .uint, size: 32), name: "n")])
        let decoded = try TrezorProto.EthereumTypedDataStructAck(protobuf: ack.protobuf())
        #expect(decoded == ack)
        #expect(decoded.members[0].type.entryType?.entryType?.structName == "Person")
        // uint256: data_type 1, size 32, in field order.
        #expect(Hex.encode(TrezorProto.EthereumFieldType(dataType: .uint, size: 32).protobuf()) == "08011020")
    }

    @Test func negativeEnumValuesUseTenByteVarints() throws {
        enum Signed: Int { case minusOne = -1 }
        var writer = ProtobufWriter()
        writer.enumeration(Signed.minusOne, field: 1)
        #expect(writer.bytes == [0x08] + [UInt8](repeating: 0xFF, count: 9) + [0x01])
        var reader = ProtobufReader(writer.bytes)
        #expect(try reader.next()?.enumRawValue() == -1)
    }
}
