import BridgeDevices
import CHIDAPI
import Glibc

/// A USB HID device opened through hidapi's hidraw backend, as a ``DeviceLink`` of 64-byte reports: what a real
/// Ledger (and a Trezor One with legacy HID firmware) speaks on Linux.
///
/// Writes are 65 bytes, the report-id byte 0 then the 64-byte report, because hidapi takes the report id first and
/// these devices declare none (ledger.md section 1.2: ledgerjs `writeHID` and ledgercomm/ledgerctl
/// `write(b"\x00" + chunk)`; build-notes.md section 3, item 8). Reads return the 64-byte report without it.
public final class HIDLink: DeviceLink, @unchecked Sendable {
    /// The size of one report without the report-id byte.
    public static let reportSize = 64

    // Only the one operation ``DeviceSession`` lets run at a time touches the handle, as with `TCPLink`.
    private var handle: OpaquePointer?
    /// The hidraw node, e.g. `/dev/hidraw3`.
    public let path: String
    public let endpoint: String

    /// Opens the HID device at `path` (a hidraw node from ``HIDEnumerator``).
    ///
    /// A path with no device behind it (unplugged, or never there) fails with ``DeviceError/disconnected(_:)``;
    /// a node the user may not open fails with ``DeviceError/permissionDenied(_:)``, whose hint is the udev rules.
    public init(path: String) throws(DeviceError) {
        self.path = path
        endpoint = "hid:\(path)"
        try HIDLibrary.ensureInitialized()
        guard let device = hid_open_path(path) else {
            throw Self.openFailure(path: path, hidapiMessage: HIDLibrary.lastGlobalError())
        }
        handle = device
    }

    public func send(_ packet: [UInt8]) throws(DeviceError) {
        guard let handle else { throw .disconnected("\(endpoint) is closed") }
        guard packet.count <= Self.reportSize else {
            throw .protocolError("a HID report holds \(Self.reportSize) bytes, not \(packet.count)")
        }
        var report = [UInt8](repeating: 0, count: Self.reportSize + 1)
        report.replaceSubrange(1...packet.count, with: packet)
        let written = hid_write(handle, report, report.count)
        guard written == report.count else {
            // hidraw writes whole reports or fails; a failed write means the device went away.
            throw .disconnected("\(endpoint): write failed: \(HIDLibrary.lastError(on: handle) ?? "device removed")")
        }
    }

    public func receive(timeout: Duration) throws(DeviceError) -> [UInt8]? {
        guard let handle else { throw .disconnected("\(endpoint) is closed") }
        // One byte more than a report: a device that did send a report id is then noticed rather than truncated.
        var buffer = [UInt8](repeating: 0, count: Self.reportSize + 1)
        let count = hid_read_timeout(handle, &buffer, buffer.count, Self.milliseconds(timeout))
        guard count >= 0 else {
            // hidapi's hidraw backend answers POLLHUP/POLLERR (unplugged) and read errors with -1.
            throw .disconnected("\(endpoint): read failed: \(HIDLibrary.lastError(on: handle) ?? "device removed")")
        }
        return count == 0 ? nil : Array(buffer.prefix(Int(count)))
    }

    public func close() {
        if let handle {
            hid_close(handle)
            self.handle = nil
        }
    }

    deinit { close() }

    /// A timeout for `hid_read_timeout`: whole milliseconds, at least 1 for any positive duration (0 would mean
    /// "do not wait", and -1 "wait forever").
    static func milliseconds(_ timeout: Duration) -> Int32 {
        guard timeout > .zero else { return 0 }
        let (seconds, attoseconds) = timeout.components
        let milliseconds = seconds.multipliedReportingOverflow(by: 1000)
        guard !milliseconds.overflow else { return Int32.max }
        return Int32(clamping: max(1, milliseconds.partialValue + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000))
    }

    /// Why `hid_open_path` failed. hidapi only keeps a message, so the node is examined again: a missing node is a
    /// device that went away, an unreadable one a permission problem (missing udev rules).
    static func openFailure(path: String, hidapiMessage: String?) -> DeviceError {
        var status = stat()
        guard stat(path, &status) == 0 else {
            return .disconnected("no device at \(path) (unplugged?)")
        }
        if access(path, R_OK | W_OK) != 0, errno == EACCES {
            let mode = String(status.st_mode & 0o777, radix: 8)
            return .permissionDenied(
                "cannot open \(path) for reading and writing (mode \(mode), owner uid \(status.st_uid), gid \(status.st_gid))")
        }
        if let hidapiMessage, hidapiMessage.contains("Device or resource busy") {
            return .busy("\(path) is held by another program")
        }
        return .disconnected("cannot open \(path): \(hidapiMessage ?? "unknown error")")
    }
}
