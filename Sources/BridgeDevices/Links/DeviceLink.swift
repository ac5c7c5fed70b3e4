/// Moves packets to and from one device. Links only move bytes: every protocol lives above them, so a real USB
/// device, an emulator socket, the in-process simulator and a replayed transcript all look the same to it.
///
/// Calls block the calling thread for at most the given timeout; ``DeviceSession`` runs them off the caller's task.
public protocol DeviceLink: AnyObject, Sendable {
    /// Where the link goes, e.g. `hid:/dev/hidraw3`, `tcp:127.0.0.1:9999`, `sim:ledger`.
    var endpoint: String { get }

    /// Sends one packet: a 64-byte report for HID-style links (without hidapi's report-id byte), or a chunk of
    /// the byte stream for stream links.
    func send(_ packet: [UInt8]) throws(DeviceError)

    /// The next packet (or stream chunk), waiting at most `timeout`; nil when nothing arrived in time.
    func receive(timeout: Duration) throws(DeviceError) -> [UInt8]?

    /// Releases the device. Further calls fail with ``DeviceError/disconnected(_:)``.
    func close()
}
