import BridgeCore
import BridgeDevices
import FoundationEssentials
import Synchronization

/// A ``SimulatedLedger`` behind 64-byte Ledger HID frames, as a ``DeviceLink`` (`--transport sim:ledger`): the
/// host's ``LedgerHIDChannel`` talks to it exactly as to a Ledger on USB.
///
/// The frames are answered by ``LedgerHIDDeviceSide``, the firmware's framing. Each response becomes readable
/// `configuration.latency` after its request completed. With `configuration.disconnectAfterFrames = N`, the link
/// carries N frames (both directions counted) and then acts unplugged: every send and receive throws
/// ``DeviceError/disconnected(_:)``.
public final class SimulatedLedgerLink: DeviceLink {
    public let device: SimulatedLedger
    public let endpoint = "sim:ledger"
    private let latency: Duration
    private let disconnectAfterFrames: Int?
    private let state: Mutex<LinkState>
    /// How often a waiting receive looks for a frame another thread may have caused.
    private static let pollSlice: Duration = .milliseconds(2)

    private struct LinkState {
        var firmware: LedgerHIDDeviceSide
        var outbox: [(frame: [UInt8], readyAt: ContinuousClock.Instant)] = []
        var framesCarried = 0
        var isClosed = false
        var isUnplugged = false
    }

    public init(device: SimulatedLedger) {
        self.device = device
        latency = device.configuration.latency
        disconnectAfterFrames = device.configuration.disconnectAfterFrames
        state = Mutex(LinkState(firmware: LedgerHIDDeviceSide(device: device)))
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
            NativeThread.sleep(for: min(deadline - now, Self.pollSlice))
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

    /// The firmware's side of one frame from the host: its replies become readable after the latency.
    private func accept(_ packet: [UInt8], _ state: inout LinkState) {
        let replies = state.firmware.accept(packet)
        let readyAt = ContinuousClock().now + latency
        for frame in replies { state.outbox.append((frame, readyAt)) }
    }
}
