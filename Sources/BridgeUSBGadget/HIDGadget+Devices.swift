import BridgeDevices
import BridgeSimulator
import Synchronization

extension HIDGadget {
    /// A ``SimulatedLedger`` (`simulate ledger --usb`): the Ledger's generic HID interface (usage page 0xFFA0, no
    /// report id), VID 2c97 and the model's PID, the frames answered by ``LedgerHIDDeviceSide``. When the open app
    /// changes (E0 D8, B0 A7) it restarts, as a Ledger's USB stack does, so the host sees a new device node.
    public static func ledger(_ device: SimulatedLedger, serialNumber: String = "0001") -> HIDGadget {
        let firmware = Mutex(LedgerHIDDeviceSide(device: device))
        let app = Mutex(device.openApp)
        let model = device.configuration.model
        let identity = ConfigFSGadget.Identity(
            vendorID: 0x2C97, productID: model.usbProductID, manufacturer: "Ledger",
            product: model.displayName.replacing("Ledger ", with: ""), serialNumber: serialNumber)
        let behaviour = Behaviour(
            respond: { report in firmware.withLock { $0.accept(report) } },
            reset: { firmware.withLock { $0 = LedgerHIDDeviceSide(device: device) } },
            latency: device.configuration.latency,
            restarts: {
                app.withLock { app in
                    defer { app = device.openApp }
                    return app != device.openApp
                }
            })
        return HIDGadget(identity: identity, reportDescriptor: ledgerReportDescriptor, behaviour: behaviour)
    }

    /// The Ledger's generic HID report descriptor (ledger-secure-sdk lib_stusb/src/usbd_ledger_hid.c
    /// `HID_ReportDesc`): one 64-byte input report (usage 3) and one 64-byte output report (usage 4).
    public static let ledgerReportDescriptor: [UInt8] = [
        0x06, 0xA0, 0xFF, 0x09, 0x01, 0xA1, 0x01,
        0x09, 0x03, 0x15, 0x00, 0x26, 0xFF, 0x00, 0x75, 0x08, 0x95, 0x40, 0x81, 0x08,
        0x09, 0x04, 0x15, 0x00, 0x26, 0xFF, 0x00, 0x75, 0x08, 0x95, 0x40, 0x91, 0x08,
        0xC0,
    ]

    /// A ``SimulatedTrezor`` One on the legacy HID firmware (`simulate trezor --usb --model one --legacy-hid`):
    /// 534c:0001, one HID interface of 64-byte reports without report id whose packets start with `?`
    /// (trezor-firmware legacy/firmware/usb.c `hid_report_descriptor`, before WebUSB came with firmware 1.7.0).
    public static func trezorOne(_ device: SimulatedTrezor, serialNumber: String = "0001") -> HIDGadget {
        let identity = ConfigFSGadget.Identity(vendorID: 0x534C, productID: 0x0001, manufacturer: "SatoshiLabs",
                                               product: "TREZOR", serialNumber: serialNumber)
        let behaviour = Behaviour(respond: { device.receive(packet: $0) }, reset: {}, latency: device.configuration.latency)
        return HIDGadget(identity: identity, reportDescriptor: trezorOneReportDescriptor, behaviour: behaviour)
    }

    /// trezor-firmware legacy/firmware/usb.c `hid_report_descriptor`: vendor usage page 0xFF00, a 64-byte input
    /// report (usage 0x20) and a 64-byte output report (usage 0x21).
    public static let trezorOneReportDescriptor: [UInt8] = [
        0x06, 0x00, 0xFF, 0x09, 0x01, 0xA1, 0x01,
        0x09, 0x20, 0x15, 0x00, 0x26, 0xFF, 0x00, 0x75, 0x08, 0x95, 0x40, 0x81, 0x02,
        0x09, 0x21, 0x15, 0x00, 0x26, 0xFF, 0x00, 0x75, 0x08, 0x95, 0x40, 0x91, 0x02,
        0xC0,
    ]
}
