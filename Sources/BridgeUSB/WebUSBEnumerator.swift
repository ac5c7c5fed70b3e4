import BridgeDevices
import CLibUSB

/// Lists the Trezors reachable over WebUSB through libusb: Trezor One >= 1.7.0, Model T, Safe 3/5/7 and their
/// bootloaders (trezor.md section 1). A machine with none gets an empty list, not an error.
public enum WebUSBEnumerator {
    /// One USB device of libusb's list, before it is recognised.
    public struct Entry: Sendable, Equatable {
        public var busNumber: UInt8
        public var portNumbers: [UInt8]
        public var vendorID: UInt16
        public var productID: UInt16
        public var releaseNumber: UInt16
        /// bInterfaceClass of configuration 0, interface 0, alternate setting 0; nil when unreadable.
        public var interfaceClass: UInt8?
        public var serialNumber: String?

        public init(busNumber: UInt8, portNumbers: [UInt8], vendorID: UInt16, productID: UInt16, releaseNumber: UInt16,
                    interfaceClass: UInt8?, serialNumber: String? = nil) {
            self.busNumber = busNumber
            self.portNumbers = portNumbers
            self.vendorID = vendorID
            self.productID = productID
            self.releaseNumber = releaseNumber
            self.interfaceClass = interfaceClass
            self.serialNumber = serialNumber
        }
    }

    /// The vendor-specific interface class the wire interface has (`LIBUSB_CLASS_VENDOR_SPEC`, trezorlib
    /// `transport/webusb.py` `is_vendor_class`; firmware `USB_CLASS_WEBUSB 0xFF`).
    public static let vendorSpecificClass: UInt8 = 0xFF

    /// The Trezors connected now, sorted by bus path.
    public static func devices() throws(DeviceError) -> [WebUSBDeviceInfo] {
        let context = try LibUSBContext.shared()
        return recognise(try withDeviceList(context) { devices in devices.compactMap(entry(for:)) })
    }

    /// The entries that are a Trezor's WebUSB wire interface, without duplicates, sorted by bus path. Pure, so tests
    /// check the choice without hardware.
    public static func recognise(_ entries: [Entry]) -> [WebUSBDeviceInfo] {
        var seen = Set<String>()
        var devices: [WebUSBDeviceInfo] = []
        for entry in entries where TrezorUSB.isWebUSBTrezor(vendorID: entry.vendorID, productID: entry.productID) {
            // trezorlib takes a device only when interface 0 is vendor-specific (the WebUSB wire interface).
            guard entry.interfaceClass == vendorSpecificClass else { continue }
            let device = WebUSBDeviceInfo(
                busNumber: entry.busNumber, portNumbers: entry.portNumbers, vendorID: entry.vendorID,
                productID: entry.productID, releaseNumber: entry.releaseNumber, serialNumber: entry.serialNumber)
            guard seen.insert(device.path).inserted else { continue }
            devices.append(device)
        }
        return devices.sorted {
            $0.busNumber != $1.busNumber ? $0.busNumber < $1.busNumber : $0.portNumbers.lexicographicallyPrecedes($1.portNumbers)
        }
    }

    /// Runs `body` with libusb's current device list, freed afterwards (each device unreferenced).
    static func withDeviceList<Result>(
        _ context: OpaquePointer?, _ body: ([OpaquePointer]) throws(DeviceError) -> Result
    ) throws(DeviceError) -> Result {
        var list: UnsafeMutablePointer<OpaquePointer?>?
        let count = libusb_get_device_list(context, &list)
        guard count >= 0, let list else {
            throw LibUSBError.deviceError(Int32(truncatingIfNeeded: count), operation: "listing USB devices", endpoint: "webusb")
        }
        defer { libusb_free_device_list(list, 1) }
        let devices = (0..<Int(count)).compactMap { list[$0] }
        return try body(devices)
    }

    /// Bus and port numbers of a listed device.
    static func location(of device: OpaquePointer) -> (bus: UInt8, ports: [UInt8]) {
        // USB 3 allows at most 7 tiers of hubs (libusb_get_port_numbers documentation).
        var ports = [UInt8](repeating: 0, count: 8)
        let count = libusb_get_port_numbers(device, &ports, Int32(ports.count))
        return (libusb_get_bus_number(device), Array(ports.prefix(Int(max(0, count)))))
    }

    /// The entry of a Trezor-looking device (USB id only checked here; everything else is left to ``recognise(_:)``).
    private static func entry(for device: OpaquePointer) -> Entry? {
        var descriptor = libusb_device_descriptor()
        guard libusb_get_device_descriptor(device, &descriptor) == 0,
              TrezorUSB.isWebUSBTrezor(vendorID: descriptor.idVendor, productID: descriptor.idProduct)
        else { return nil }
        let (bus, ports) = location(of: device)
        return Entry(busNumber: bus, portNumbers: ports, vendorID: descriptor.idVendor, productID: descriptor.idProduct,
                     releaseNumber: descriptor.bcdDevice, interfaceClass: firstInterfaceClass(device),
                     serialNumber: serialNumber(device, index: descriptor.iSerialNumber))
    }

    /// bInterfaceClass of configuration 0, interface 0, alternate setting 0.
    private static func firstInterfaceClass(_ device: OpaquePointer) -> UInt8? {
        var configuration: UnsafeMutablePointer<libusb_config_descriptor>?
        guard libusb_get_config_descriptor(device, 0, &configuration) == 0, let configuration else { return nil }
        defer { libusb_free_config_descriptor(configuration) }
        guard configuration.pointee.bNumInterfaces > 0, let interface = configuration.pointee.interface,
              interface.pointee.num_altsetting > 0, let setting = interface.pointee.altsetting
        else { return nil }
        return setting.pointee.bInterfaceClass
    }

    /// The serial number string, read by opening the device briefly (no interface is claimed, so a device another
    /// program holds is still read); nil when it cannot be opened (no permission) or has none.
    private static func serialNumber(_ device: OpaquePointer, index: UInt8) -> String? {
        guard index != 0 else { return nil }
        var handle: OpaquePointer?
        guard libusb_open(device, &handle) == 0, let handle else { return nil }
        defer { libusb_close(handle) }
        var buffer = [UInt8](repeating: 0, count: 128)
        let count = libusb_get_string_descriptor_ascii(handle, index, &buffer, Int32(buffer.count))
        guard count > 0 else { return nil }
        return String(decoding: buffer.prefix(Int(count)), as: UTF8.self)
    }

    /// The libusb version in use, for `doctor`.
    public static var libusbVersion: String { LibUSBContext.version }
}
