import BridgeCore
import BridgeDevices
@testable import BridgeUSB
import Foundation
import Glibc
import Synchronization
import Testing

/// The Trezor emulator's UDP protocol against a small responder on loopback written here: it answers `PINGPING`
/// with `PONGPONG` and each 64-byte packet with a junk datagram first, then the packet reversed.
@Suite("UDP link (Trezor emulator protocol)")
struct UDPLinkTests {
    /// A UDP socket on 127.0.0.1 and a thread answering on it until ``stop()``.
    final class Responder: @unchecked Sendable {
        let descriptor: Int32
        let port: UInt16
        private let running = Atomic(true)
        private let finished = DispatchSemaphore(value: 0)
        /// The datagrams received, in order.
        let received = Mutex<[[UInt8]]>([])

        /// `answers`: false to receive without ever answering (an emulator that is not there).
        init(answers: Bool = true) throws {
            let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            guard descriptor >= 0 else { throw POSIXError(.EIO) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else {
                close(descriptor)
                throw POSIXError(.EADDRINUSE)
            }
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
            }
            self.descriptor = descriptor
            port = UInt16(bigEndian: address.sin_port)
            let thread = Thread { [self] in serve(answers: answers) }
            thread.start()
        }

        private func serve(answers: Bool) {
            defer { finished.signal() }
            while running.load(ordering: .acquiring) {
                var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                guard poll(&poller, 1, 20) > 0 else { continue }
                var buffer = [UInt8](repeating: 0, count: 512)
                var peer = sockaddr_storage()
                var peerLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
                let count = withUnsafeMutablePointer(to: &peer) { peerPointer in
                    peerPointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                        buffer.withUnsafeMutableBytes { recvfrom(descriptor, $0.baseAddress, $0.count, 0, address, &peerLength) }
                    }
                }
                guard count > 0 else { continue }
                let datagram = Array(buffer.prefix(count))
                received.withLock { $0.append(datagram) }
                guard answers else { continue }
                let replies: [[UInt8]] = datagram == Array("PINGPING".utf8)
                    ? [Array("PONGPONG".utf8)]
                    : [Array("junk".utf8), datagram.reversed()]
                for reply in replies {
                    _ = withUnsafePointer(to: &peer) { peerPointer in
                        peerPointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                            reply.withUnsafeBytes { sendto(descriptor, $0.baseAddress, $0.count, 0, address, peerLength) }
                        }
                    }
                }
            }
        }

        func stop() {
            running.store(false, ordering: .releasing)
            finished.wait()
            close(descriptor)
        }
    }

    @Test("Open pings (PINGPING -> PONGPONG); a 64-byte packet goes out as one datagram and the reply comes back, junk skipped")
    func roundTrip() throws {
        let responder = try Responder()
        defer { responder.stop() }
        let link = try UDPLink(host: "127.0.0.1", port: responder.port)
        defer { link.close() }
        #expect(link.endpoint == "udp:127.0.0.1:\(responder.port)")

        let packet = [UInt8]("?##".utf8) + [0x00, 0x37] + [0, 0, 0, 0] + [UInt8](repeating: 0, count: 55)
        try link.send(packet)
        // The 4-byte "junk" datagram arrives first and is not a packet: receive skips it.
        let reply = try link.receive(timeout: .seconds(5))
        #expect(reply == packet.reversed())
        #expect(try link.ping())
        #expect(responder.received.withLock { $0 } == [Array("PINGPING".utf8), packet, Array("PINGPING".utf8)])
    }

    @Test("Nothing arriving within the timeout is nil; only 64-byte packets may be sent")
    func timeoutAndPacketSize() throws {
        let responder = try Responder()
        defer { responder.stop() }
        let link = try UDPLink(host: "127.0.0.1", port: responder.port)
        defer { link.close() }
        #expect(try link.receive(timeout: .milliseconds(50)) == nil)
        #expect(throws: DeviceError.protocolError("a Trezor emulator datagram holds 64 bytes, not 63")) {
            try link.send([UInt8](repeating: 0x3F, count: 63))
        }
        // A closed link refuses to move packets.
        link.close()
        #expect(throws: DeviceError.disconnected("udp:127.0.0.1:\(responder.port) is closed")) {
            try link.send([UInt8](repeating: 0, count: 64))
        }
    }

    @Test("No emulator: a silent socket or a closed port fails with -3 naming the address")
    func noEmulator() throws {
        let silent = try Responder(answers: false)
        defer { silent.stop() }
        #expect {
            _ = try UDPLink(host: "127.0.0.1", port: silent.port, pingTimeout: .milliseconds(200))
        } throws: { error in
            guard let error = error as? DeviceError, case .disconnected(let why) = error else { return false }
            return error.code == .connectionLost && why.contains("udp:127.0.0.1:\(silent.port)")
        }
        #expect(silent.received.withLock { $0 } == [Array("PINGPING".utf8)])

        // A port nobody listens on: the kernel answers ECONNREFUSED (ICMP port unreachable) at once.
        let closedPort: UInt16 = try {
            let probe = try Responder(answers: false)
            probe.stop()
            return probe.port
        }()
        #expect {
            _ = try UDPLink(host: "127.0.0.1", port: closedPort)
        } throws: { error in
            (error as? DeviceError)?.code == .connectionLost && "\(error)".contains("udp:127.0.0.1:\(closedPort)")
        }
    }
}
