import BridgeCore
import BridgeDevices
import Testing

@Suite("Trezor v1 framing")
struct TrezorFramingTests {
    let path: [UInt32] = [0x8000_002C, 0x8000_003C, 0x8000_0000, 0, 0]

    @Test func ethereumGetAddressWorkedExample() throws {
        // ../shared/reference/trezor.md section 2, the worked example.
        let message = TrezorProto.EthereumGetAddress(addressN: path)
        let packets = TrezorV1Framing.packets(for: TrezorWireMessage(message))
        let hex = "3f2323003800000016" + "08ac80808008" + "08bc80808008" + "088080808008" + "0800" + "0800"
        let expected = try #require(Hex.decode(hex))
        #expect(packets.count == 1)
        #expect(packets[0] == expected + [UInt8](repeating: 0, count: 64 - expected.count))
    }

    @Test func initializeIsOneHeaderOnlyPacket() throws {
        let packets = TrezorV1Framing.packets(for: TrezorWireMessage(TrezorProto.Initialize()))
        #expect(packets == [[0x3F, 0x23, 0x23, 0, 0, 0, 0, 0, 0] + [UInt8](repeating: 0, count: 55)])
    }

    @Test func emptyMessageIsStillOnePacket() throws {
        let packets = TrezorV1Framing.packets(for: TrezorWireMessage(type: 20, payload: []))
        #expect(packets.count == 1)
        #expect(Array(packets[0].prefix(9)) == [0x3F, 0x23, 0x23, 0x00, 0x14, 0, 0, 0, 0])
        var reassembler = TrezorV1Reassembler()
        #expect(try reassembler.append(packets[0]) == TrezorWireMessage(type: 20, payload: []))
    }

    @Test func multiPacketRoundTrip() throws {
        // 200 bytes: 55 in the first packet, then 63 + 63 + 19.
        let payload = (0..<200).map { UInt8($0) }
        let message = TrezorWireMessage(type: 0x01C8, payload: payload)
        let packets = TrezorV1Framing.packets(for: message)
        #expect(packets.count == 4)
        #expect(packets.allSatisfy { $0.count == 64 && $0[0] == 0x3F })
        #expect(Array(packets[0][3..<9]) == [0x01, 0xC8, 0, 0, 0, 200])
        #expect(packets[1][1] == 55 && packets[3][19] == 199 && packets[3][20] == 0)
        var reassembler = TrezorV1Reassembler()
        var result: TrezorWireMessage?
        for (index, packet) in packets.enumerated() {
            result = try reassembler.append(packet)
            #expect((result == nil) == (index < 3))
        }
        #expect(result == message)
        #expect(!reassembler.isInProgress)
    }

    @Test func stalePaddingIsIgnored() throws {
        let payload = (0..<60).map { UInt8($0 + 1) }
        var packets = TrezorV1Framing.packets(for: TrezorWireMessage(type: 17, payload: payload))
        #expect(packets.count == 2)
        // Core firmware reuses its report buffer: the tail after the 5 remaining bytes holds old data.
        for index in 6..<64 { packets[1][index] = 0xEE }
        var reassembler = TrezorV1Reassembler()
        #expect(try reassembler.append(packets[0]) == nil)
        #expect(try reassembler.append(packets[1]) == TrezorWireMessage(type: 17, payload: payload))
    }

    @Test func junkBeforeHeaderIsSkipped() throws {
        var reassembler = TrezorV1Reassembler()
        let junk: [[UInt8]] = [
            [UInt8](repeating: 0, count: 64),
            [0x3F] + [UInt8](repeating: 0x41, count: 63),  // a stray continuation
            [0x3F, 0x23, 0x41] + [UInt8](repeating: 0, count: 61),
        ]
        for packet in junk { #expect(try reassembler.append(packet) == nil) }
        #expect(!reassembler.isInProgress)
        let message = TrezorWireMessage(TrezorProto.Success(message: "ok"))
        #expect(try reassembler.append(TrezorV1Framing.packets(for: message)[0]) == message)
    }

    @Test func badContinuationMagicIsAProtocolError() throws {
        let packets = TrezorV1Framing.packets(for: TrezorWireMessage(type: 17, payload: [UInt8](repeating: 7, count: 100)))
        var reassembler = TrezorV1Reassembler()
        #expect(try reassembler.append(packets[0]) == nil)
        var bad = packets[1]
        bad[0] = 0x00
        do {
            _ = try reassembler.append(bad)
            Issue.record("a continuation without '?' was accepted")
        } catch {
            #expect(error.code.rawValue == -11)
            #expect(error.message.contains("continuation"))
        }
        // The partial message is dropped: the next header starts fresh.
        #expect(!reassembler.isInProgress)
    }

    @Test func absurdLengthIsAProtocolError() {
        var reassembler = TrezorV1Reassembler()
        let header: [UInt8] = [0x3F, 0x23, 0x23, 0, 17, 0x7F, 0xFF, 0xFF, 0xFF] + [UInt8](repeating: 0, count: 55)
        #expect(throws: DeviceError.self) { try reassembler.append(header) }
    }
}
