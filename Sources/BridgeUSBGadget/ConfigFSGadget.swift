import BridgeCore
import BridgeDevices
import FoundationEssentials
import Glibc

/// A USB gadget made through the kernel's configfs (Documentation/usb/gadget_configfs.rst): the device descriptor,
/// strings and one configuration with its functions under `/sys/kernel/config/usb_gadget/NAME`, plugged into a USB
/// device controller (UDC) by writing its name to `UDC`, unplugged by writing an empty line. On a machine without a
/// UDC, `dummy_hcd` gives one whose host side is the same machine, so the device appears to its own USB stack.
public final class ConfigFSGadget: @unchecked Sendable {
    // @unchecked: the stored paths never change; the kernel serialises writes to the configfs files.

    /// What the host reads in the device descriptor and string descriptors.
    public struct Identity: Sendable, Equatable {
        public var vendorID: UInt16
        public var productID: UInt16
        public var manufacturer: String
        public var product: String
        public var serialNumber: String

        public init(vendorID: UInt16, productID: UInt16, manufacturer: String, product: String, serialNumber: String) {
            self.vendorID = vendorID
            self.productID = productID
            self.manufacturer = manufacturer
            self.product = product
            self.serialNumber = serialNumber
        }
    }

    /// Where configfs lives, and the UDCs the kernel offers.
    public static let configFSRoot = "/sys/kernel/config"
    static let gadgetsRoot = configFSRoot + "/usb_gadget"
    static let controllersRoot = "/sys/class/udc"

    public let name: String
    public let directory: String
    /// The UDC the gadget is plugged into while bound.
    public private(set) var controller: String?

    /// A new gadget directory with `identity` and one HID function (`usb_f_hid`) of 64-byte reports; nothing is plugged
    /// in until ``bind(to:)``. `.notSupported` (-9) naming what is missing when the kernel has no gadget support.
    public init(name: String, identity: Identity, hidReportDescriptor: [UInt8]) throws(DeviceError) {
        try Self.ensureConfigFS()
        self.name = name
        directory = Self.gadgetsRoot + "/" + name
        guard mkdir(directory, 0o755) == 0 || errno == EEXIST else {
            throw .notSupported("cannot create the USB gadget \(directory): \(String(cString: strerror(errno)))")
        }
        do throws(DeviceError) {
            try write("0x" + Hex.padded(identity.vendorID, digits: 4), to: "idVendor")
            try write("0x" + Hex.padded(identity.productID, digits: 4), to: "idProduct")
            try write("0x0200", to: "bcdUSB")
            try write("0x0201", to: "bcdDevice")
            try makeDirectory("strings/0x409")
            try write(identity.manufacturer, to: "strings/0x409/manufacturer")
            try write(identity.product, to: "strings/0x409/product")
            try write(identity.serialNumber, to: "strings/0x409/serialnumber")
            try makeDirectory("configs/c.1")
            try makeDirectory("configs/c.1/strings/0x409")
            try write("HID", to: "configs/c.1/strings/0x409/configuration")
            try write("100", to: "configs/c.1/MaxPower")
            try makeDirectory("functions/hid.usb0")
            try write("0", to: "functions/hid.usb0/protocol")
            try write("0", to: "functions/hid.usb0/subclass")
            try write("64", to: "functions/hid.usb0/report_length")
            try write(hidReportDescriptor, to: "functions/hid.usb0/report_desc")
            if symlink(directory + "/functions/hid.usb0", directory + "/configs/c.1/hid.usb0") != 0, errno != EEXIST {
                throw DeviceError.notSupported("cannot link the HID function into the configuration: \(String(cString: strerror(errno)))")
            }
        } catch {
            remove()
            throw error
        }
    }

    /// `/dev/hidgN`, the device side of the HID function (its minor number is N).
    public var hidDevicePath: String? {
        guard let text = try? String(contentsOfFile: directory + "/functions/hid.usb0/dev", encoding: .utf8),
              let minor = text.trimmingWhitespace().split(separator: ":").last
        else { return nil }
        return "/dev/hidg" + minor
    }

    /// Plugs the gadget into `controller` (a free UDC when nil). `.notSupported` when there is none, `.busy` when
    /// the kernel refuses (the UDC is taken).
    public func bind(to controller: String? = nil) throws(DeviceError) {
        guard let chosen = controller ?? Self.freeController() else {
            throw .notSupported("no free USB device controller in \(Self.controllersRoot): load dummy_hcd (modprobe dummy_hcd num=2) or use a machine with a UDC")
        }
        do throws(DeviceError) {
            try write(chosen, to: "UDC")
        } catch {
            throw .busy("cannot plug the gadget into \(chosen): \(error.message)")
        }
        self.controller = chosen
    }

    /// Whether the host has configured the device (its UDC's `state` is "configured"): false while unplugged, and
    /// during an unplug that someone else made (`echo "" > UDC`).
    public var isConfigured: Bool {
        let bound = (try? String(contentsOfFile: directory + "/UDC", encoding: .utf8))?
            .trimmingWhitespace() ?? ""
        guard !bound.isEmpty,
              let state = try? String(contentsOfFile: Self.controllersRoot + "/" + bound + "/state", encoding: .utf8)
        else { return false }
        return state.trimmingWhitespace() == "configured"
    }

    /// Unplugs the gadget (the host sees a disconnect). Doing it twice is harmless.
    public func unbind() {
        _ = try? write("\n", to: "UDC")
    }

    /// Unplugs and deletes the gadget (configfs wants the links and directories removed child first).
    public func remove() {
        unbind()
        for path in ["configs/c.1/hid.usb0"] { unlink(directory + "/" + path) }
        for path in ["configs/c.1/strings/0x409", "configs/c.1", "functions/hid.usb0", "strings/0x409", ""] {
            rmdir(path.isEmpty ? directory : directory + "/" + path)
        }
    }

    /// The UDCs no gadget holds.
    public static func freeController() -> String? {
        let controllers = (try? FileManager.default.contentsOfDirectory(atPath: controllersRoot))?.sorted() ?? []
        let gadgets = (try? FileManager.default.contentsOfDirectory(atPath: gadgetsRoot)) ?? []
        let taken = Set(gadgets.compactMap { gadget in
            (try? String(contentsOfFile: gadgetsRoot + "/" + gadget + "/UDC", encoding: .utf8))?
                .trimmingWhitespace()
        })
        return controllers.first { !taken.contains($0) }
    }

    /// configfs mounted with the gadget framework loaded, mounting it when it is not mounted yet.
    static func ensureConfigFS() throws(DeviceError) {
        if !FileManager.default.fileExists(atPath: gadgetsRoot) {
            _ = mount("none", configFSRoot, "configfs", 0, nil)
        }
        guard FileManager.default.fileExists(atPath: gadgetsRoot) else {
            throw .notSupported("the kernel's USB gadget framework is not available (\(gadgetsRoot) is missing): it needs configfs and libcomposite (modprobe libcomposite usb_f_hid), and root")
        }
    }

    private func makeDirectory(_ relative: String) throws(DeviceError) {
        guard mkdir(directory + "/" + relative, 0o755) == 0 || errno == EEXIST else {
            throw .notSupported("cannot create \(directory)/\(relative): \(String(cString: strerror(errno)))")
        }
    }

    private func write(_ text: String, to relative: String) throws(DeviceError) {
        try write(Array(text.utf8), to: relative)
    }

    private func write(_ bytes: [UInt8], to relative: String) throws(DeviceError) {
        let path = directory + "/" + relative
        let fd = open(path, O_WRONLY)
        guard fd >= 0 else { throw .notSupported("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else {
            throw .notSupported("cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
}
