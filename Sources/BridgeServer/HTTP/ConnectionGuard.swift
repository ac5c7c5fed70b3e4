import BridgeApprovals
import Foundation
import Synchronization

/// The connections libmicrohttpd holds open, with the two limits it does not enforce itself: connections per peer
/// address, and a deadline for each request's headers.
///
/// libmicrohttpd's own timeout is per idle gap, so a client sending a header byte every few seconds kept its
/// connection forever, and ~1,020 such connections from one address locked everyone out. Here every connection gets a
/// deadline when it opens and again when a response completes; the first call to the access handler (headers
/// complete) clears it. ``closeOverdue(at:)`` shuts down the sockets of connections past their deadline.
///
/// Sockets are only shut down (never closed) and only under the lock that ``connectionClosed(_:)`` takes:
/// libmicrohttpd reports a connection closed before it closes the socket (libmicrohttpd 0.9.75, src/microhttpd/daemon.c,
/// `MHD_cleanup_connections` and `new_connection_process_`), so a descriptor shut down here is still that
/// connection's, never a reused one. A shut-down socket reads as closed, and libmicrohttpd then closes the connection
/// itself.
final class ConnectionGuard: Sendable {
    /// What is known about one open connection.
    struct Record {
        let socket: Int32
        /// The peer's canonical address, counted against ``maximumPerAddress`` (nil: exempt or refused).
        let countedAddress: String?
        /// When the current request's headers must be complete; nil while a request is being handled.
        var headerDeadline: ContinuousClock.Instant?
        /// Already shut down (refused or overdue): nothing more to do for it.
        var shutDown: Bool
    }

    private struct State {
        var connections: [UInt: Record] = [:]
        var perAddress: [String: Int] = [:]
    }

    let maximumPerAddress: Int
    let headerTimeout: Duration
    let exempt: IPAllowList
    private let state = Mutex(State())
    /// Connections refused for their address, and closed for a late head (for tests and logs).
    let refusedConnections = Atomic<Int>(0)
    let overdueConnections = Atomic<Int>(0)

    init(maximumPerAddress: Int, headerTimeout: Duration, exempt: IPAllowList) {
        self.maximumPerAddress = maximumPerAddress
        self.headerTimeout = headerTimeout
        self.exempt = exempt
    }

    /// A connection opened (libmicrohttpd's `MHD_CONNECTION_NOTIFY_STARTED`): counted against its address, or shut
    /// down at once when that address already holds ``maximumPerAddress``.
    func connectionOpened(_ id: UInt, socket: Int32, peer: String, at now: ContinuousClock.Instant) {
        let address = IPAllowList.canonical(peer) ?? peer
        let isExempt = exempt.containsEntry(for: address)
        state.withLock { state in
            var record = Record(socket: socket, countedAddress: nil, headerDeadline: now + headerTimeout, shutDown: false)
            if !isExempt {
                let open = state.perAddress[address, default: 0]
                if open >= maximumPerAddress {
                    record.shutDown = true
                    shutdown(socket, Int32(SHUT_RDWR))
                    refusedConnections.add(1, ordering: .relaxed)
                } else {
                    state.perAddress[address] = open + 1
                    record = Record(socket: socket, countedAddress: address, headerDeadline: record.headerDeadline,
                                    shutDown: false)
                }
            }
            state.connections[id] = record
        }
    }

    /// The connection is closing (`MHD_CONNECTION_NOTIFY_CLOSED`, before its socket is closed).
    func connectionClosed(_ id: UInt) {
        state.withLock { state in
            guard let record = state.connections.removeValue(forKey: id) else { return }
            if let address = record.countedAddress {
                let open = state.perAddress[address, default: 1] - 1
                state.perAddress[address] = open > 0 ? open : nil
            }
        }
    }

    /// A request's headers are complete: no deadline while it is handled.
    func headersComplete(_ id: UInt) {
        state.withLock { $0.connections[id]?.headerDeadline = nil }
    }

    /// A response completed: the next request on the connection (or its idleness) has a new deadline.
    func requestCompleted(_ id: UInt, at now: ContinuousClock.Instant) {
        state.withLock { $0.connections[id]?.headerDeadline = now + headerTimeout }
    }

    /// Shuts down every connection whose deadline has passed; returns how many it shut down.
    @discardableResult
    func closeOverdue(at now: ContinuousClock.Instant) -> Int {
        state.withLock { state in
            var closed = 0
            for (id, record) in state.connections where !record.shutDown {
                guard let deadline = record.headerDeadline, deadline <= now else { continue }
                shutdown(record.socket, Int32(SHUT_RDWR))
                state.connections[id]?.shutDown = true
                closed += 1
            }
            if closed > 0 { overdueConnections.add(closed, ordering: .relaxed) }
            return closed
        }
    }

    /// Open connections, and those counted for `address`.
    var openConnections: Int { state.withLock { $0.connections.count } }

    func openConnections(from address: String) -> Int {
        state.withLock { $0.perAddress[IPAllowList.canonical(address) ?? address, default: 0] }
    }
}

/// Runs ``ConnectionGuard/closeOverdue(at:)`` on its own thread every `interval` until stopped.
final class ConnectionWatchdog: Sendable {
    private let stopped = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    init(guard connections: ConnectionGuard, interval: Duration) {
        let seconds = Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
        let thread = Thread { [self] in
            while !stopped.load(ordering: .acquiring) {
                connections.closeOverdue(at: .now)
                Thread.sleep(forTimeInterval: seconds)
            }
            finished.signal()
        }
        thread.name = "walletbridge-http-deadlines"
        thread.start()
    }

    /// Stops the thread and waits for it (at most one interval).
    func stop() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        finished.wait()
    }
}
