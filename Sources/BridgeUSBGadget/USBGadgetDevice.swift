import BridgeCore
import BridgeDevices

/// A simulated device on the kernel's USB gadget framework, as `simulate ... --usb` runs it: plugged in by
/// ``start()``, unplugged by ``stop()``, found by the host at ``address`` (`usb:VID:PID`).
public protocol USBGadgetDevice: Sendable {
    var address: String { get }
    func start() throws(DeviceError)
    func stop()
}

extension HIDGadget: USBGadgetDevice {}

extension TrezorGadgetFS: USBGadgetDevice {
    public var address: String { usbAddress(vendorID: Self.vendorID, productID: Self.productID) }
}

/// `usb:VVVV:PPPP`, the address `--transport` takes for a USB device (lowercase hex, four digits each).
func usbAddress(vendorID: UInt16, productID: UInt16) -> String {
    "usb:\(Hex.padded(vendorID, digits: 4)):\(Hex.padded(productID, digits: 4))"
}
