import BridgeDevices
import CLibUSB

/// The process-wide libusb context that WebUSB enumeration and links share.
///
/// libusb wants one `libusb_init` before any other call; a `static let` runs it exactly once, on first use, under
/// Swift's one-time initialisation lock. The context lives as long as the process (trezorlib keeps its
/// `usb1.USBContext` open until exit the same way, `transport/webusb.py`).
enum LibUSBContext {
    /// The context and libusb_init's status. OpaquePointer is not Sendable, but a libusb context may be used from
    /// any thread (libusb documentation, "Multi-threaded applications and asynchronous I/O"), and this one is
    /// written once, here.
    nonisolated(unsafe) private static let initialization: (context: OpaquePointer?, status: Int32) = {
        guard unavailable == nil else { return (nil, Int32(LIBUSB_ERROR_NOT_SUPPORTED.rawValue)) }
        var context: OpaquePointer?
        let status = libusb_init(&context)
        return (context, status)
    }()

    /// Why the library could not be opened (CLibUSB opens it on first use), or nil.
    private static let unavailable: String? = walletbridge_libusb_open().map { String(cString: $0) }

    /// The context; fails when the library is missing or libusb cannot start (no usbfs, for instance in a container
    /// without /dev/bus/usb).
    static func shared() throws(DeviceError) -> OpaquePointer? {
        if let unavailable { throw .deviceFailure("libusb is not available: \(unavailable) (make deps installs libusb-1.0-0-dev)") }
        guard initialization.status == 0 else {
            throw .deviceFailure("libusb failed to initialise: \(LibUSBError.name(initialization.status))")
        }
        return initialization.context
    }

    /// libusb's version, e.g. `1.0.26`, for `doctor`.
    static var version: String {
        guard unavailable == nil, let version = libusb_get_version()?.pointee else { return "unknown" }
        return "\(version.major).\(version.minor).\(version.micro)"
    }
}
