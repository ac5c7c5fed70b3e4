import BridgeDevices

/// A wallet's HID interface as hidapi lists it, kept only when it is the interface WalletBridge talks to.
public struct HIDDeviceInfo: Sendable, Equatable {
    /// The hidraw node, e.g. `/dev/hidraw3`.
    public let path: String
    public let vendorID: UInt16
    public let productID: UInt16
    public let family: DeviceDescriptor.Family
    /// `nanox`, `nanosp`, `stax`... for a Ledger (``LedgerModel``); `one` for a Trezor One.
    public let model: String
    /// The USB serial number string, when the device has one.
    public let serialNumber: String?
    /// The USB product string, e.g. "Nano X".
    public let productName: String?
    public let manufacturer: String?
    /// The USB interface number; -1 when hidapi could not tell.
    public let interfaceNumber: Int
    public let usagePage: UInt16
    /// bcdDevice.
    public let releaseNumber: UInt16

    public init(path: String, vendorID: UInt16, productID: UInt16, family: DeviceDescriptor.Family, model: String,
                serialNumber: String? = nil, productName: String? = nil, manufacturer: String? = nil,
                interfaceNumber: Int, usagePage: UInt16, releaseNumber: UInt16 = 0) {
        self.path = path
        self.vendorID = vendorID
        self.productID = productID
        self.family = family
        self.model = model
        self.serialNumber = serialNumber
        self.productName = productName
        self.manufacturer = manufacturer
        self.interfaceNumber = interfaceNumber
        self.usagePage = usagePage
        self.releaseNumber = releaseNumber
    }

    /// The id `enumerate` prints and `--device` takes: `hid:` and the node, stable while the device stays plugged in.
    public var id: String { "hid:\(path)" }

    /// How the device layer describes it.
    public var descriptor: DeviceDescriptor {
        DeviceDescriptor(id: id, family: family, model: model, transport: "hid", path: path)
    }
}
