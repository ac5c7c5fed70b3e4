import BridgeCore
import BridgeDevices
import BridgeSimulator
import Foundation
import Glibc
import Testing

/// The emulator-compatible UDP server over real sockets on 127.0.0.1, reached with a plain UDP client socket as
/// trezorlib's UdpTransport uses one: one 64-byte packet per datagram, PINGPING/PONGPONG liveness.
@Suite("Trezor emulator UDP server")
struct TrezorEmulatorServerTests {
    /// A connected UDP client socket with a receive timeout.
    final class Client {
        let fd: Int32

        init(port: UInt16) throws {
            fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            try #require(fd >= 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            try #require(connected == 0)
            var timeout = timeval(tv_sec: 5, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }

        deinit { Glibc.close(fd) }

        func send(_ datagram: [UInt8]) {
            _ = datagram.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
        }

        /// The next datagram, nil after the 5 s timeout.
        func receive() -> [UInt8]? {
            var buffer = [UInt8](repeating: 0, count: 2048)
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            return count >= 0 ? Array(buffer.prefix(count)) : nil
        }

        /// Sends a message as packets and reassembles the answer.
        func exchange(_ message: TrezorWireMessage) throws -> (message: TrezorWireMessage, datagrams: Int) {
            for packet in TrezorV1Framing.packets(for: message) { send(packet) }
            var reassembler = TrezorV1Reassembler()
            var datagrams = 0
            while true {
                let datagram = try #require(receive(), "no answer from the server")
                datagrams += 1
                #expect(datagram.count == 64)
                if let answer = try reassembler.append(datagram) { return (answer, datagrams) }
            }
        }
    }

    func server(_ configure: (inout SimulatedTrezor.Configuration) -> Void = { _ in }) throws -> TrezorEmulatorServer {
        TrezorEmulatorServer(device: try TrezorSim.device(configure), host: "127.0.0.1", port: 0)
    }

    @Test func pingAndInitializeOverRealUDP() throws {
        let server = try server { $0.model = .one }
        let port = try server.start()
        defer { server.stop() }
        #expect(port != 0)
        #expect(server.port == port)
        let client = try Client(port: port)
        client.send(Array("PINGPING".utf8))
        #expect(client.receive() == Array("PONGPONG".utf8))

        let (answer, datagrams) = try client.exchange(TrezorWireMessage(TrezorProto.Initialize()))
        let features = try answer.decode(TrezorProto.Features.self)
        #expect(features.model == "1")
        #expect(features.label == "SLIP-0014")
        #expect(features.sessionID?.count == 32)
        #expect(datagrams >= 2)

        let address = try client.exchange(TrezorWireMessage(TrezorProto.EthereumGetAddress(
            addressN: try TrezorSim.path("m/44'/60'/0'/0/0"), showDisplay: false))).message
        #expect(try address.decode(TrezorProto.EthereumAddress.self).address == "0x73d0385F4d8E00C5e6504C6030F47BF6212736A8")
    }

    @Test func otherSizesAreDroppedAndAnswersGoToEachSender() throws {
        let server = try server()
        let port = try server.start()
        defer { server.stop() }
        let first = try Client(port: port)
        let second = try Client(port: port)
        // A 65-byte datagram (HID report id + packet) and a short one are not packets: nothing comes back for them,
        // so the next datagram the client reads is the PONG.
        first.send([0] + TrezorV1Framing.packets(for: TrezorWireMessage(TrezorProto.GetFeatures()))[0])
        first.send([0x3F, 0x23, 0x23])
        first.send(Array("PINGPING".utf8))
        #expect(first.receive() == Array("PONGPONG".utf8))
        let pong = try second.exchange(TrezorWireMessage(TrezorProto.Ping(message: "second", buttonProtection: false))).message
        #expect(try pong.decode(TrezorProto.Success.self).message == "second")
    }

    @Test func stopClosesThePortAndStartTwiceIsBusy() throws {
        let server = try server()
        let port = try server.start()
        #expect {
            try server.start()
        } throws: { error in
            if case .busy = error as? DeviceError { return true }
            return false
        }
        // Another server cannot bind the same port while it runs.
        let rival = TrezorEmulatorServer(device: try TrezorSim.device(), host: "127.0.0.1", port: port)
        #expect(throws: DeviceError.self) { try rival.start() }
        server.stop()
        #expect(server.port == nil)
        server.stop()
        // Once stopped, the port is free again.
        let again = TrezorEmulatorServer(device: try TrezorSim.device(), host: "127.0.0.1", port: port)
        #expect(try again.start() == port)
        again.stop()
    }
}
