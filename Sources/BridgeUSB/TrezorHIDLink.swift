import BridgeDevices
import CHIDAPI

/// A Trezor One on legacy HID firmware (534c:0001) as a ``DeviceLink`` of 64-byte packets, through hidapi.
///
/// Whether hidapi must be handed a report-id byte in front of each packet depends on the firmware, so the link
/// probes it on open the way trezorlib (`transport/hid.py` `probe_hid_version`) and trezord-go (`usb/hidapi.go`
/// `detectPrepend`) do: a 65-byte write `[0, 63, 0xFF×63]` that goes through means "report id 0 in front"
/// (version 2); otherwise a 64-byte write `[63, 0xFF×63]` that goes through means the packet's own `?` serves as
/// report id 63 (version 1). The probe packets carry no `?##` header, so the device discards them.
public final class TrezorHIDLink: DeviceLink, @unchecked Sendable {
    /// How the firmware wants packets handed to hidapi.
    public enum ReportFormat: Int, Sendable, Equatable {
        /// The 64-byte packet as is: its leading `?` (63) is the report id.
        case version1 = 1
        /// Report id 0, then the 64-byte packet.
        case version2 = 2
    }

    /// The two probe writes (trezorlib `probe_hid_version`).
    public static let probeVersion2: [UInt8] = [0, 63] + [UInt8](repeating: 0xFF, count: 63)
    public static let probeVersion1: [UInt8] = [63] + [UInt8](repeating: 0xFF, count: 63)

    /// The report format from the probe writes' results (bytes written, or -1): 65 for the first is version 2,
    /// else 64 for the second is version 1, else nil (the device is not a Trezor HID wire interface). `second` is
    /// only asked for when the first write did not settle it.
    public static func reportFormat(firstWrite: Int, secondWrite: () -> Int) -> ReportFormat? {
        if firstWrite == probeVersion2.count { return .version2 }
        if secondWrite() == probeVersion1.count { return .version1 }
        return nil
    }

    /// The bytes hidapi is given for `packet` in `format`.
    public static func report(for packet: [UInt8], format: ReportFormat) -> [UInt8] {
        format == .version2 ? [0] + packet : packet
    }

    // Only the one operation ``DeviceSession`` lets run at a time touches the handle, as with `HIDLink`.
    private var handle: OpaquePointer?
    public let path: String
    public let endpoint: String
    /// What the probe found.
    public let format: ReportFormat

    /// Opens the hidraw node `path` and probes its report format. Open failures map as ``HIDLink``'s do
    /// (-3 no device, -12 permission, -4 busy); a device that takes neither probe is ``DeviceError/protocolError(_:)``.
    public init(path: String) throws(DeviceError) {
        self.path = path
        endpoint = "hid:\(path)"
        try HIDLibrary.ensureInitialized()
        guard let device = hid_open_path(path) else {
            throw HIDLink.openFailure(path: path, hidapiMessage: HIDLibrary.lastGlobalError())
        }
        let found = Self.reportFormat(
            firstWrite: Int(hid_write(device, Self.probeVersion2, Self.probeVersion2.count)),
            secondWrite: { Int(hid_write(device, Self.probeVersion1, Self.probeVersion1.count)) })
        guard let found else {
            let why = HIDLibrary.lastError(on: device) ?? "no reason given"
            hid_close(device)
            throw .protocolError("\(path) takes neither HID report format of a Trezor One (\(why))")
        }
        handle = device
        format = found
    }

    public func send(_ packet: [UInt8]) throws(DeviceError) {
        guard let handle else { throw .disconnected("\(endpoint) is closed") }
        guard packet.count == HIDLink.reportSize else {
            throw .protocolError("a Trezor HID packet holds \(HIDLink.reportSize) bytes, not \(packet.count)")
        }
        let report = Self.report(for: packet, format: format)
        guard hid_write(handle, report, report.count) == report.count else {
            throw .disconnected("\(endpoint): write failed: \(HIDLibrary.lastError(on: handle) ?? "device removed")")
        }
    }

    public func receive(timeout: Duration) throws(DeviceError) -> [UInt8]? {
        guard let handle else { throw .disconnected("\(endpoint) is closed") }
        var buffer = [UInt8](repeating: 0, count: HIDLink.reportSize)
        let count = hid_read_timeout(handle, &buffer, buffer.count, HIDLink.milliseconds(timeout))
        guard count >= 0 else {
            throw .disconnected("\(endpoint): read failed: \(HIDLibrary.lastError(on: handle) ?? "device removed")")
        }
        guard count > 0 else { return nil }
        // Reads carry no report id on either format (trezorlib reads 64 bytes and checks the size).
        guard count == HIDLink.reportSize else {
            throw .protocolError("\(endpoint): a report of \(count) bytes instead of \(HIDLink.reportSize)")
        }
        return buffer
    }

    public func close() {
        if let handle {
            hid_close(handle)
            self.handle = nil
        }
    }

    deinit { close() }
}
