@testable import BridgeServer
import BridgeApprovals
import Foundation
import Testing

/// ``ConnectionGuard`` driven by an explicit clock, without a server or sleeping: the header deadline, its re-arming
/// for the next request on a keep-alive connection, and the per-address count. Sockets are socket pairs, so a
/// shutdown is seen at the other end as end of stream.
@Suite("Connection guard on a manual clock")
struct ConnectionGuardTests {
    /// A connected pair of stream sockets: `server` is what the guard holds, `client` sees its shutdown.
    final class SocketPair {
        let server: Int32
        let client: Int32

        init() throws {
            var fds: [Int32] = [0, 0]
            guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0 else { throw POSIXError(.EMFILE) }
            server = fds[0]
            client = fds[1]
            var limit = timeval(tv_sec: 0, tv_usec: 200_000)
            setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        }

        /// The guard shut the server side down: the client reads end of stream (a timeout means still open).
        var isShutDown: Bool {
            var byte: UInt8 = 0
            return recv(client, &byte, 1, 0) == 0
        }

        deinit {
            close(server)
            close(client)
        }
    }

    /// Monotonic nanoseconds, as the guard keeps its deadlines; any origin works on a manual clock.
    static let start: UInt64 = 1_000_000_000_000
    static func seconds(_ n: UInt64) -> UInt64 { start + n * 1_000_000_000 }

    @Test("A head not complete by the deadline is shut down; one complete in time is not; the next request re-arms it")
    func headerDeadline() throws {
        let connections = ConnectionGuard(maximumPerAddress: 8, headerTimeout: .seconds(10), exempt: .none)
        let slow = try SocketPair(), prompt = try SocketPair()
        let r1 = connections.connectionOpened(socket: slow.server, peer: "192.0.2.1", at: Self.start)
        let r2 = connections.connectionOpened(socket: prompt.server, peer: "192.0.2.2", at: Self.start)

        #expect(connections.closeOverdue(at: Self.seconds(9)) == 0)
        connections.headersComplete(r2)
        #expect(connections.closeOverdue(at: Self.seconds(10)) == 1)
        #expect(slow.isShutDown)
        #expect(!prompt.isShutDown)
        // Shut down once: a later sweep does not count it again.
        #expect(connections.closeOverdue(at: Self.seconds(60)) == 0)

        // Answered at 30 s: an idle keep-alive connection gets the same time for its next head.
        connections.requestCompleted(r2, at: Self.seconds(30))
        #expect(connections.closeOverdue(at: Self.seconds(39)) == 0)
        #expect(connections.closeOverdue(at: Self.seconds(40)) == 1)
        #expect(prompt.isShutDown)

        connections.connectionClosed(r1)
        connections.connectionClosed(r2)
        #expect(connections.openConnections == 0)
    }

    @Test("Connection N+1 from one address is shut down at once, others and exempt proxies are not; a close frees a slot")
    func perAddressLimit() throws {
        let connections = ConnectionGuard(maximumPerAddress: 2, headerTimeout: .seconds(10),
                                          exempt: try IPAllowList(["10.0.0.0/8"]))
        let pairs = try (0..<6).map { _ in try SocketPair() }
        let r1 = connections.connectionOpened(socket: pairs[0].server, peer: "192.0.2.1", at: Self.start)
        let r2 = connections.connectionOpened(socket: pairs[1].server, peer: "::ffff:192.0.2.1", at: Self.start)
        let r3 = connections.connectionOpened(socket: pairs[2].server, peer: "192.0.2.1", at: Self.start)
        let r4 = connections.connectionOpened(socket: pairs[3].server, peer: "192.0.2.9", at: Self.start)
        let r5 = connections.connectionOpened(socket: pairs[4].server, peer: "10.1.2.3", at: Self.start)
        let r6 = connections.connectionOpened(socket: pairs[5].server, peer: "10.1.2.3", at: Self.start)

        #expect(pairs.map(\.isShutDown) == [false, false, true, false, false, false])
        #expect(connections.openConnections(from: "192.0.2.1") == 2)
        #expect(connections.openConnections(from: "10.1.2.3") == 0, "trusted proxies are not counted")

        connections.connectionClosed(r1)
        connections.connectionClosed(r3)  // the refused one was never counted
        #expect(connections.openConnections(from: "192.0.2.1") == 1)
        let again = try SocketPair()
        let r7 = connections.connectionOpened(socket: again.server, peer: "192.0.2.1", at: Self.start)
        #expect(!again.isShutDown)
        for record in [r2, r4, r5, r6, r7] { connections.connectionClosed(record) }
        #expect(connections.openConnections == 0)
    }
}
