import BridgeCore
import BridgeDevices
import BridgeSimulator
import BridgeUSB
import Testing

/// The Speculos-compatible TCP server, reached with the host's own ``TCPLink`` and ``SpeculosAPDUChannel``.
@Suite("Speculos-compatible server")
struct SpeculosServerTests {
    let deadline = ContinuousClock.now + .seconds(10)

    func exchange(_ channel: SpeculosAPDUChannel, _ hex: String) throws -> String {
        Hex.encode(try channel.exchange(try SimulatorTest.command(hex), deadline: deadline, isCancelled: { false }).bytes)
    }

    @Test func servesAPDUsOnAnyFreePort() throws {
        let server = SpeculosServer(device: try SimulatorTest.device(), host: "127.0.0.1", port: 0)
        let port = try server.start()
        defer { server.stop() }
        #expect(port != 0)
        #expect(server.port == port)
        let link = try TCPLink(host: "127.0.0.1", port: port)
        defer { link.close() }
        let channel = SpeculosAPDUChannel(link: link)
        #expect(try exchange(channel, "b001000000") == "0108457468657265756d06312e32322e3001009000")
        #expect(try exchange(channel, "e002000015058000002c8000003c800000000000000000000000").hasSuffix(
            Hex.encode(Array("Dad77910DbDFdE764fC21FCD4E74D71bBACA6D8D".utf8)) + "9000"))
    }

    @Test func replyIsLengthDataStatusWord() throws {
        let server = SpeculosServer(device: try SimulatorTest.device(), port: 0)
        let port = try server.start()
        defer { server.stop() }
        let link = try TCPLink(host: "127.0.0.1", port: port)
        defer { link.close() }
        try link.send([0, 0, 0, 5, 0xE0, 0x06, 0x00, 0x00, 0x00])
        var reply: [UInt8] = []
        let clock = ContinuousClock()
        while reply.count < 10, clock.now < deadline {
            if let chunk = try link.receive(timeout: .milliseconds(100)) { reply += chunk }
        }
        // len(4) counts the data only (speculos/mcu/apdu.py): 4 data bytes, then 9000.
        #expect(Hex.encode(reply) == "00000004" + "02011600" + "9000")
    }

    @Test func secondClientReplacesTheFirst() throws {
        let server = SpeculosServer(device: try SimulatorTest.device(), port: 0)
        let port = try server.start()
        defer { server.stop() }
        let first = try TCPLink(host: "127.0.0.1", port: port)
        defer { first.close() }
        let firstChannel = SpeculosAPDUChannel(link: first)
        #expect(try exchange(firstChannel, "e006000000") == "020116009000")
        let second = try TCPLink(host: "127.0.0.1", port: port)
        defer { second.close() }
        #expect(try exchange(SpeculosAPDUChannel(link: second), "e006000000") == "020116009000")
        #expect {
            _ = try exchange(firstChannel, "e006000000")
        } throws: { error in
            if case .disconnected = error as? DeviceError { return true }
            return false
        }
    }

    @Test func stopClosesThePort() throws {
        let server = SpeculosServer(device: try SimulatorTest.device(), port: 0)
        let port = try server.start()
        server.stop()
        #expect(server.port == nil)
        #expect {
            _ = try TCPLink(host: "127.0.0.1", port: port)
        } throws: { error in
            if case .disconnected = error as? DeviceError { return true }
            return false
        }
    }

    @Test func busyPortIsReported() throws {
        let server = SpeculosServer(device: try SimulatorTest.device(), port: 0)
        let port = try server.start()
        defer { server.stop() }
        let rival = SpeculosServer(device: try SimulatorTest.device(), port: port)
        #expect(throws: DeviceError.busy("tcp:127.0.0.1:\(port) is already in use")) { try rival.start() }
    }
}
