/// How Trezor devices show on USB (trezor.md section 1), and the model name a USB listing can give before the
/// device's Features settle it.
public enum TrezorUSB {
    /// pid.codes vendor id of every WebUSB Trezor (trezor-firmware `python/src/trezorlib/models.py`; legacy/firmware/usb.c).
    public static let vendorID: UInt16 = 0x1209
    /// Firmware (Trezor One >= 1.7.0, Model T, Safe 3/5/7).
    public static let firmwareProductID: UInt16 = 0x53C1
    /// Bootloader (Trezor One >= 1.6.0, every core model).
    public static let bootloaderProductID: UInt16 = 0x53C0
    /// The wire interface and its interrupt endpoints: trezorlib `transport/webusb.py` (`INTERFACE=0, ENDPOINT=1`,
    /// reads from `0x80|ENDPOINT`), trezor-suite `packages/transport/src/constants.ts` (`CONFIGURATION_ID=1`),
    /// trezord-go `usb/libusb.go` (`normalIface {0, 0x81, 0x01}`).
    public static let configuration: Int32 = 1
    public static let interface: Int32 = 0
    public static let endpointOut: UInt8 = 0x01
    public static let endpointIn: UInt8 = 0x81
    /// Every transfer is one 64-byte packet (`WEBUSB_CHUNK_SIZE = 64`).
    public static let packetSize = 64

    /// Whether a USB id is a WebUSB Trezor.
    public static func isWebUSBTrezor(vendorID: UInt16, productID: UInt16) -> Bool {
        vendorID == Self.vendorID && (productID == firmwareProductID || productID == bootloaderProductID)
    }

    /// The model a USB listing tells: bcdDevice's major byte is 1 on a Trezor One and 2 on the core models (trezord-go
    /// `usb/libusb.go` `matchType`; trezor-suite `api/usb.ts` `deviceVersionMajor === 2`). "core" stands for T, Safe 3,
    /// 5 and 7 until Features (internal_model) names the model.
    public static func model(releaseNumber: UInt16) -> String {
        switch releaseNumber >> 8 {
        case 1: "one"
        case 2: "core"
        default: "unknown"
        }
    }
}
