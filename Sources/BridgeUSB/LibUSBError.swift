import BridgeDevices
import CLibUSB

/// What libusb's negative return codes mean for a wallet user (libusb.h `enum libusb_error`).
///
/// The mapping follows the Trezor tools' experience (trezor.md section 1 and "Common user complaints"):
/// BUSY is another program holding the interface (Trezor Suite or Bridge: trezorlib raises `DeviceIsBusy` on it,
/// `transport/webusb.py`), ACCESS is missing udev rules, and NO_DEVICE, PIPE (how Linux reports an unplug during a
/// transfer, trezord-go#96) and IO are a lost device.
public enum LibUSBError {
    /// What `busy` says: the Trezor tools that are known to hold the interface.
    public static let busyReason = "another program (Trezor Suite/Bridge?) holds the device"

    /// The ``DeviceError`` for a failed libusb call `operation` (e.g. "claim interface 0") on `endpoint`.
    /// Timeouts and interruptions are the caller's to handle; mapped here they are a failed call like any other.
    public static func deviceError(_ status: Int32, operation: String, endpoint: String) -> DeviceError {
        let detail = "\(endpoint): \(operation) failed (\(name(status)))"
        switch status {
        case LIBUSB_ERROR_BUSY.rawValue:
            return .busy(busyReason)
        case LIBUSB_ERROR_ACCESS.rawValue:
            return .permissionDenied("\(detail): this user may not open the Trezor's USB device (udev rules missing?)")
        case LIBUSB_ERROR_NO_DEVICE.rawValue, LIBUSB_ERROR_NOT_FOUND.rawValue:
            return .disconnected("\(detail): the device is gone (unplugged?)")
        case LIBUSB_ERROR_PIPE.rawValue, LIBUSB_ERROR_IO.rawValue:
            return .disconnected(detail)
        case LIBUSB_ERROR_TIMEOUT.rawValue:
            return .disconnected("\(detail): the device stopped answering")
        case LIBUSB_ERROR_OVERFLOW.rawValue:
            return .protocolError("\(detail): the device sent more than one 64-byte packet")
        default:
            return .deviceFailure(detail)
        }
    }

    /// libusb's name for a status, e.g. `LIBUSB_ERROR_BUSY`.
    public static func name(_ status: Int32) -> String {
        guard let name = libusb_error_name(status) else { return "libusb error \(status)" }
        return String(cString: name)
    }
}
