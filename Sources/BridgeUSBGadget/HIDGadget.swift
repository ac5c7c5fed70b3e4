import BridgeCore
import BridgeDevices
import Dispatch
import FoundationEssentials
import Glibc
import Synchronization

/// A simulated device as a real USB HID device: a configfs gadget with one HID function (`usb_f_hid`) of 64-byte
/// reports, plugged into a free UDC, answering the reports that arrive at `/dev/hidgN` through its ``Behaviour``.
/// hidapi and the kernel's usbhid driver see interface 0, as on the real device. ``ledger(_:serialNumber:)`` and
/// ``trezorOne(_:serialNumber:)`` make the two the project simulates.
public final class HIDGadget: Sendable {
    /// What the device does with the host's reports.
    public struct Behaviour: Sendable {
        /// The reports to send back for one report from the host (none until a request is whole).
        public var respond: @Sendable ([UInt8]) -> [[UInt8]]
        /// Forget a half-received request (the device was unplugged, or restarted).
        public var reset: @Sendable () -> Void
        /// How long each answer takes (a person confirming).
        public var latency: Duration
        /// Asked after each exchange: whether the device now restarts its USB stack (a Ledger whose app changed).
        public var restarts: @Sendable () -> Bool

        public init(respond: @escaping @Sendable ([UInt8]) -> [[UInt8]], reset: @escaping @Sendable () -> Void,
                    latency: Duration, restarts: @escaping @Sendable () -> Bool = { false }) {
            self.respond = respond
            self.reset = reset
            self.latency = latency
            self.restarts = restarts
        }
    }

    public let identity: ConfigFSGadget.Identity
    public let reportDescriptor: [UInt8]
    private let behaviour: Behaviour
    private let gadget: Mutex<ConfigFSGadget?> = Mutex(nil)
    private let stopRequested = Atomic<Bool>(false)
    private let stopped = Mutex<DispatchSemaphore?>(nil)
    /// How long the device keeps running after it answered a request that restarts it (a Ledger's app switch).
    static let restartDelay: Duration = .milliseconds(250)
    /// How long the device stays away when it restarts (a Ledger takes about a second to come back).
    static let restartPause: Duration = .milliseconds(300)

    public init(identity: ConfigFSGadget.Identity, reportDescriptor: [UInt8], behaviour: Behaviour) {
        self.identity = identity
        self.reportDescriptor = reportDescriptor
        self.behaviour = behaviour
    }

    /// `usb:VID:PID`, as the ready line of `simulate ... --usb` names it.
    public var address: String { usbAddress(vendorID: identity.vendorID, productID: identity.productID) }

    /// Creates the gadget, plugs it into a free UDC and serves it on a background thread. `.notSupported` (-9)
    /// naming what is missing on a machine without gadget support.
    public func start() throws(DeviceError) {
        let name = "walletbridge-\(identity.manufacturer.lowercased())-\(getpid())-\(identity.serialNumber)"
        let made = try ConfigFSGadget(name: name, identity: identity, hidReportDescriptor: reportDescriptor)
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
        let done = GadgetThread.start("simulated USB HID gadget") { [self] in
            serve(fd, made)
            close(fd)
        }
        stopped.withLock { $0 = done }
        // Ready means the host has configured it (its UDC says "configured"), so a client started on the ready line
        // finds the device; bounded, since a host that never does is no error here.
        for _ in 0..<200 where !made.isConfigured { NativeThread.sleep(for: .milliseconds(50)) }
    }

    /// Unplugs the device, ends the serving thread and deletes the gadget.
    public func stop() {
        stopRequested.store(true, ordering: .releasing)
        gadget.withLock { $0 }?.unbind()
        stopped.withLock { $0.take() }?.wait()
        gadget.withLock { $0.take() }?.remove()
    }

    private func serve(_ fd: Int32, _ gadget: ConfigFSGadget) {
        var report = [UInt8](repeating: 0, count: 64)
        while !stopRequested.load(ordering: .acquiring) {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 50) > 0 else { continue }
            let count = report.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard count > 0 else {
                // Unplugged (ESHUTDOWN) or between enumerations: wait for the host to come back.
                usleep(20_000)
                continue
            }
            let replies = behaviour.respond(Array(report.prefix(count)))
            // A device unplugged while it works loses what it was doing: its answer must not reach the next host.
            guard replies.isEmpty || stayedConnected(gadget, for: behaviour.latency) else {
                behaviour.reset()
                continue
            }
            for reply in replies where !write(reply, to: fd) {
                behaviour.reset()
                break
            }
            if behaviour.restarts() {
                behaviour.reset()
                // The answer must reach the host before the restart: f_hid reports POLLOUT once the host has taken
                // the last input report (drivers/usb/gadget/function/f_hid.c `f_hidg_poll`, WRITE_COND)...
                var drained = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                _ = poll(&drained, 1, 1000)
                // ...and the host program must read it from hidraw before the node goes: hidapi reports a hang-up
                // before it reads what is buffered (hidapi linux/hid.c `hid_read_timeout`). A real Ledger restarts a
                // few hundred milliseconds after answering.
                usleep(UInt32(Self.restartDelay / .microseconds(1)))
                restart(gadget)
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
    private func restart(_ gadget: ConfigFSGadget) {
        let controller = gadget.controller
        gadget.unbind()
        usleep(UInt32(Self.restartPause / .microseconds(1)))
        guard !stopRequested.load(ordering: .acquiring) else { return }
        try? gadget.bind(to: controller)
    }

    /// One 64-byte input report, waiting for the host to take the previous one; false when the device is unplugged.
    private func write(_ report: [UInt8], to fd: Int32) -> Bool {
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline, !stopRequested.load(ordering: .acquiring) {
            let written = report.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written == report.count { return true }
            if written < 0, errno != EAGAIN, errno != EINTR { return false }
            var poller = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            _ = poll(&poller, 1, 50)
        }
        return false
    }
}
