import BridgeCore
import BridgeDevices
import TestVectors
import Testing

@Suite("Ledger HID framing")
struct LedgerHIDFramingTests {
    @Test func everyFramingVector() throws {
        let vectors = try TestVectors.json("ledger/hid_framing_vectors.json")
        let cases = try #require(vectors.arrayValue)
        #expect(cases.count == 5)
        for vector in cases {
            let name = try vector.string("name")
            let channel = UInt16(try vector.string("channel"), radix: 16)!
            let framing = LedgerHIDFraming(channel: channel)
            let frames = try vector.array("frames_hex").map { try #require(Hex.decode($0.stringValue ?? "")) }
            // Host-to-device frames come from the APDU; device-to-host frames from the response.
            let payload = try vector["apdu_hex"] != nil ? vector.hex("apdu_hex") : vector.hex("apdu_response_hex")
            #expect(framing.frames(for: payload) == frames, "\(name)")
            var reassembler = LedgerHIDReassembler(channel: channel)
            var result: [UInt8]?
            for frame in frames { result = try reassembler.consume(frame) }
            #expect(result == payload, "\(name)")

            if let responseFrames = vector["response_frames_hex"]?.arrayValue {
                let response = try vector.hex("apdu_response_hex")
                let expected = try responseFrames.map { try #require(Hex.decode($0.stringValue ?? "")) }
                #expect(framing.frames(for: response) == expected, "\(name) response")
            }
        }
    }

    let framing = LedgerHIDFraming()
    /// A 100-byte payload: two frames (57 + 43 bytes).
    let payload = (0..<100).map { UInt8($0) }

    func expectFailure(_ frames: [[UInt8]], mentions text: String, channel: UInt16? = 0x0101) {
        var reassembler = LedgerHIDReassembler(channel: channel)
        #expect {
            for frame in frames { _ = try reassembler.consume(frame) }
        } throws: { error in
            guard case .protocolError(let why) = error as? DeviceError else { return false }
            return why.contains(text)
        }
    }

    @Test func wrongChannelIsRejected() {
        var frames = framing.frames(for: payload)
        frames[1][1] = 0x02
        expectFailure(frames, mentions: "channel 0x0102, expected 0x0101")
        expectFailure([LedgerHIDFraming(channel: 0xBEEF).frames(for: payload)[0]], mentions: "channel 0xbeef")
    }

    @Test func wrongTagIsRejected() {
        var frames = framing.frames(for: payload)
        frames[0][2] = 0x02
        expectFailure(frames, mentions: "tag 0x02, expected 0x05")
    }

    @Test func wrongSequenceIsRejected() {
        var frames = framing.frames(for: payload)
        frames[1][4] = 0x02
        expectFailure(frames, mentions: "sequence 2, expected 1")
        expectFailure([frames[1]], mentions: "sequence 2, expected 0")
        expectFailure([framing.frames(for: payload)[0], framing.frames(for: payload)[0]], mentions: "sequence 0, expected 1")
    }

    @Test func truncatedFramesAreRejected() {
        expectFailure([[0x01, 0x01, 0x05]], mentions: "shorter than its 5-byte header")
        expectFailure([[0x01, 0x01, 0x05, 0x00, 0x00]], mentions: "no length field")
    }

    @Test func paddingIsDroppedAndStaleBytesIgnored() throws {
        // A one-frame response whose padding holds stale bytes from an earlier frame: the length field wins.
        var frame = framing.frames(for: [0x90, 0x00])[0]
        for index in 9..<64 { frame[index] = 0xEE }
        var reassembler = LedgerHIDReassembler(channel: 0x0101)
        #expect(try reassembler.consume(frame) == [0x90, 0x00])
    }

    @Test func reassemblerStartsOverAfterAPayload() throws {
        var reassembler = LedgerHIDReassembler(channel: nil)
        for _ in 0..<3 {
            var result: [UInt8]?
            for frame in framing.frames(for: payload) { result = try reassembler.consume(frame) }
            #expect(result == payload)
            #expect(!reassembler.isInProgress)
        }
        #expect(reassembler.channel == 0x0101)
    }

    @Test func emptyAndMaximalPayloads() throws {
        #expect(framing.frames(for: []) == [[0x01, 0x01, 0x05, 0x00, 0x00, 0x00, 0x00] + [UInt8](repeating: 0, count: 57)])
        let big = [UInt8](repeating: 0xAB, count: 260)
        let frames = framing.frames(for: big)
        #expect(frames.count == 5)  // 57 + 4 x 59 >= 262 - 2
        #expect(frames.allSatisfy { $0.count == 64 })
        var reassembler = LedgerHIDReassembler(channel: 0x0101)
        var result: [UInt8]?
        for frame in frames { result = try reassembler.consume(frame) }
        #expect(result == big)
    }

    @Test func pingFrame() {
        let ping = framing.pingFrame()
        #expect(ping.count == 64)
        #expect(Array(ping.prefix(5)) == [0x01, 0x01, 0x02, 0x00, 0x00])
    }
}

@Suite("APDU encoding")
struct APDUTests {
    @Test func commandsAlwaysCarryLc() throws {
        #expect(try APDUCommand(cla: 0xE0, ins: 0x06).bytes == [0xE0, 0x06, 0x00, 0x00, 0x00])
        let command = try APDUCommand(cla: 0xE0, ins: 0x02, p1: 1, p2: 0, data: [1, 2, 3])
        #expect(command.bytes == [0xE0, 0x02, 0x01, 0x00, 0x03, 1, 2, 3])
        #expect(try APDUCommand(parsing: command.bytes) == command)
        #expect(try APDUCommand(parsing: [0xB0, 0x01, 0x00, 0x00]) == APDUCommand(cla: 0xB0, ins: 0x01))
    }

    @Test func malformedCommandsAreRejected() {
        #expect(throws: DeviceError.self) { try APDUCommand(cla: 0xE0, ins: 0x08, data: [UInt8](repeating: 0, count: 256)) }
        #expect(throws: DeviceError.self) { try APDUCommand(parsing: [0xE0, 0x02, 0x00]) }
        #expect(throws: DeviceError.self) { try APDUCommand(parsing: [0xE0, 0x02, 0x00, 0x00, 0x02, 0x01]) }
    }

    @Test func responsesSplitDataAndStatusWord() throws {
        let response = try APDUResponse(parsing: [0x01, 0x02, 0x69, 0x85])
        #expect(response.data == [0x01, 0x02])
        #expect(response.statusWord == 0x6985)
        #expect(!response.isOK)
        #expect(response.bytes == [0x01, 0x02, 0x69, 0x85])
        #expect(throws: DeviceError.self) { try APDUResponse(parsing: [0x90]) }
    }

    @Test func speculosFraming() throws {
        let command = try APDUCommand(cla: 0xE0, ins: 0xC4)
        #expect(SpeculosAPDUChannel.encodeRequest(command) == [0, 0, 0, 5, 0xE0, 0xC4, 0, 0, 0])
        // ../shared/reference/ledger.md section 6: e0c4000000 -> 00000008 1b30010308010003 9000
        let reply = APDUResponse(data: Hex.decode("1b30010308010003")!, statusWord: 0x9000)
        #expect(Hex.encode(SpeculosAPDUChannel.encodeReply(reply)) == "000000081b300103080100039000")
    }
}
