import BridgeCore
import BridgeDevices
import BridgeUSB
import Foundation
import Testing
@testable import WalletBridgeCLI

@Suite("doctor")
struct DoctorCommandTests {
    /// A made-up system under a temporary root: sysfs entries, device nodes, rules files.
    struct FakeSystem {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("walletbridge-doctor-\(UUID().uuidString)").path

        func write(_ relativePath: String, _ text: String = "") throws {
            let path = root + relativePath
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        }

        /// A hidraw node of a USB device with `vendorID:productID`.
        func hidraw(_ name: String, vendorID: String, productID: String) throws {
            try write("/sys/class/hidraw/\(name)/device/uevent",
                      "DRIVER=hid-generic\nHID_ID=0003:0000\(vendorID):0000\(productID)\nHID_NAME=Wallet\n")
            try write("/dev/\(name)")
        }

        func remove() { try? FileManager.default.removeItem(atPath: root) }
    }

    static let noDevices = DeviceEnvironment(listHIDDevices: { [] }, openHIDLink: { _ throws(DeviceError) in throw .noDevice })

    func check(_ checks: [DoctorChecks.Check], _ name: String) throws -> DoctorChecks.Check {
        try #require(checks.first { $0.name == name }, "no check named \(name)")
    }

    @Test("`doctor` prints every check with name, ok, detail and fix, and succeeds whatever it finds")
    func command() async throws {
        let run = await DeviceEnvironment.$current.withValue(Self.noDevices) { await runCLI(["doctor"]) }
        #expect(run.exitCode == 0, "\(run.stdout)")
        let checks = try #require(try run.json()["checks"]?.arrayValue)
        #expect(checks.compactMap { $0["name"]?.stringValue } == [
            "hidapi", "libusb", "udev", "udev rules (Ledger)", "udev rules (Trezor)", "device permissions", "devices",
        ])
        for check in checks {
            #expect(check.objectValue?.keys == ["name", "ok", "detail", "fix"])
            guard let ok = check["ok"]?.boolValue else {
                Issue.record("ok is not a boolean in \(check.serialized())")
                continue
            }
            #expect(check["detail"]?.stringValue?.isEmpty == false)
            // A failed check says how to fix it; a passed one has nothing to fix.
            #expect(ok == (check["fix"] == .null), "\(check.serialized())")
        }
        #expect(checks[0]["ok"] == true)
        let devices = checks[6]
        #expect(devices["ok"] == false)
        #expect(devices["fix"]?.stringValue?.contains("--transport sim:ledger") == true)
    }

    @Test("Rules, node permissions and devices on a made-up system with a Ledger whose node this user cannot open")
    func madeUpSystem() throws {
        let system = FakeSystem()
        defer { system.remove() }
        try system.hidraw("hidraw3", vendorID: "2C97", productID: "4015")
        try system.hidraw("hidraw10", vendorID: "046D", productID: "C52B")  // a mouse: not a wallet
        try system.write("/run/udev/control")
        try system.write("/etc/udev/rules.d/20-hw1.rules", #"KERNEL=="hidraw*", ATTRS{idVendor}=="2c97", MODE="0666""#)
        let nanoX = HIDDeviceInfo(path: "/dev/hidraw3", vendorID: 0x2C97, productID: 0x4015, family: .ledger, model: "nanox",
                                  interfaceNumber: 0, usagePage: 0xFFA0)
        let environment = DeviceEnvironment(listHIDDevices: { [nanoX] }, openHIDLink: { _ throws(DeviceError) in throw .noDevice })
        var doctor = DoctorChecks(root: system.root, environment: environment)
        doctor.mayOpen = { _ in false }
        let checks = doctor.run()

        #expect(try check(checks, "udev").ok)
        let ledgerRules = try check(checks, "udev rules (Ledger)")
        #expect(ledgerRules.ok)
        #expect(ledgerRules.detail == "installed: /etc/udev/rules.d/20-hw1.rules")
        let trezorRules = try check(checks, "udev rules (Trezor)")
        #expect(!trezorRules.ok)
        #expect(trezorRules.fix == "sudo walletbridge udev install, then replug the device")

        let permissions = try check(checks, "device permissions")
        #expect(!permissions.ok)
        #expect(permissions.detail.hasPrefix("this user cannot open: /dev/hidraw3 (Ledger, mode "))
        #expect(!permissions.detail.contains("hidraw10"))
        #expect(permissions.fix?.contains("plugdev") == true)

        let devices = try check(checks, "devices")
        #expect(devices.ok)
        #expect(devices.detail == "1 visible: hid:/dev/hidraw3 (ledger nanox)")

        doctor.mayOpen = { _ in true }
        let fine = try check(doctor.run(), "device permissions")
        #expect(fine.ok)
        #expect(fine.fix == nil)
    }

    @Test("No udev daemon and no wallet nodes")
    func bareSystem() throws {
        let system = FakeSystem()
        defer { system.remove() }
        try system.write("/sys/class/hidraw/.keep")
        let checks = DoctorChecks(root: system.root, environment: Self.noDevices).run()
        let udev = try check(checks, "udev")
        #expect(!udev.ok)
        #expect(udev.detail.contains("not running"))
        let permissions = try check(checks, "device permissions")
        #expect(permissions.ok)
        #expect(permissions.detail.contains("nothing to check"))
    }

    @Test("The vendor id comes from the HID_ID line of a uevent", arguments: [
        ("HID_ID=0003:00002C97:00004011", UInt16(0x2C97)), ("A=1\nHID_ID=0003:0000534C:00000001\n", 0x534C),
        ("HID_ID=0003:00001209:000053C1", 0x1209),
    ])
    func ueventVendor(text: String, vendorID: UInt16) {
        #expect(DoctorChecks.vendorID(fromUevent: text) == vendorID)
    }

    @Test("A uevent without a usable HID_ID has no vendor")
    func ueventWithoutVendor() {
        #expect(DoctorChecks.vendorID(fromUevent: "DRIVER=hid-generic\n") == nil)
        #expect(DoctorChecks.vendorID(fromUevent: "HID_ID=garbage") == nil)
    }
}
