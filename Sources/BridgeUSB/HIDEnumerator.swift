import BridgeDevices
import CHIDAPI

/// Lists the hardware wallets reachable through hidapi (hidraw): Ledger devices and Trezor Ones with legacy HID
/// firmware. A machine with none gets an empty list, not an error.
public enum HIDEnumerator {
    /// Trezor One with firmware < 1.7.0 or bootloader < 1.6.0: the only Trezor on HID; later ones use WebUSB
    /// (trezor.md section 1; trezor-firmware `python/src/trezorlib/models.py` `USBID_TREZOR_ONE`).
    public static let trezorOneLegacyVendorID: UInt16 = 0x534C
    public static let trezorOneLegacyProductID: UInt16 = 0x0001
    /// The Ledger generic HID interface's usage page (ledger-secure-sdk `lib_stusb/src/usbd_ledger_hid.c`).
    public static let ledgerUsagePage: UInt16 = 0xFFA0
    /// The Trezor One legacy wire interface's usage page; 0xFF01 is its debug link (trezorlib `transport/hid.py`).
    public static let trezorWireUsagePage: UInt16 = 0xFF00

    /// One entry of hidapi's list, before it is recognised.
    public struct Entry: Sendable, Equatable {
        public var path: String
        public var vendorID: UInt16
        public var productID: UInt16
        public var interfaceNumber: Int
        public var usagePage: UInt16
        public var releaseNumber: UInt16
        public var serialNumber: String?
        public var productName: String?
        public var manufacturer: String?

        public init(path: String, vendorID: UInt16, productID: UInt16, interfaceNumber: Int, usagePage: UInt16,
                    releaseNumber: UInt16 = 0, serialNumber: String? = nil, productName: String? = nil,
                    manufacturer: String? = nil) {
            self.path = path
            self.vendorID = vendorID
            self.productID = productID
            self.interfaceNumber = interfaceNumber
            self.usagePage = usagePage
            self.releaseNumber = releaseNumber
            self.serialNumber = serialNumber
            self.productName = productName
            self.manufacturer = manufacturer
        }
    }

    /// The wallets connected now, in hidraw path order.
    public static func devices() throws(DeviceError) -> [HIDDeviceInfo] {
        try HIDLibrary.ensureInitialized()
        let entries = listEntries(vendorID: LedgerModel.vendorID, productID: 0)
            + listEntries(vendorID: trezorOneLegacyVendorID, productID: trezorOneLegacyProductID)
        return recognise(entries)
    }

    /// The entries that are a wallet's main interface, recognised, without duplicates, sorted by path. Pure, so tests
    /// check the choice without hardware.
    public static func recognise(_ entries: [Entry]) -> [HIDDeviceInfo] {
        var seen = Set<String>()
        var devices: [HIDDeviceInfo] = []
        for entry in entries {
            guard let (family, model) = identify(entry), seen.insert(entry.path).inserted else { continue }
            devices.append(HIDDeviceInfo(
                path: entry.path, vendorID: entry.vendorID, productID: entry.productID, family: family, model: model,
                serialNumber: entry.serialNumber, productName: entry.productName, manufacturer: entry.manufacturer,
                interfaceNumber: entry.interfaceNumber, usagePage: entry.usagePage, releaseNumber: entry.releaseNumber))
        }
        // Shorter first, so /dev/hidraw2 comes before /dev/hidraw10.
        return devices.sorted { ($0.path.count, $0.path) < ($1.path.count, $1.path) }
    }

    /// The family and model of an interface WalletBridge talks to; nil for any other (a Ledger's U2F interface,
    /// a Trezor's debug link, another vendor).
    public static func identify(_ entry: Entry) -> (DeviceDescriptor.Family, String)? {
        switch (entry.vendorID, entry.productID) {
        case (LedgerModel.vendorID, _):
            // Linux: interface 0 is the generic HID one; the usage page is the fallback when the interface number
            // is unknown (ledgerjs TransportNodeHid `filterInterface`; ledgercomm `hid_device.py`). Never the U2F
            // interface (usage page 0xF1D0).
            let isAPDUInterface = entry.interfaceNumber == 0
                || (entry.interfaceNumber < 0 && entry.usagePage == ledgerUsagePage)
            guard isAPDUInterface else { return nil }
            return (.ledger, LedgerModel.name(forProductID: entry.productID))
        case (trezorOneLegacyVendorID, trezorOneLegacyProductID):
            // The wire interface: usage page 0xFF00 or interface 0 (trezorlib `transport/hid.py` `is_wirelink`).
            guard entry.usagePage == trezorWireUsagePage || entry.interfaceNumber == 0 else { return nil }
            return (.trezor, "one")
        default:
            return nil
        }
    }

    /// hidapi's list for one vendor (and product, 0 = any), copied out and freed.
    private static func listEntries(vendorID: UInt16, productID: UInt16) -> [Entry] {
        guard let first = hid_enumerate(vendorID, productID) else { return [] }
        defer { hid_free_enumeration(first) }
        var entries: [Entry] = []
        var current: UnsafeMutablePointer<hid_device_info>? = first
        while let info = current?.pointee {
            if let path = info.path {
                entries.append(Entry(
                    path: String(cString: path), vendorID: info.vendor_id, productID: info.product_id,
                    interfaceNumber: Int(info.interface_number), usagePage: info.usage_page,
                    releaseNumber: info.release_number,
                    serialNumber: HIDLibrary.decodeWideString(info.serial_number),
                    productName: HIDLibrary.decodeWideString(info.product_string),
                    manufacturer: HIDLibrary.decodeWideString(info.manufacturer_string)))
            }
            current = info.next
        }
        return entries
    }

    /// The hidapi version in use, for `doctor`.
    public static var hidapiVersion: String { HIDLibrary.version }
}
