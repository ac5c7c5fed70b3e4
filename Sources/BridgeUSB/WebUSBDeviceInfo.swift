import BridgeDevices

/// A Trezor on WebUSB (1209:53c1 firmware, 1209:53c0 bootloader) as libusb lists it.
public struct WebUSBDeviceInfo: Sendable, Equatable {
    /// The USB bus number.
    public let busNumber: UInt8
    /// The port numbers from the root hub down to the device (libusb_get_port_numbers).
    public let portNumbers: [UInt8]
    public let vendorID: UInt16
    public let productID: UInt16
    /// bcdDevice: its major byte tells a Trezor One (1) from a core model (2).
    public let releaseNumber: UInt16
    /// The USB serial number string (a Trezor One's equals Features.device_id), when it could be read.
    public let serialNumber: String?

    public init(busNumber: UInt8, portNumbers: [UInt8], vendorID: UInt16 = TrezorUSB.vendorID,
                productID: UInt16 = TrezorUSB.firmwareProductID, releaseNumber: UInt16, serialNumber: String? = nil) {
        self.busNumber = busNumber
        self.portNumbers = portNumbers
        self.vendorID = vendorID
        self.productID = productID
        self.releaseNumber = releaseNumber
        self.serialNumber = serialNumber
    }

    /// Where it sits on the bus, as trezorlib's `dev_to_str` writes it: the bus as three digits, then each port,
    /// colon-separated (`001:2:1`), stable while the device stays plugged into the same port.
    public var path: String {
        (["\(busNumber)".leftPadded(to: 3)] + portNumbers.map { "\($0)" }).joined(separator: ":")
    }

    /// The id `enumerate` prints and `--device` takes, the same string trezorlib shows (`webusb:001:2:1`).
    public var id: String { "webusb:\(path)" }

    /// `one` or `core` from bcdDevice; Features name the exact core model once the device is opened.
    public var model: String { TrezorUSB.model(releaseNumber: releaseNumber) }

    /// Whether the device runs its bootloader rather than the firmware.
    public var isBootloader: Bool { productID == TrezorUSB.bootloaderProductID }

    /// How the device layer describes it.
    public var descriptor: DeviceDescriptor {
        DeviceDescriptor(id: id, family: .trezor, model: model, transport: "webusb", path: path)
    }
}

extension String {
    /// The string with zeros in front up to `width` characters.
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
