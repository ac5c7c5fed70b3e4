import BridgeDevices
import BridgeUSB

/// Where device commands find real devices: the machine's hidraw and WebUSB devices and its terminal, or fakes that
/// tests put in place for one task (`DeviceEnvironment.$current.withValue(...)`), so selection among several devices
/// is tested without hardware.
///
/// A fake names what it needs: WebUSB lists nothing and the PIN is never asked on a terminal unless it says otherwise.
struct DeviceEnvironment: Sendable {
    /// The wallets hidapi can see.
    var listHIDDevices: @Sendable () throws(DeviceError) -> [HIDDeviceInfo]
    /// Opens one of them: a Ledger as plain 64-byte reports, a legacy Trezor One with its report-id probe.
    var openHIDLink: @Sendable (HIDDeviceInfo) throws(DeviceError) -> any DeviceLink
    /// The Trezors libusb can see.
    var listWebUSBDevices: @Sendable () throws(DeviceError) -> [WebUSBDeviceInfo] = { [] }
    /// Opens one of them.
    var openWebUSBLink: @Sendable (WebUSBDeviceInfo) throws(DeviceError) -> any DeviceLink = { device throws(DeviceError) in
        throw .disconnected("no WebUSB device at \(device.id)")
    }
    /// Asks for a Trezor One PIN on the terminal, when there is one.
    var pinPrompt: TrezorPINPrompt = .unavailable

    /// The real machine.
    static let system = DeviceEnvironment(
        listHIDDevices: { () throws(DeviceError) in try HIDEnumerator.devices() },
        openHIDLink: { device throws(DeviceError) in
            if device.family == .trezor { return try TrezorHIDLink(path: device.path) }
            return try HIDLink(path: device.path)
        },
        listWebUSBDevices: { () throws(DeviceError) in try WebUSBEnumerator.devices() },
        openWebUSBLink: { device throws(DeviceError) in try WebUSBLink(device: device) },
        pinPrompt: .terminal
    )

    /// The environment in force for the current task.
    @TaskLocal static var current = DeviceEnvironment.system
}
