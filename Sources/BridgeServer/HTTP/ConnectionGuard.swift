import BridgeApprovals
import BridgeCore
import Dispatch
import FoundationEssentials
import Glibc
import Synchronization

/// One open connection, kept in libmicrohttpd's per-connection `socket_context`: its socket, the address it counts
/// against, and the deadline for its current request's headers (updated on every request without a lock).
final class ConnectionRecord: Sendable {
    let socket: Int32
    /// The peer's address as text (`127.0.0.1`), made once per connection rather than once per request.
    let peer: String
    /// The peer's canonical address, counted against ``ConnectionGuard/maximumPerAddress`` (nil: exempt or refused).
    let countedAddress: String?
    /// Monotonic nanoseconds by which the current request's headers must be complete; 0 while a request is handled.
    let headerDeadline: Atomic<UInt64>
    /// Already shut down (refused or overdue).
    let shutDown = Atomic<Bool>(false)

    init(socket: Int32, peer: String, countedAddress: String?, headerDeadline: UInt64) {
        self.socket = socket
        self.peer = peer
        self.countedAddress = countedAddress
        self.headerDeadline = Atomic(headerDeadline)
    }
}

/// The connections libmicrohttpd holds open, with the two limits it does not enforce itself: connections per peer
/// address, and a deadline for each request's headers.
///
/// libmicrohttpd's own timeout is per idle gap, so a client sending a header byte every few seconds kept its
/// connection forever, and ~1,020 such connections from one address locked everyone out. Here every connection gets a
/// deadline when it opens and again when a response completes; the first call to the access handler (headers
/// complete) clears it. ``closeOverdue(at:)`` shuts down the sockets of connections past their deadline.
///
/// Sockets are only shut down (never closed) and only under the lock that ``connectionClosed(_:)`` takes:
/// libmicrohttpd reports a connection closed before it closes the socket (libmicrohttpd 0.9.75,
/// src/microhttpd/daemon.c, `MHD_cleanup_connections` and `new_connection_process_`), so a descriptor shut down here
/// is still that connection's, never a reused one. A shut-down socket reads as closed, and libmicrohttpd then closes
/// the connection itself.
final class ConnectionGuard: Sendable {
    private struct State {
        var connections: [ObjectIdentifier: ConnectionRecord] = [:]
        var perAddress: [String: Int] = [:]
    }

    let maximumPerAddress: Int
    /// The header deadline, in nanoseconds.
    let headerTimeout: UInt64
    let exempt: IPAllowList
    private let state = SleepingMutex(State())

    init(maximumPerAddress: Int, headerTimeout: Duration, exempt: IPAllowList) {
        self.maximumPerAddress = maximumPerAddress
        self.headerTimeout = UInt64(max(0, headerTimeout.wholeMilliseconds)) * 1_000_000
        self.exempt = exempt
    }

    /// Monotonic nanoseconds, the clock deadlines are in.
    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// A connection opened (libmicrohttpd's `MHD_CONNECTION_NOTIFY_STARTED`): counted against its address, or shut
    /// down at once when that address already holds ``maximumPerAddress``. Returns its record.
    func connectionOpened(socket: Int32, peer: String, at now: UInt64) -> ConnectionRecord {
        let address = IPAllowList.canonical(peer) ?? peer
        let isExempt = exempt.containsEntry(for: address)
        return state.withLock { state in
            var counted: String?
            var refused = false
            if !isExempt {
                let open = state.perAddress[address, default: 0]
                if open >= maximumPerAddress {
                    refused = true
                } else {
                    state.perAddress[address] = open + 1
                    counted = address
                }
            }
            let record = ConnectionRecord(socket: socket, peer: peer, countedAddress: counted, headerDeadline: now + headerTimeout)
            if refused {
                record.shutDown.store(true, ordering: .relaxed)
                shutdown(socket, Int32(SHUT_RDWR))
            }
            state.connections[ObjectIdentifier(record)] = record
            return record
        }
    }

    /// The connection is closing (`MHD_CONNECTION_NOTIFY_CLOSED`, before its socket is closed).
    func connectionClosed(_ record: ConnectionRecord) {
        state.withLock { state in
            guard state.connections.removeValue(forKey: ObjectIdentifier(record)) != nil else { return }
            if let address = record.countedAddress {
                let open = state.perAddress[address, default: 1] - 1
                state.perAddress[address] = open > 0 ? open : nil
            }
        }
    }

    /// A request's headers are complete: no deadline while it is handled.
    func headersComplete(_ record: ConnectionRecord) {
        record.headerDeadline.store(0, ordering: .relaxed)
    }

    /// A response completed: the next request on the connection (or its idleness) has a new deadline.
    func requestCompleted(_ record: ConnectionRecord, at now: UInt64) {
        record.headerDeadline.store(now + headerTimeout, ordering: .relaxed)
    }

    /// Shuts down every connection whose deadline has passed; returns how many it shut down.
    @discardableResult
    func closeOverdue(at now: UInt64) -> Int {
        state.withLock { state in
            var closed = 0
            for record in state.connections.values where !record.shutDown.load(ordering: .relaxed) {
                let deadline = record.headerDeadline.load(ordering: .relaxed)
                guard deadline != 0, deadline <= now else { continue }
                shutdown(record.socket, Int32(SHUT_RDWR))
                record.shutDown.store(true, ordering: .relaxed)
                closed += 1
            }
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
        let started = NativeThread.start("walletbridge-http-deadlines") { [self] in
            while !stopped.load(ordering: .acquiring) {
                connections.closeOverdue(at: ConnectionGuard.now())
                NativeThread.sleep(for: interval)
            }
            finished.signal()
        }
        // Without the thread, overdue headers are not cut (libmicrohttpd's own connection timeout still applies);
        // stop() then has no thread to wait for.
        if !started { stopped.store(true, ordering: .releasing) }
    }

    /// Stops the thread and waits for it (at most one interval).
    func stop() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        finished.wait()
    }
}
