import BridgeCore
import BridgeDevices
import BridgeSimulator
import Foundation
import Glibc
import Synchronization

/// A ``SimulatedLedger`` as a real USB device (`simulate ledger --usb`): a configfs HID gadget with the Ledger's
/// report descriptor (usage page 0xFFA0, 64-byte reports, no report id: ledger-secure-sdk
/// lib_stusb/src/usbd_ledger_hid.c), VID 2c97 and the model's PID, answering the HID frames that arrive at
/// `/dev/hidgN` through ``LedgerHIDDeviceSide``. hidapi and the kernel's usbhid driver see interface 0, as on a real
/// Ledger. When the open app changes (E0 D8, B0 A7) the gadget unplugs and plugs back, as a Ledger's USB stack
/// restarts, so the host sees a new device node.
public final class LedgerHIDGadget: Sendable {
    public let device: SimulatedLedger
    public let identity: ConfigFSGadget.Identity
    private let gadget: Mutex<ConfigFSGadget?> = Mutex(nil)
    private let stopRequested = Atomic<Bool>(false)
    private let stopped = Mutex<DispatchSemaphore?>(nil)
    /// How long the device keeps running after it answered an app switch, before its USB stack restarts.
    static let restartDelay: Duration = .milliseconds(250)
    /// How long the device stays away when its app changes (a Ledger takes about a second to come back).
    static let appSwitchPause: Duration = .milliseconds(300)

    /// The Ledger's generic HID report descriptor (ledger-secure-sdk lib_stusb/src/usbd_ledger_hid.c
    /// `HID_ReportDesc`): one 64-byte input report (usage 3) and one 64-byte output report (usage 4).
    public static let reportDescriptor: [UInt8] = [
        0x06, 0xA0, 0xFF, 0x09, 0x01, 0xA1, 0x01,
        0x09, 0x03, 0x15, 0x00, 0x26, 0xFF, 0x00, 0x75, 0x08, 0x95, 0x40, 0x81, 0x08,
        0x09, 0x04, 0x15, 0x00, 0x26, 0xFF, 0x00, 0x75, 0x08, 0x95, 0x40, 0x91, 0x08,
        0xC0,
    ]

    public init(device: SimulatedLedger, serialNumber: String = "0001") {
        self.device = device
        let model = device.configuration.model
        identity = ConfigFSGadget.Identity(
            vendorID: 0x2C97, productID: model.usbProductID, manufacturer: "Ledger",
            product: model.displayName.replacingOccurrences(of: "Ledger ", with: ""), serialNumber: serialNumber)
    }

    /// Creates the gadget, plugs it into a free UDC and serves it on a background thread. `.notSupported` (-9)
    /// naming what is missing on a machine without gadget support.
    public func start() throws(DeviceError) {
        let made = try ConfigFSGadget(name: "walletbridge-ledger-\(getpid())-\(identity.serialNumber)", identity: identity,
                                      hidReportDescriptor: Self.reportDescriptor)
        do throws(DeviceError) {
            try made.bind()
        } catch {
            made.remove()
            throw error
        }
        guard let path = made.hidDevicePath else {
            made.remove()
            throw .notSupported("the HID gadget has no /dev/hidgN node (is devtmpfs mounted on /dev?)")
        }
        var descriptor: Int32 = -1
        for _ in 0..<100 {
            descriptor = open(path, O_RDWR | O_NONBLOCK)
            if descriptor >= 0 { break }
            usleep(10_000)
        }
        guard descriptor >= 0 else {
            made.remove()
            throw .notSupported("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        gadget.withLock { $0 = made }
        let fd = descriptor
        let done = GadgetThread.start("simulated Ledger USB gadget") { [self] in
            serve(fd, made)
            close(fd)
        }
        stopped.withLock { $0 = done }
    }

    /// Unplugs the device, ends the serving thread and deletes the gadget.
    public func stop() {
        stopRequested.store(true, ordering: .releasing)
        gadget.withLock { $0 }?.unbind()
        stopped.withLock { $0.take() }?.wait()
        gadget.withLock { $0.take() }?.remove()
    }

    private func serve(_ fd: Int32, _ gadget: ConfigFSGadget) {
        var firmware = LedgerHIDDeviceSide(device: device)
        var app = device.openApp
        var frame = [UInt8](repeating: 0, count: LedgerHIDFraming.frameSize)
        while !stopRequested.load(ordering: .acquiring) {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 50) > 0 else { continue }
            let count = frame.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard count > 0 else {
                // Unplugged (ESHUTDOWN) or between enumerations: wait for the host to come back.
                usleep(20_000)
                continue
            }
            let replies = firmware.accept(Array(frame.prefix(count)))
            // A device unplugged while it works loses what it was doing: its answer must not reach the next host.
            guard replies.isEmpty || stayedConnected(gadget, for: device.configuration.latency) else {
                firmware = LedgerHIDDeviceSide(device: device)
                continue
            }
            for reply in replies where !write(reply, to: fd) {
                firmware = LedgerHIDDeviceSide(device: device)
                break
            }
            if device.openApp != app {
                app = device.openApp
                firmware = LedgerHIDDeviceSide(device: device)
                // The answer must reach the host before the restart: f_hid reports POLLOUT once the host has taken
                // the last input report (drivers/usb/gadget/function/f_hid.c `f_hidg_poll`, WRITE_COND).
                var drained = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                _ = poll(&drained, 1, 1000)
                // ...and the host program must read it from hidraw before the node goes: hidapi reports a hang-up
                // before it reads what is buffered (hidapi linux/hid.c `hid_read_timeout`). A real Ledger restarts a
                // few hundred milliseconds after answering.
                usleep(UInt32(Self.restartDelay / .microseconds(1)))
                reenumerate(gadget)
            }
        }
    }

    /// Waits `duration` (the configured latency) while watching the controller; false when the device was unplugged
    /// meanwhile (its UDC left the "configured" state), even if it is back by now.
    private func stayedConnected(_ gadget: ConfigFSGadget, for duration: Duration) -> Bool {
        let deadline = ContinuousClock.now + duration
        repeat {
            guard gadget.isConfigured else { return false }
            if ContinuousClock.now >= deadline { return true }
            usleep(10_000)
        } while !stopRequested.load(ordering: .acquiring)
        return false
    }

    /// Unplug, pause, plug back into the same controller: the host's next enumeration finds a new device node.
    private func reenumerate(_ gadget: ConfigFSGadget) {
        let controller = gadget.controller
        gadget.unbind()
        usleep(UInt32(Self.appSwitchPause / .microseconds(1)))
        guard !stopRequested.load(ordering: .acquiring) else { return }
        try? gadget.bind(to: controller)
    }

    /// One 64-byte input report, waiting for the host to take the previous one; false when the device is unplugged.
    private func write(_ frame: [UInt8], to fd: Int32) -> Bool {
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline, !stopRequested.load(ordering: .acquiring) {
            let written = frame.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written == frame.count { return true }
            if written < 0, errno != EAGAIN, errno != EINTR { return false }
            var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            _ = poll(&poller, 1, 50)
        }
        return false
    }
}
