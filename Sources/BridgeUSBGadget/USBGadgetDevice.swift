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
    public var address: String { "usb:\(Hex.padded(Self.vendorID, digits: 4)):\(Hex.padded(Self.productID, digits: 4))" }
}
