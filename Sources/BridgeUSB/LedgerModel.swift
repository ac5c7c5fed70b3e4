/// The Ledger models, told apart by their USB product id (../shared/reference/ledger.md section 1.1).
///
/// A running device's PID is `MMII`: the high byte MM is the model, the low byte a bitfield of the USB interfaces it
/// exposes (0x4011 = Nano X with HID + WebUSB). Bootloader and old firmware show the exact legacy PID instead.
/// Sources: device-sdk-ts `packages/device-management-kit/src/internal/device-model/data/StaticDeviceModelDataSource.ts`;
/// ledger-live `libs/ledgerjs/packages/devices/src/index.ts` (`identifyUSBProductId`: exact legacy PID first, then
/// `pid >> 8`); ledger-secure-sdk `lib_stusb/include/usbd_ledger.h` (`USBD_LEDGER_PRODUCT_FLEX = 0x7000`).
public enum LedgerModel: String, Sendable, CaseIterable {
    case blue
    case nanos
    case nanox
    case nanosp
    case stax
    case flex
    /// Ledger Nano Gen5, "Apex" in the SDK.
    case apex

    /// The USB vendor id of every current Ledger (`ledgerUSBVendorId`, ledger-live devices/src/index.ts;
    /// `USBD_LEDGER_VID`, ledger-secure-sdk `lib_stusb/include/usbd_desc.h`).
    public static let vendorID: UInt16 = 0x2C97

    /// The high byte of the PID a running device shows (`productIdMM`).
    public var productIDHighByte: UInt8 {
        switch self {
        case .blue: 0x00
        case .nanos: 0x10
        case .nanox: 0x40
        case .nanosp: 0x50
        case .stax: 0x60
        case .flex: 0x70
        case .apex: 0x80
        }
    }

    /// The exact PID of the bootloader or of old firmware (`legacyUsbProductId`).
    public var legacyProductID: UInt16 {
        switch self {
        case .blue: 0x0000
        case .nanos: 0x0001
        case .nanox: 0x0004
        case .nanosp: 0x0005
        case .stax: 0x0006
        case .flex: 0x0007
        case .apex: 0x0008
        }
    }

    /// The name Ledger gives it.
    public var displayName: String {
        switch self {
        case .blue: "Ledger Blue"
        case .nanos: "Ledger Nano S"
        case .nanox: "Ledger Nano X"
        case .nanosp: "Ledger Nano S Plus"
        case .stax: "Ledger Stax"
        case .flex: "Ledger Flex"
        case .apex: "Ledger Nano Gen5"
        }
    }

    /// The model behind a Ledger USB product id, as ledger-live identifies it: an exact legacy PID first, then the
    /// high byte; nil for a PID no known model uses.
    ///
    /// Unlike ledger-live, a PID below 0x0100 that is no exact legacy PID (0x0002, 0x0003, 0x0009...) is not taken
    /// for a Blue by its zero high byte: the SDK gives such PIDs to bootloaders of other models
    /// (ledger-secure-sdk `usbd_ledger.h`, "inverted" IDs 0x0001...0x0009), so "unknown" is the honest answer.
    public static func identify(productID: UInt16) -> LedgerModel? {
        if let legacy = allCases.first(where: { $0.legacyProductID == productID }) { return legacy }
        let highByte = UInt8(productID >> 8)
        guard highByte != 0 else { return nil }
        return allCases.first { $0.productIDHighByte == highByte }
    }

    /// The model name `enumerate` prints for a product id: the model's raw value, or `unknown-0xMM00` for a model
    /// this version does not know yet (the device may still work: the protocol does not depend on the model).
    public static func name(forProductID productID: UInt16) -> String {
        identify(productID: productID)?.rawValue ?? "unknown-0x" + fourHexDigits(productID & 0xFF00)
    }

    private static func fourHexDigits(_ value: UInt16) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 4 - digits.count) + digits
    }
}
