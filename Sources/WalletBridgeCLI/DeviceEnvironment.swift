import BridgeDevices
import BridgeUSB

/// Where device commands find real devices: the machine's hidraw devices, or fakes that tests put in place for one
/// task (`DeviceEnvironment.$current.withValue(...)`), so selection among several devices is tested without hardware.
struct DeviceEnvironment: Sendable {
    /// The wallets hidapi can see.
    var listHIDDevices: @Sendable () throws(DeviceError) -> [HIDDeviceInfo]
    /// Opens one of them.
    var openHIDLink: @Sendable (HIDDeviceInfo) throws(DeviceError) -> any DeviceLink

    /// The real machine.
    static let system = DeviceEnvironment(
        listHIDDevices: { () throws(DeviceError) in try HIDEnumerator.devices() },
        openHIDLink: { device throws(DeviceError) in try HIDLink(path: device.path) }
    )

    /// The environment in force for the current task.
    @TaskLocal static var current = DeviceEnvironment.system
}
