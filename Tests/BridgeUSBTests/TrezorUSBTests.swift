import BridgeCore
import BridgeDevices
@testable import BridgeUSB
import CLibUSB
import Foundation
import Testing

/// What of the WebUSB and legacy-HID Trezor links can be checked without a device: recognition, bus paths, error
/// mapping, transfer outcomes and the HID report-id probe; plus one real-device exchange when
/// `WALLETBRIDGE_TREZOR_WEBUSB` is set.
@Suite("Trezor USB links")
struct TrezorUSBTests {
    typealias Entry = WebUSBEnumerator.Entry

    @Test("WebUSB: only 1209:53c1/53c0 with a vendor-specific interface 0, sorted by bus path, ids as trezorlib writes them")
    func recognition() {
        let entries = [
            Entry(busNumber: 3, portNumbers: [1], vendorID: 0x1209, productID: 0x53C1, releaseNumber: 0x0200,
                  interfaceClass: 0xFF, serialNumber: "ABCDEF"),
            // A Trezor One (bcdDevice 1.x) behind a hub, and its bootloader on another port.
            Entry(busNumber: 1, portNumbers: [2, 4], vendorID: 0x1209, productID: 0x53C1, releaseNumber: 0x0100, interfaceClass: 0xFF),
            Entry(busNumber: 1, portNumbers: [2, 1], vendorID: 0x1209, productID: 0x53C0, releaseNumber: 0x0100, interfaceClass: 0xFF),
            // Another pid.codes device, a Trezor whose interface 0 is HID (a Windows double listing), an unreadable one,
            // and the first device listed twice.
            Entry(busNumber: 1, portNumbers: [3], vendorID: 0x1209, productID: 0x0001, releaseNumber: 0x0100, interfaceClass: 0xFF),
            Entry(busNumber: 1, portNumbers: [5], vendorID: 0x1209, productID: 0x53C1, releaseNumber: 0x0200, interfaceClass: 0x03),
            Entry(busNumber: 1, portNumbers: [6], vendorID: 0x1209, productID: 0x53C1, releaseNumber: 0x0200, interfaceClass: nil),
            Entry(busNumber: 3, portNumbers: [1], vendorID: 0x1209, productID: 0x53C1, releaseNumber: 0x0200, interfaceClass: 0xFF),
        ]
        let devices = WebUSBEnumerator.recognise(entries)
        #expect(devices.map(\.id) == ["webusb:001:2:1", "webusb:001:2:4", "webusb:003:1"])
        #expect(devices.map(\.model) == ["one", "one", "core"])
        #expect(devices.map(\.isBootloader) == [true, false, false])
        #expect(devices[2].serialNumber == "ABCDEF")
        #expect(devices[1].descriptor == DeviceDescriptor(id: "webusb:001:2:4", family: .trezor, model: "one",
                                                          transport: "webusb", path: "001:2:4"))
        #expect(WebUSBDeviceInfo(busNumber: 112, portNumbers: [10, 3, 7], releaseNumber: 0x0200).path == "112:10:3:7")
        #expect(TrezorUSB.model(releaseNumber: 0x0300) == "unknown")
    }

    @Test("libusb errors: BUSY -4 (Suite/Bridge), ACCESS -12 (udev), NO_DEVICE/PIPE/IO -3")
    func errorMapping() {
        func mapped(_ status: libusb_error) -> DeviceError {
            LibUSBError.deviceError(status.rawValue, operation: "claim interface 0", endpoint: "webusb:001:2")
        }
        #expect(mapped(LIBUSB_ERROR_BUSY) == .busy("another program (Trezor Suite/Bridge?) holds the device"))
        #expect(mapped(LIBUSB_ERROR_BUSY).code.rawValue == -4)
        let access = mapped(LIBUSB_ERROR_ACCESS)
        #expect(access.code.rawValue == -12)
        #expect(access.hint.contains("udev install"))
        #expect(access.message.contains("LIBUSB_ERROR_ACCESS"))
        for status in [LIBUSB_ERROR_NO_DEVICE, LIBUSB_ERROR_PIPE, LIBUSB_ERROR_IO] {
            let error = mapped(status)
            #expect(error.code.rawValue == -3, "\(status)")
            #expect(error.message.contains("webusb:001:2: claim interface 0 failed (\(LibUSBError.name(status.rawValue)))"))
        }
        #expect(mapped(LIBUSB_ERROR_OVERFLOW).code.rawValue == -11)
        #expect(LibUSBError.name(LIBUSB_ERROR_PIPE.rawValue) == "LIBUSB_ERROR_PIPE")
    }

    @Test("Interrupt transfer outcomes: a whole packet is done even when the timeout struck; nothing is a retry")
    func transferOutcomes() {
        let timeout = LIBUSB_ERROR_TIMEOUT.rawValue
        #expect(WebUSBLink.outcome(status: 0, transferred: 64, expected: 64) == .done)
        #expect(WebUSBLink.outcome(status: timeout, transferred: 64, expected: 64) == .done)
        #expect(WebUSBLink.outcome(status: timeout, transferred: 0, expected: 64) == .retry)
        #expect(WebUSBLink.outcome(status: LIBUSB_ERROR_INTERRUPTED.rawValue, transferred: 0, expected: 64) == .retry)
        #expect(WebUSBLink.outcome(status: 0, transferred: 20, expected: 64) == .partial(20))
        #expect(WebUSBLink.outcome(status: LIBUSB_ERROR_NO_DEVICE.rawValue, transferred: 0, expected: 64)
            == .failed(LIBUSB_ERROR_NO_DEVICE.rawValue))
    }

    @Test("Legacy HID report-id probe: 65 bytes written is version 2 (id 0 in front), else 64 is version 1, else unknown")
    func reportIDProbe() {
        #expect(TrezorHIDLink.probeVersion2.count == 65 && TrezorHIDLink.probeVersion2.prefix(2) == [0, 63])
        #expect(TrezorHIDLink.probeVersion1.count == 64 && TrezorHIDLink.probeVersion1.first == 63)
        #expect(TrezorHIDLink.probeVersion1.dropFirst().allSatisfy { $0 == 0xFF })
        var secondAsked = false
        #expect(TrezorHIDLink.reportFormat(firstWrite: 65, secondWrite: { secondAsked = true; return 64 }) == .version2)
        #expect(!secondAsked, "a first write that went through settles it")
        #expect(TrezorHIDLink.reportFormat(firstWrite: -1, secondWrite: { 64 }) == .version1)
        #expect(TrezorHIDLink.reportFormat(firstWrite: -1, secondWrite: { -1 }) == nil)
        #expect(TrezorHIDLink.reportFormat(firstWrite: 64, secondWrite: { 63 }) == nil)

        let packet = [UInt8]("?##".utf8) + [UInt8](repeating: 0, count: 61)
        #expect(TrezorHIDLink.report(for: packet, format: .version2) == [0] + packet)
        #expect(TrezorHIDLink.report(for: packet, format: .version1) == packet)
    }

    @Test("Enumerating real WebUSB devices succeeds where libusb starts, with an empty list when there are none")
    func enumerateWithoutDevices() throws {
        switch Result(catching: { () throws(DeviceError) in try WebUSBEnumerator.devices() }) {
        case .success(let devices):
            #expect(devices.allSatisfy { $0.id.hasPrefix("webusb:") })
        case .failure(let error):
            // A container without USB may keep libusb from starting: that is reported, never a crash.
            #expect(error.message.contains("libusb failed to initialise"), "\(error)")
        }
    }

    /// Set to 1 (or a `webusb:...` id) with a Trezor connected to run ``realDevice()``.
    static let realTrezor = ProcessInfo.processInfo.environment["WALLETBRIDGE_TREZOR_WEBUSB"]

    @Test("A real Trezor on WebUSB answers Initialize with Features",
          .enabled(if: realTrezor != nil, "needs a Trezor on USB: set WALLETBRIDGE_TREZOR_WEBUSB=1 (or a webusb:... id)"))
    func realDevice() throws {
        let wanted = try #require(Self.realTrezor)
        let devices = try WebUSBEnumerator.devices()
        let device = try #require(devices.first { wanted.hasPrefix("webusb:") ? $0.id == wanted : !$0.isBootloader },
                                  "no Trezor on WebUSB among \(devices.map(\.id))")
        let link = try WebUSBLink(device: device)
        defer { link.close() }
        // Initialize (type 0, empty): `?##` + type 0 + length 0, zero-padded (trezor.md section 2).
        try link.send([0x3F, 0x23, 0x23] + [UInt8](repeating: 0, count: 61))
        var reply: [UInt8]?
        let clock = ContinuousClock()
        let giveUp = clock.now.advanced(by: .seconds(10))
        // Skip stale packets of an earlier exchange until a message starts.
        while clock.now < giveUp {
            guard let packet = try link.receive(timeout: .milliseconds(500)) else { continue }
            if packet.starts(with: [0x3F, 0x23, 0x23]) { reply = packet; break }
        }
        let first = try #require(reply, "no answer within 10 s")
        #expect(first.count == 64)
        // Features is message type 17 (0x0011).
        #expect(Array(first[3...4]) == [0x00, 0x11])
    }
}
