import BridgeDevices
import CHIDAPI

/// The process-wide hidapi state.
///
/// hidapi wants `hid_init` once, before any other call, and it is not thread-safe (hidapi.h: "This function
/// should be called at the beginning of execution"); a `static let` runs it exactly once, on first use, under
/// Swift's one-time initialisation lock.
enum HIDLibrary {
    /// Why the library could not be opened (CHIDAPI opens it on first use), or nil.
    private static let unavailable: String? = walletbridge_hidapi_open().map { String(cString: $0) }
    private static let initializationStatus: Int32 = unavailable == nil ? hid_init() : -1

    /// Opens and initialises hidapi on first use; fails when the library is missing or cannot start (no usable udev,
    /// for instance).
    static func ensureInitialized() throws(DeviceError) {
        if let unavailable { throw .deviceFailure("hidapi is not available: \(unavailable) (make deps installs libhidapi-dev)") }
        guard initializationStatus == 0 else {
            throw .deviceFailure("hidapi failed to initialise: \(lastGlobalError() ?? "no reason given")")
        }
    }

    /// hidapi's version string, e.g. `0.13.1`, or `unavailable` when the library cannot be opened.
    static var version: String { unavailable == nil ? String(cString: hid_version_str()) : "unavailable" }

    /// The last error hidapi recorded for calls without a device (`hid_open_path`, `hid_enumerate`), if any.
    static func lastGlobalError() -> String? {
        decodeWideString(hid_error(nil))
    }

    /// The last error hidapi recorded on `device`, if any.
    static func lastError(on device: OpaquePointer) -> String? {
        decodeWideString(hid_error(device))
    }

    /// hidapi returns strings as `wchar_t *`, which is UTF-32 on Linux (build-notes.md section 3, item 7):
    /// decode them by hand. Nil for a null pointer or an empty string.
    static func decodeWideString(_ pointer: UnsafePointer<wchar_t>?) -> String? {
        guard let pointer else { return nil }
        var scalars = String.UnicodeScalarView()
        var offset = 0
        while pointer[offset] != 0 {
            // An invalid code point (a surrogate, or beyond U+10FFFF) becomes U+FFFD rather than failing the whole string.
            scalars.append(Unicode.Scalar(UInt32(bitPattern: pointer[offset])) ?? "\u{FFFD}")
            offset += 1
        }
        return scalars.isEmpty ? nil : String(scalars)
    }
}
