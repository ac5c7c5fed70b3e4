import BridgeCore
import BridgeDevices
import BridgeUSB
import FoundationEssentials
import Glibc

/// What `doctor` examines: the libraries, udev and its rules, the permissions of wallet device nodes, and the
/// devices hidapi sees. Every path is read under `root` ("/" for the machine), so tests check a made-up system.
struct DoctorChecks {
    /// One finding: what was checked, whether it is fine, what was seen, and how to fix it when it is not.
    struct Check: Equatable {
        let name: String
        let ok: Bool
        let detail: String
        let fix: String?

        var json: JSONValue {
            ["name": .string(name), "ok": .bool(ok), "detail": .string(detail), "fix": fix.map(JSONValue.string) ?? .null]
        }
    }

    /// The USB vendor ids of the wallets (Ledger; Trezor One legacy HID; Trezor WebUSB and its FIDO HID interface).
    static let walletVendors: [(vendorID: UInt16, name: String)] = [(0x2C97, "Ledger"), (0x534C, "Trezor"), (0x1209, "Trezor")]
    static let plugdevFix = "On a headless station also add the user to plugdev: sudo usermod -aG plugdev $USER (then log in again)."

    var root = "/"
    var environment = DeviceEnvironment.current
    /// Whether this process may read and write a device node (root may open any).
    var mayOpen: @Sendable (String) -> Bool = { access($0, R_OK | W_OK) == 0 }

    func run() -> [Check] {
        [hidapi(), libusb(), udevDaemon(), udevRules(vendor: "Ledger", patterns: ["2c97"]),
         udevRules(vendor: "Trezor", patterns: ["534c", "53c1"]), nodePermissions(), devices()]
    }

    private func path(_ absolute: String) -> String {
        root == "/" ? absolute : FilePathText.join(root, absolute)
    }

    // MARK: Libraries

    func hidapi() -> Check {
        do {
            _ = try environment.listHIDDevices()
            return Check(name: "hidapi", ok: true, detail: "hidapi \(HIDEnumerator.hidapiVersion) (hidraw backend) loaded and initialised", fix: nil)
        } catch {
            return Check(name: "hidapi", ok: false, detail: error.asBridgeError.message,
                         fix: "Install the hidraw backend of hidapi: sudo apt-get install libhidapi-hidraw0")
        }
    }

    /// libusb is what Trezor's WebUSB interface needs; it is loaded by name so its absence is reported, not fatal.
    func libusb() -> Check {
        guard let handle = dlopen("libusb-1.0.so.0", RTLD_NOW) else {
            return Check(name: "libusb", ok: false, detail: "libusb-1.0.so.0 cannot be loaded: \(String(cString: dlerror()))",
                         fix: "Install libusb: sudo apt-get install libusb-1.0-0 (Trezor over WebUSB needs it)")
        }
        dlclose(handle)
        return Check(name: "libusb", ok: true, detail: "libusb-1.0.so.0 loads (for Trezor over WebUSB)", fix: nil)
    }

    // MARK: udev

    /// udev applies rules only while its daemon runs (/run/udev/control is its socket).
    func udevDaemon() -> Check {
        if FileManager.default.fileExists(atPath: path("/run/udev/control")) {
            return Check(name: "udev", ok: true, detail: "the udev daemon is running", fix: nil)
        }
        return Check(name: "udev", ok: false, detail: "the udev daemon is not running (no /run/udev/control), so no rule applies",
                     fix: "Start systemd-udevd; in a container, pass the device node in with the right permissions instead (e.g. docker --device).")
    }

    /// Whether any rules file udev reads mentions the vendor's USB ids.
    func udevRules(vendor: String, patterns: [String]) -> Check {
        var matching: [String] = []
        for directory in UdevInstaller.udevRulesDirectories {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path(directory))) ?? []
            for name in names.sorted() where name.hasSuffix(".rules") {
                let file = FilePathText.join(directory, name)
                guard let text = try? String(contentsOfFile: path(file), encoding: .utf8).lowercased() else { continue }
                if patterns.contains(where: text.contains) { matching.append(file) }
            }
        }
        if matching.isEmpty {
            return Check(name: "udev rules (\(vendor))", ok: false,
                         detail: "no udev rule mentions \(vendor) devices (\(patterns.joined(separator: ", "))), so only root may open them",
                         fix: "sudo walletbridge udev install, then replug the device")
        }
        return Check(name: "udev rules (\(vendor))", ok: true, detail: "installed: " + matching.joined(separator: ", "), fix: nil)
    }

    // MARK: Device nodes

    /// A wallet's hidraw node, found through sysfs.
    struct WalletNode: Equatable {
        let node: String
        let vendor: String
    }

    /// The hidraw nodes of wallets: /sys/class/hidraw/NAME/device/uevent holds `HID_ID=BUS:VENDOR:PRODUCT` in hex.
    func walletNodes() -> [WalletNode] {
        let classDirectory = path("/sys/class/hidraw")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: classDirectory)) ?? []
        return names.sorted { ($0.count, $0) < ($1.count, $1) }.compactMap { name in
            let uevent = FilePathText.join(classDirectory, "\(name)/device/uevent")
            guard let text = try? String(contentsOfFile: uevent, encoding: .utf8),
                  let vendorID = Self.vendorID(fromUevent: text),
                  let vendor = Self.walletVendors.first(where: { $0.vendorID == vendorID })
            else { return nil }
            return WalletNode(node: "/dev/\(name)", vendor: vendor.name)
        }
    }

    /// The vendor id of a HID uevent: `HID_ID=0003:00002C97:00004011` -> 0x2C97.
    static func vendorID(fromUevent text: String) -> UInt16? {
        for line in text.split(separator: "\n") where line.hasPrefix("HID_ID=") {
            let fields = line.dropFirst("HID_ID=".count).split(separator: ":")
            guard fields.count == 3, let vendor = UInt32(fields[1], radix: 16) else { return nil }
            return UInt16(truncatingIfNeeded: vendor)
        }
        return nil
    }

    /// Whether this user may read and write each wallet's hidraw node.
    func nodePermissions() -> Check {
        let nodes = walletNodes()
        guard !nodes.isEmpty else {
            return Check(name: "device permissions", ok: true, detail: "no Ledger or Trezor hidraw node is present, nothing to check", fix: nil)
        }
        var refused: [String] = []
        var fine: [String] = []
        for wallet in nodes {
            let node = path(wallet.node)
            var status = stat()
            guard stat(node, &status) == 0 else {
                refused.append("\(wallet.node) (\(wallet.vendor)): missing in /dev")
                continue
            }
            let description = "\(wallet.node) (\(wallet.vendor), mode \(String(status.st_mode & 0o777, radix: 8)), uid \(status.st_uid), gid \(status.st_gid))"
            if mayOpen(node) {
                fine.append(description)
            } else {
                refused.append(description)
            }
        }
        if refused.isEmpty {
            return Check(name: "device permissions", ok: true, detail: "readable and writable: " + fine.joined(separator: "; "), fix: nil)
        }
        return Check(name: "device permissions", ok: false, detail: "this user cannot open: " + refused.joined(separator: "; "),
                     fix: "sudo walletbridge udev install, then replug the device. " + Self.plugdevFix)
    }

    // MARK: Devices

    /// The wallets visible over hidraw and, where libusb starts, WebUSB (Trezor).
    func devices() -> Check {
        var found: [DeviceDescriptor]
        do {
            found = try environment.listHIDDevices().map(\.descriptor)
        } catch {
            return Check(name: "devices", ok: false, detail: error.asBridgeError.message, fix: "Run `walletbridge doctor` again after fixing hidapi.")
        }
        // A libusb that cannot start is the libusb check's business; the hidraw devices are still worth listing.
        found += ((try? environment.listWebUSBDevices()) ?? []).map(\.descriptor)
        guard !found.isEmpty else {
            return Check(name: "devices", ok: false, detail: "no Ledger or Trezor is visible over USB HID or WebUSB",
                         fix: "Connect the device by USB and unlock it; close Ledger Live or Trezor Suite if they hold it. Without hardware, use --transport sim:ledger or sim:trezor.")
        }
        let list = found.map { "\($0.id) (\($0.family.rawValue) \($0.model))" }.joined(separator: ", ")
        return Check(name: "devices", ok: true, detail: "\(found.count) visible: \(list)", fix: nil)
    }
}
