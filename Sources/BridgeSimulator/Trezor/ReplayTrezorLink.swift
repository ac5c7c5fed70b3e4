import BridgeCore
import BridgeDevices
import FoundationEssentials
import Synchronization

/// A strict replay of a recorded Trezor packet transcript as a ``DeviceLink``, for tests of host code.
///
/// Packets are replayed in their recorded order: each `send` must be byte for byte the next recorded host packet
/// (otherwise ``DeviceError/protocolError(_:)`` naming the transcript, the packet index and both hex strings), and
/// `receive` returns the next recorded device packet once every host packet before it was sent. While the recording
/// has the host speak next, `receive` waits out its timeout and returns nil, as a real device that waits for the host.
public final class ReplayTrezorLink: DeviceLink {
    /// One recorded 64-byte packet.
    public struct Packet: Sendable, Equatable {
        public let fromHost: Bool
        public let bytes: [UInt8]

        public init(fromHost: Bool, bytes: [UInt8]) {
            self.fromHost = fromHost
            self.bytes = bytes
        }
    }

    public let name: String
    public let packets: [Packet]
    public let endpoint: String
    private let state = Mutex(State())

    private struct State {
        var position = 0
        var isClosed = false
    }

    public init(name: String, packets: [Packet]) {
        self.name = name
        self.packets = packets
        endpoint = "replay:\(name)"
    }

    /// How many recorded packets (both directions) have gone through.
    public var position: Int { state.withLock { $0.position } }

    /// True once every recorded packet has gone through.
    public var isFinished: Bool { position == packets.count }

    public func send(_ packet: [UInt8]) throws(DeviceError) {
        let result: Result<Void, DeviceError> = state.withLock { state in
            if state.isClosed { return .failure(.disconnected("\(endpoint) is closed")) }
            let index = state.position
            guard index < packets.count else {
                return .failure(.protocolError("\(name): host sent packet \(index) (\(Hex.encode(packet))) after the transcript ended"))
            }
            let expected = packets[index]
            guard expected.fromHost else {
                return .failure(.protocolError(
                    "\(name): host sent packet \(index) (\(Hex.encode(packet))) where the device speaks (\(Hex.encode(expected.bytes)))"))
            }
            guard packet == expected.bytes else {
                return .failure(.protocolError(
                    "\(name): host packet \(index) differs: sent \(Hex.encode(packet)), recorded \(Hex.encode(expected.bytes))"))
            }
            state.position += 1
            return .success(())
        }
        try result.get()
    }

    public func receive(timeout: Duration) throws(DeviceError) -> [UInt8]? {
        let result: Result<[UInt8]?, DeviceError> = state.withLock { state in
            if state.isClosed { return .failure(.disconnected("\(endpoint) is closed")) }
            guard state.position < packets.count, !packets[state.position].fromHost else { return .success(nil) }
            state.position += 1
            return .success(packets[state.position - 1].bytes)
        }
        if let packet = try result.get() { return packet }
        // Nothing to deliver until the host speaks: behave like a device that stays silent for the whole timeout.
        NativeThread.sleep(for: timeout)
        return nil
    }

    public func close() {
        state.withLock { $0.isClosed = true }
    }
}
