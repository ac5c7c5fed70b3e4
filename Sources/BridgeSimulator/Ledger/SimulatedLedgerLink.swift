import BridgeCore
import BridgeDevices
import Foundation
import Synchronization

/// A ``SimulatedLedger`` behind 64-byte Ledger HID frames, as a ``DeviceLink`` (`--transport sim:ledger`): the
/// host's ``LedgerHIDChannel`` talks to it exactly as to a Ledger on USB.
///
/// Like the firmware (ledger-secure-sdk protocol/src/ledger_protocol.c): the reply goes out on the channel of the
/// request, ping frames (tag 0x02) are echoed, and a frame with a wrong sequence number while no APDU is being
/// received is dropped ("Ledger Live is well known for sending empty apdu chunk"); a malformed frame mid-APDU drops
/// the partial APDU. Each response becomes readable `configuration.latency` after its request completed. With
/// `configuration.disconnectAfterFrames = N`, the link carries N frames (both directions counted) and then acts
/// unplugged: every send and receive throws ``DeviceError/disconnected(_:)``.
public final class SimulatedLedgerLink: DeviceLink {
    public let device: SimulatedLedger
    public let endpoint = "sim:ledger"
    private let latency: Duration
    private let disconnectAfterFrames: Int?
    private let state = Mutex(LinkState())
    /// How often a waiting receive looks for a frame another thread may have caused.
    private static let pollSlice: Duration = .milliseconds(2)

    private struct LinkState {
        var reassembler = LedgerHIDReassembler(channel: nil)
        var outbox: [(frame: [UInt8], readyAt: ContinuousClock.Instant)] = []
        var framesCarried = 0
        var isClosed = false
        var isUnplugged = false
    }

    public init(device: SimulatedLedger) {
        self.device = device
        latency = device.configuration.latency
        disconnectAfterFrames = device.configuration.disconnectAfterFrames
    }

    public func send(_ packet: [UInt8]) throws(DeviceError) {
        let result: Result<Void, DeviceError> = state.withLock { state in
            Result { () throws(DeviceError) in
                try carryFrame(&state)
                accept(packet, &state)
            }
        }
        try result.get()
    }

    public func receive(timeout: Duration) throws(DeviceError) -> [UInt8]? {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            let result: Result<[UInt8]?, DeviceError> = state.withLock { state in
                Result { () throws(DeviceError) -> [UInt8]? in
                    try checkConnected(state)
                    guard let next = state.outbox.first, next.readyAt <= clock.now else { return nil }
                    try carryFrame(&state)
                    state.outbox.removeFirst()
                    return next.frame
                }
            }
            if let frame = try result.get() { return frame }
            let now = clock.now
            guard now < deadline else { return nil }
            Thread.sleep(forTimeInterval: Self.seconds(min(deadline - now, Self.pollSlice)))
        }
    }

    public func close() {
        state.withLock { state in
            state.isClosed = true
            state.outbox.removeAll()
        }
    }

    private func checkConnected(_ state: LinkState) throws(DeviceError) {
        if state.isClosed { throw .disconnected("\(endpoint) is closed") }
        if state.isUnplugged { throw .disconnected("the simulated Ledger was unplugged") }
    }

    /// Counts one frame through the link, unplugging it once the configured number has gone through.
    private func carryFrame(_ state: inout LinkState) throws(DeviceError) {
        try checkConnected(state)
        if let limit = disconnectAfterFrames, state.framesCarried >= limit {
            state.isUnplugged = true
            state.outbox.removeAll()
            try checkConnected(state)
        }
        state.framesCarried += 1
    }

    /// The firmware's side of one frame from the host.
    private func accept(_ packet: [UInt8], _ state: inout LinkState) {
        guard packet.count >= 5 else { return }
        let frame = Array((packet + [UInt8](repeating: 0, count: max(0, LedgerHIDFraming.frameSize - packet.count)))
            .prefix(LedgerHIDFraming.frameSize))
        switch frame[2] {
        case LedgerHIDFraming.pingTag:
            state.outbox.append((frame, ContinuousClock().now + latency))
        case LedgerHIDFraming.apduTag:
            let sequence = UInt16(frame[3]) << 8 | UInt16(frame[4])
            // A stray continuation while idle is dropped, not an error.
            guard state.reassembler.isInProgress || sequence == 0 else { return }
            let channel = UInt16(frame[0]) << 8 | UInt16(frame[1])
            let payload: [UInt8]?
            do {
                payload = try state.reassembler.consume(frame)
            } catch {
                state.reassembler = LedgerHIDReassembler(channel: nil)
                return
            }
            guard let payload else { return }
            // Each APDU may come on its own channel: the reply copies it.
            state.reassembler = LedgerHIDReassembler(channel: nil)
            let response: APDUResponse
            if let command = try? APDUCommand(parsing: payload) {
                response = device.handle(command)
            } else {
                // ISO 7816 "wrong length": the APDU's Lc does not match its body.
                response = APDUResponse(statusWord: 0x6700)
            }
            let readyAt = ContinuousClock().now + latency
            for replyFrame in LedgerHIDFraming(channel: channel).frames(for: response.bytes) {
                state.outbox.append((replyFrame, readyAt))
            }
        default:
            // GET_PROTOCOL_VERSION, ALLOCATE_CHANNEL, ABORT, MTU: no host of ours sends them.
            return
        }
    }

    static func seconds(_ duration: Duration) -> TimeInterval {
        let (seconds, attoseconds) = duration.components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
