import BridgeCore
import BridgeDevices
import BridgeSimulator
import Testing

/// ``SimulatedTrezorLink``: the simulator as a packet link, with latency and close.
@Suite("Simulated Trezor link")
struct SimulatedTrezorLinkTests {
    @Test func carriesPacketsInOrder() throws {
        let link = SimulatedTrezorLink(device: try TrezorSim.device { $0.model = .one })
        #expect(link.endpoint == "sim:trezor")
        for packet in TrezorV1Framing.packets(for: TrezorWireMessage(TrezorProto.Initialize())) { try link.send(packet) }
        var reassembler = TrezorV1Reassembler()
        var features: TrezorWireMessage?
        var packets = 0
        while features == nil, let packet = try link.receive(timeout: .seconds(1)) {
            packets += 1
            features = try reassembler.append(packet)
        }
        let message = try #require(features)
        #expect(try message.decode(TrezorProto.Features.self).model == "1")
        #expect(packets == TrezorV1Framing.packets(for: message).count)
        // Nothing more is queued.
        #expect(try link.receive(timeout: .milliseconds(10)) == nil)
    }

    @Test func answersWaitForTheLatency() throws {
        let link = SimulatedTrezorLink(device: try TrezorSim.device { $0.latency = .milliseconds(300) })
        try link.send(TrezorV1Framing.packets(for: TrezorWireMessage(TrezorProto.Ping(message: "x", buttonProtection: false)))[0])
        // Not readable at once...
        #expect(try link.receive(timeout: .zero) == nil)
        // ...but well within a generous wait.
        let packet = try #require(try link.receive(timeout: .seconds(10)))
        var reassembler = TrezorV1Reassembler()
        #expect(try reassembler.append(packet)?.messageType == .success)
    }

    @Test func closedLinkIsDisconnected() throws {
        let link = SimulatedTrezorLink(device: try TrezorSim.device())
        link.close()
        #expect(throws: DeviceError.self) { try link.send(Array(repeating: 0, count: 64)) }
        #expect(throws: DeviceError.self) { try link.receive(timeout: .zero) }
    }
}
