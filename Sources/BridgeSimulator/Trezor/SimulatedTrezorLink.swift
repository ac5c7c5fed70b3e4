import BridgeCore
import BridgeDevices
import FoundationEssentials
import Synchronization

/// A ``SimulatedTrezor`` as an in-process ``DeviceLink`` of 64-byte packets (`--transport sim:trezor`): the host's
/// ``TrezorDevice`` talks to it exactly as to a Trezor over WebUSB.
///
/// Every packet sent goes straight into the device; the packets it answers with are queued and handed out one per
/// ``receive(timeout:)``. An answer becomes readable `configuration.latency` after the packet that completed its
/// request, all its packets at once, as USB delivers a message's packets back to back.
public final class SimulatedTrezorLink: DeviceLink {
    public let device: SimulatedTrezor
    public let endpoint = "sim:trezor"
    private let latency: Duration
    private let state = Mutex(LinkState())
    /// How often a waiting receive looks for a packet another thread may have caused.
    private static let pollSlice: Duration = .milliseconds(2)

    private struct LinkState {
        var outbox: [(packet: [UInt8], readyAt: ContinuousClock.Instant)] = []
        var isClosed = false
    }

    public init(device: SimulatedTrezor) {
        self.device = device
        latency = device.configuration.latency
    }

    public func send(_ packet: [UInt8]) throws(DeviceError) {
        let result: Result<Void, DeviceError> = state.withLock { state in
            guard !state.isClosed else { return .failure(.disconnected("\(endpoint) is closed")) }
            // The device is called under the link's lock so answers queue in the order their requests were sent.
            let answer = device.receive(packet: packet)
            let readyAt = ContinuousClock.now + latency
            state.outbox += answer.map { ($0, readyAt) }
            return .success(())
        }
        try result.get()
    }

    public func receive(timeout: Duration) throws(DeviceError) -> [UInt8]? {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while true {
            let result: Result<[UInt8]?, DeviceError> = state.withLock { state in
                guard !state.isClosed else { return .failure(.disconnected("\(endpoint) is closed")) }
                guard let next = state.outbox.first, next.readyAt <= clock.now else { return .success(nil) }
                state.outbox.removeFirst()
                return .success(next.packet)
            }
            if let packet = try result.get() { return packet }
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
}
