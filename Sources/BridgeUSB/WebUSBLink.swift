import BridgeDevices
import CLibUSB

/// A Trezor's WebUSB wire interface opened through libusb, as a ``DeviceLink`` of 64-byte packets: interface 0 of
/// configuration 1, interrupt endpoints OUT 0x01 and IN 0x81 (``TrezorUSB``; trezorlib `transport/webusb.py`).
///
/// Reads are interrupt transfers of at most ``transferSlice`` each, so a caller's deadline or cancellation is
/// noticed within that time even while the device waits for the user.
public final class WebUSBLink: DeviceLink, @unchecked Sendable {
    /// The longest single interrupt transfer: short, so `receive(timeout:)` returns close to its timeout and the
    /// device session can cancel; trezorlib uses 300 ms transfers in a loop (`USB_COMM_TIMEOUT_MS`).
    public static let transferSlice: Duration = .milliseconds(100)
    /// How long `send` keeps retrying a packet the device does not take (trezorlib retries without end).
    public static let sendPatience: Duration = .seconds(5)

    // Only the one operation ``DeviceSession`` lets run at a time touches the handle, as with `HIDLink`.
    private var handle: OpaquePointer?
    public let endpoint: String

    /// Opens the device `device` names (found again by its bus path), detaches a kernel driver if one is bound,
    /// selects configuration 1 when another is active and claims interface 0.
    ///
    /// Another program holding the interface is ``DeviceError/busy(_:)`` (-4); no permission (udev rules) is
    /// ``DeviceError/permissionDenied(_:)`` (-12); a device that went away is ``DeviceError/disconnected(_:)`` (-3).
    public init(device: WebUSBDeviceInfo) throws(DeviceError) {
        endpoint = device.id
        let context = try LibUSBContext.shared()
        let endpoint = endpoint
        handle = try WebUSBEnumerator.withDeviceList(context) { devices throws(DeviceError) -> OpaquePointer in
            guard let match = devices.first(where: {
                let location = WebUSBEnumerator.location(of: $0)
                return location.bus == device.busNumber && location.ports == device.portNumbers
            }) else {
                throw .disconnected("no Trezor at \(endpoint) any more (unplugged?)")
            }
            var opened: OpaquePointer?
            let status = libusb_open(match, &opened)
            guard status == 0, let opened else {
                throw LibUSBError.deviceError(status, operation: "open", endpoint: endpoint)
            }
            return opened
        }
        do {
            try claim()
        } catch {
            if let handle { libusb_close(handle) }
            handle = nil
            throw error
        }
    }

    /// The steps after `libusb_open`: the kernel driver, the configuration, the interface.
    private func claim() throws(DeviceError) {
        guard let handle else { throw .disconnected("\(endpoint) is closed") }
        // Linux only; elsewhere libusb answers NOT_SUPPORTED, which is fine (trezord-go `detachKernelDriver`).
        _ = libusb_set_auto_detach_kernel_driver(handle, 1)
        var active: Int32 = 0
        let configurationStatus = libusb_get_configuration(handle, &active)
        guard configurationStatus == 0 else {
            throw LibUSBError.deviceError(configurationStatus, operation: "read the configuration", endpoint: endpoint)
        }
        // Setting the configuration already active would reset the device (libusb_set_configuration documentation),
        // so it is only set when another one is active (trezor-suite selects configuration 1 on open).
        if active != TrezorUSB.configuration {
            let status = libusb_set_configuration(handle, TrezorUSB.configuration)
            guard status == 0 else {
                throw LibUSBError.deviceError(status, operation: "select configuration 1", endpoint: endpoint)
            }
        }
        let status = libusb_claim_interface(handle, TrezorUSB.interface)
        guard status == 0 else {
            throw LibUSBError.deviceError(status, operation: "claim interface 0", endpoint: endpoint)
        }
    }

    public func send(_ packet: [UInt8]) throws(DeviceError) {
        guard let handle else { throw .disconnected("\(endpoint) is closed") }
        guard packet.count == TrezorUSB.packetSize else {
            throw .protocolError("a Trezor WebUSB packet holds \(TrezorUSB.packetSize) bytes, not \(packet.count)")
        }
        var buffer = packet
        let clock = ContinuousClock()
        let giveUp = clock.now.advanced(by: Self.sendPatience)
        while true {
            var transferred: Int32 = 0
            let status = libusb_interrupt_transfer(
                handle, TrezorUSB.endpointOut, &buffer, Int32(buffer.count), &transferred,
                UInt32(HIDLink.milliseconds(Self.transferSlice)))
            switch Self.outcome(status: status, transferred: Int(transferred), expected: buffer.count) {
            case .done: return
            case .retry:
                // trezorlib retries a write that timed out with nothing transferred (`write_chunk`).
                guard clock.now < giveUp else {
                    throw .disconnected("\(endpoint): the device took no packet for \(Self.sendPatience.components.seconds) s")
                }
            case .partial(let count):
                throw .protocolError("\(endpoint): partial write, \(count) of \(buffer.count) bytes")
            case .failed(let status):
                throw LibUSBError.deviceError(status, operation: "write", endpoint: endpoint)
            }
        }
    }

    public func receive(timeout: Duration) throws(DeviceError) -> [UInt8]? {
        guard let handle else { throw .disconnected("\(endpoint) is closed") }
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        var buffer = [UInt8](repeating: 0, count: TrezorUSB.packetSize)
        while true {
            let slice = min(Self.transferSlice, deadline - clock.now)
            // libusb takes 0 as "no timeout": HIDLink.milliseconds gives at least 1 for any positive wait.
            let milliseconds = UInt32(max(1, HIDLink.milliseconds(slice)))
            var transferred: Int32 = 0
            let status = libusb_interrupt_transfer(
                handle, TrezorUSB.endpointIn, &buffer, Int32(buffer.count), &transferred, milliseconds)
            switch Self.outcome(status: status, transferred: Int(transferred), expected: buffer.count) {
            case .done:
                return buffer
            case .retry:
                guard clock.now < deadline else { return nil }
            case .partial(let count):
                throw .protocolError("\(endpoint): a packet of \(count) bytes instead of \(buffer.count)")
            case .failed(let status):
                throw LibUSBError.deviceError(status, operation: "read", endpoint: endpoint)
            }
        }
    }

    public func close() {
        if let handle {
            // Releasing re-attaches a kernel driver that auto-detach took off.
            _ = libusb_release_interface(handle, TrezorUSB.interface)
            libusb_close(handle)
            self.handle = nil
        }
    }

    deinit { close() }

    /// What an interrupt transfer's result means.
    public enum TransferOutcome: Equatable, Sendable {
        /// The whole packet moved.
        case done
        /// Nothing moved in time (or the call was interrupted): try again while time remains.
        case retry
        /// Some bytes moved, not a whole packet.
        case partial(Int)
        case failed(Int32)
    }

    /// How a transfer of `expected` bytes ended, from libusb's status and transferred count. A timeout that still
    /// moved the whole packet counts as done: libusb reports the bytes that arrived before it cancelled.
    public static func outcome(status: Int32, transferred: Int, expected: Int) -> TransferOutcome {
        switch status {
        case 0, LIBUSB_ERROR_TIMEOUT.rawValue, LIBUSB_ERROR_INTERRUPTED.rawValue:
            if transferred == expected { return .done }
            if transferred == 0 { return .retry }
            return .partial(transferred)
        default:
            return .failed(status)
        }
    }
}
