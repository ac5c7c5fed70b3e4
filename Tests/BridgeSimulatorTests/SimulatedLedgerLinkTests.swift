import BridgeCore
import BridgeDevices
import BridgeSimulator
import TestVectors
import Testing

/// The simulated Ledger over real 64-byte HID frames, through the host's own ``LedgerHIDChannel``.
@Suite("Simulated Ledger over HID frames")
struct SimulatedLedgerLinkTests {
    let deadline = ContinuousClock.now + .seconds(10)

    func exchange(_ channel: LedgerHIDChannel, _ hex: String) throws -> String {
        Hex.encode(try channel.exchange(try SimulatorTest.command(hex), deadline: deadline, isCancelled: { false }).bytes)
    }

    @Test func recordedExchangesThroughFrames() throws {
        let entries = try #require(try TestVectors.json("ledger/recorded_eth_app_1_22_0.json").arrayValue)
        // The 400-byte personal message: three 150-byte APDUs of 3 frames each, and a 3-frame signature.
        let entry = try #require(entries.first { $0["name"]?.stringValue == "eth_personal_sign_400_bytes_approved" })
        let link = SimulatedLedgerLink(device: try SimulatorTest.device(.init(rawMessages: false)))
        #expect(link.endpoint == "sim:ledger")
        let channel = LedgerHIDChannel(link: link, channel: 0x2A17)
        for exchange in try entry.array("exchanges") {
            #expect(try self.exchange(channel, try exchange.string("command_hex")) == (try exchange.string("response_hex")))
        }
    }

    @Test func replyEchoesTheRequestChannel() throws {
        let link = SimulatedLedgerLink(device: try SimulatorTest.device())
        for frame in LedgerHIDFraming(channel: 0xBEEF).frames(for: [0xB0, 0x01, 0x00, 0x00, 0x00]) { try link.send(frame) }
        let reply = try #require(try link.receive(timeout: .seconds(5)))
        #expect(reply.count == 64)
        #expect(Array(reply.prefix(7)) == [0xBE, 0xEF, 0x05, 0x00, 0x00, 0x00, 0x15])
        var reassembler = LedgerHIDReassembler(channel: 0xBEEF)
        #expect(try reassembler.consume(reply).map(Hex.encode) == "0108457468657265756d06312e32322e3001009000")
    }

    @Test func pingIsEchoed() throws {
        let link = SimulatedLedgerLink(device: try SimulatorTest.device())
        let channel = LedgerHIDChannel(link: link)
        try channel.ping(deadline: deadline)
        #expect(try exchange(channel, "b001000000") == "0108457468657265756d06312e32322e3001009000")
    }

    @Test func strayContinuationWhileIdleIsIgnored() throws {
        let link = SimulatedLedgerLink(device: try SimulatorTest.device())
        // An empty chunk with sequence 3, as Ledger Live is known to send: the firmware drops it.
        try link.send([0x01, 0x01, 0x05, 0x00, 0x03] + [UInt8](repeating: 0, count: 59))
        #expect(try link.receive(timeout: .milliseconds(20)) == nil)
        #expect(try exchange(LedgerHIDChannel(link: link), "e006000000") == "020116009000")
    }

    @Test func disconnectsAfterTheConfiguredFrames() throws {
        // One request frame and one reply frame go through; then the device is gone.
        let link = SimulatedLedgerLink(device: try SimulatorTest.device(.init(disconnectAfterFrames: 2)))
        let channel = LedgerHIDChannel(link: link)
        #expect(try exchange(channel, "e006000000") == "020116009000")
        #expect(throws: DeviceError.disconnected("the simulated Ledger was unplugged")) {
            _ = try exchange(channel, "e006000000")
        }
        #expect(throws: DeviceError.disconnected("the simulated Ledger was unplugged")) {
            _ = try link.receive(timeout: .zero)
        }
    }

    @Test func unpluggedWhileTheReplyIsPending() throws {
        let link = SimulatedLedgerLink(device: try SimulatorTest.device(.init(disconnectAfterFrames: 1)))
        #expect(throws: DeviceError.disconnected("the simulated Ledger was unplugged")) {
            _ = try exchange(LedgerHIDChannel(link: link), "e006000000")
        }
    }

    @Test func closedLinkRefusesIO() throws {
        let link = SimulatedLedgerLink(device: try SimulatorTest.device())
        link.close()
        #expect(throws: DeviceError.disconnected("sim:ledger is closed")) {
            try link.send(LedgerHIDFraming().pingFrame())
        }
    }

    @Test func latencyDelaysTheReply() throws {
        let link = SimulatedLedgerLink(device: try SimulatorTest.device(.init(latency: .seconds(30))))
        for frame in LedgerHIDFraming().frames(for: [0xE0, 0x06, 0x00, 0x00, 0x00]) { try link.send(frame) }
        // Nothing is readable long before the configured latency has passed.
        #expect(try link.receive(timeout: .milliseconds(10)) == nil)
    }
}
