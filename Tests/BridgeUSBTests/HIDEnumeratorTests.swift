import BridgeDevices
import BridgeUSB
import Foundation
import Testing

@Suite("HID enumeration")
struct HIDEnumeratorTests {
    typealias Entry = HIDEnumerator.Entry

    @Test("Only a wallet's main interface is kept: Ledger interface 0, the Trezor One wire link")
    func choosesTheRightInterfaces() {
        let entries = [
            // A Nano X with HID + U2F + WebUSB: interface 0 is the APDU one, interface 1 is FIDO (usage page 0xF1D0).
            Entry(path: "/dev/hidraw11", vendorID: 0x2C97, productID: 0x4015, interfaceNumber: 0, usagePage: 0xFFA0,
                  serialNumber: "0001", productName: "Nano X", manufacturer: "Ledger"),
            Entry(path: "/dev/hidraw12", vendorID: 0x2C97, productID: 0x4015, interfaceNumber: 1, usagePage: 0xF1D0),
            // A Stax whose interface number hidapi could not read: recognised by the usage page.
            Entry(path: "/dev/hidraw3", vendorID: 0x2C97, productID: 0x6011, interfaceNumber: -1, usagePage: 0xFFA0),
            Entry(path: "/dev/hidraw4", vendorID: 0x2C97, productID: 0x6011, interfaceNumber: -1, usagePage: 0xF1D0),
            // A Trezor One on legacy HID firmware: the wire link (0xFF00) and its debug link (0xFF01).
            Entry(path: "/dev/hidraw2", vendorID: 0x534C, productID: 0x0001, interfaceNumber: 0, usagePage: 0xFF00),
            Entry(path: "/dev/hidraw5", vendorID: 0x534C, productID: 0x0001, interfaceNumber: 1, usagePage: 0xFF01),
            // Some other vendor's device and a second listing of the same node.
            Entry(path: "/dev/hidraw0", vendorID: 0x046D, productID: 0xC52B, interfaceNumber: 0, usagePage: 0x0001),
            Entry(path: "/dev/hidraw11", vendorID: 0x2C97, productID: 0x4015, interfaceNumber: 0, usagePage: 0xFFA0),
        ]
        let devices = HIDEnumerator.recognise(entries)
        #expect(devices.map(\.path) == ["/dev/hidraw2", "/dev/hidraw3", "/dev/hidraw11"])
        #expect(devices.map(\.model) == ["one", "stax", "nanox"])
        #expect(devices.map(\.family) == [.trezor, .ledger, .ledger])

        let nanoX = devices[2]
        #expect(nanoX.id == "hid:/dev/hidraw11")
        #expect(nanoX.serialNumber == "0001")
        #expect(nanoX.productName == "Nano X")
        #expect(nanoX.descriptor == DeviceDescriptor(id: "hid:/dev/hidraw11", family: .ledger, model: "nanox",
                                                     transport: "hid", path: "/dev/hidraw11"))
    }

    @Test("An unknown Ledger model is still listed, named by its product id")
    func unknownLedgerModel() {
        let devices = HIDEnumerator.recognise([
            Entry(path: "/dev/hidraw7", vendorID: 0x2C97, productID: 0x9011, interfaceNumber: 0, usagePage: 0xFFA0),
        ])
        #expect(devices.map(\.model) == ["unknown-0x9000"])
    }

    @Test("Enumerating real hidraw devices succeeds, with an empty list when there are none")
    func enumerateWithoutDevices() throws {
        let devices = try HIDEnumerator.devices()
        let hidrawNodes = (try? FileManager.default.contentsOfDirectory(atPath: "/dev"))?.filter { $0.hasPrefix("hidraw") } ?? []
        if hidrawNodes.isEmpty {
            #expect(devices.isEmpty)
        }
        for device in devices {
            #expect(device.vendorID == 0x2C97 || device.vendorID == 0x534C)
            #expect(device.path.hasPrefix("/dev/hidraw"))
        }
        #expect(!HIDEnumerator.hidapiVersion.isEmpty)
    }
}
