import BridgeCore
import BridgeDevices
import BridgeSimulator
import Dispatch
import FoundationEssentials
import Glibc
import Synchronization

/// A ``SimulatedTrezor`` as a real USB device (`simulate trezor --usb`) through the kernel's gadgetfs
/// (drivers/usb/gadget/legacy/inode.c): the Trezor's WebUSB interface 0 (class 0xFF) with interrupt endpoints
/// 0x01 OUT and 0x81 IN of 64 bytes, VID:PID 1209:53c1 (trezor-firmware legacy/firmware/usb.c, core's
/// embed/io/usb), so libusb and the project's `WebUSBLink` reach it exactly as a Trezor on a desk.
///
/// gadgetfs rather than configfs: it lets the program pick the endpoint addresses (by the UDC's endpoint names,
/// `ep1out-bulk`, `ep1in-bulk`), where configfs' FunctionFS on dummy_hcd hands out 0x02 for OUT
/// (../shared/reference/kernel-usb-vm.md). The program answers the control requests gadgetfs hands it (string
/// descriptors, SET_CONFIGURATION, SET_INTERFACE) and carries 64-byte protocol-v1 packets between the endpoints and
/// the simulator.
public final class TrezorGadgetFS: Sendable {
    public let device: SimulatedTrezor
    public static let vendorID: UInt16 = 0x1209
    public static let productID: UInt16 = 0x53C1
    /// Where gadgetfs is mounted (mounted there when it is not yet).
    public static let mountPoint = "/dev/gadget"

    private struct Endpoints {
        var input: Int32 = -1
        var output: Int32 = -1
        var reader: DispatchSemaphore?
    }

    /// The endpoint reader's thread while it runs (a plain id, only passed to pthread_kill).
    private struct ThreadID: @unchecked Sendable {
        var value: pthread_t?
    }
    private let readerThread = Mutex(ThreadID())

    private let control = Mutex<Int32>(-1)
    private let endpoints = Mutex(Endpoints())
    private let stopRequested = Atomic<Bool>(false)
    private let stopped = Mutex<DispatchSemaphore?>(nil)
    /// Signalled when the host first configures the device (SET_CONFIGURATION 1 opened the endpoints).
    private let configured = DispatchSemaphore(value: 0)
    private let wasConfigured = Atomic<Bool>(false)
    private let serialNumber: String

    public init(device: SimulatedTrezor, serialNumber: String = "SIMULATED00000000000000") {
        self.device = device
        self.serialNumber = serialNumber
    }

    // MARK: Descriptors (USB 2.0 chapter 9)

    static let interfaceDescriptor: [UInt8] = [9, 4, 0, 0, 2, 0xFF, 0, 0, 0]
    static func endpointDescriptor(_ address: UInt8) -> [UInt8] { [7, 5, address, 0x03, 64, 0, 1] }
    static var configurationDescriptor: [UInt8] {
        let body = interfaceDescriptor + endpointDescriptor(0x81) + endpointDescriptor(0x01)
        let total = UInt16(9 + body.count)
        return [9, 2, UInt8(total & 0xFF), UInt8(total >> 8), 1, 1, 0, 0x80, 50] + body
    }
    /// bcdDevice's major byte tells the family before Features do: 1 on a Trezor One, 2 on the core models (what
    /// trezord-go and Suite read: `TrezorUSB.model(releaseNumber:)`).
    var deviceDescriptor: [UInt8] {
        let release: UInt8 = device.configuration.model == .one ? 0x01 : 0x02
        return [18, 1, 0x00, 0x02, 0, 0, 0, 64,
                UInt8(Self.vendorID & 0xFF), UInt8(Self.vendorID >> 8), UInt8(Self.productID & 0xFF), UInt8(Self.productID >> 8),
                0x00, release, 1, 2, 3, 1]
    }

    func stringDescriptor(_ index: UInt8) -> [UInt8]? {
        let text: String
        switch index {
        case 0: return [4, 3, 0x09, 0x04]  // US English
        case 1: text = "SatoshiLabs"
        case 2: text = "TREZOR"
        case 3: text = serialNumber
        default: return nil
        }
        let utf16 = text.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        return [UInt8(2 + utf16.count), 3] + utf16
    }

    // MARK: Lifecycle

    /// Mounts gadgetfs if needed, opens the UDC's control file, writes the descriptors (which plugs the device in)
    /// and serves control requests on a background thread. `.notSupported` (-9) naming what is missing.
    public func start() throws(DeviceError) {
        try Self.ensureMounted()
        guard let controller = (try? FileManager.default.contentsOfDirectory(atPath: Self.mountPoint))?
            .sorted().first(where: { !$0.hasPrefix("ep") }) else {
            throw .notSupported("gadgetfs at \(Self.mountPoint) offers no USB device controller: load dummy_hcd (or use a machine with a UDC)")
        }
        let fd = open(Self.mountPoint + "/" + controller, O_RDWR)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw errno == EBUSY ? .busy("the gadgetfs controller \(controller) is taken by another gadget")
                : .notSupported("cannot open \(Self.mountPoint)/\(controller): \(reason)")
        }
        var setup: [UInt8] = [0, 0, 0, 0] + Self.configurationDescriptor + Self.configurationDescriptor + deviceDescriptor
        let written = setup.withUnsafeMutableBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == setup.count else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw .notSupported("gadgetfs refused the Trezor's descriptors: \(reason)")
        }
        control.withLock { $0 = fd }
        let done = GadgetThread.start("simulated Trezor gadgetfs ep0") { [self] in serveControl(fd) }
        stopped.withLock { $0 = done }
        // Plugged in is not yet usable: the host enumerates and configures the device on its own time (seconds
        // under an emulated CPU), and a client started on the ready line would not find it before then. A host
        // that never configures it is no error here; the device is simply not there yet for clients.
        _ = configured.wait(timeout: .now() + Self.configurationWait)
    }

    /// How long ``start()`` waits for the host to configure the device.
    static let configurationWait: DispatchTimeInterval = .seconds(10)

    /// Unplugs the device (closing the control file unregisters the gadget) and ends every thread.
    public func stop() {
        stopRequested.store(true, ordering: .releasing)
        // The endpoints first: closing the control file unregisters the gadget, which waits for every endpoint's
        // mutex, and a blocked read holds one.
        closeEndpoints()
        let fd = control.withLock { fd in
            defer { fd = -1 }
            return fd
        }
        if fd >= 0 { close(fd) }
        stopped.withLock { $0.take() }?.wait()
    }

    static func ensureMounted() throws(DeviceError) {
        if !isMounted {
            mkdir(mountPoint, 0o755)
            _ = mount("gadgetfs", mountPoint, "gadgetfs", 0, nil)
        }
        guard isMounted else {
            throw .notSupported("gadgetfs is not available at \(mountPoint): it needs the gadgetfs module (modprobe gadgetfs) and root")
        }
    }

    private static var isMounted: Bool {
        guard let mounts = try? String(contentsOfFile: "/proc/mounts", encoding: .utf8) else { return false }
        return mounts.split(separator: "\n").contains { $0.split(separator: " ").dropFirst().first.map(String.init) == mountPoint }
    }

    // MARK: Control endpoint

    /// gadgetfs events: 12 bytes each, an 8-byte `usb_ctrlrequest` (or the speed) then the event type
    /// (include/uapi/linux/usb/gadgetfs.h).
    private func serveControl(_ fd: Int32) {
        var buffer = [UInt8](repeating: 0, count: 12 * 5)
        while !stopRequested.load(ordering: .acquiring) {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 100) > 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard count > 0 else {
                if errno == EAGAIN || errno == EINTR { continue }
                usleep(20_000)
                continue
            }
            for offset in stride(from: 0, to: count - 11, by: 12) {
                let event = Array(buffer[offset..<offset + 12])
                let type = UInt32(event[8]) | UInt32(event[9]) << 8 | UInt32(event[10]) << 16 | UInt32(event[11]) << 24
                switch type {
                case 2:  // GADGETFS_DISCONNECT
                    closeEndpoints()
                case 3:  // GADGETFS_SETUP
                    answer(setup: Array(event[0..<8]), on: fd)
                default:  // NOP, CONNECT, SUSPEND
                    break
                }
            }
        }
    }

    /// One control request gadgetfs did not answer itself.
    private func answer(setup: [UInt8], on fd: Int32) {
        let requestType = setup[0], request = setup[1]
        let value = UInt16(setup[2]) | UInt16(setup[3]) << 8
        let length = Int(UInt16(setup[6]) | UInt16(setup[7]) << 8)
        let isIn = requestType & 0x80 != 0
        switch (requestType, request) {
        case (0x80, 6) where value >> 8 == 3:  // GET_DESCRIPTOR(STRING)
            if let string = stringDescriptor(UInt8(value & 0xFF)) {
                let reply = Array(string.prefix(length))
                _ = reply.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                return
            }
        case (0x00, 9):  // SET_CONFIGURATION
            if value == 1 { openEndpoints() } else { closeEndpoints() }
            acknowledge(fd)
            return
        case (0x01, 11):  // SET_INTERFACE (alternate 0 is the only one)
            acknowledge(fd)
            return
        default:
            break
        }
        // Anything else (BOS, WebUSB vendor requests): a stall, made by I/O in the wrong direction.
        var nothing: UInt8 = 0
        if isIn { _ = read(fd, &nothing, 0) } else { _ = write(fd, &nothing, 0) }
    }

    /// The status stage of a request without data: a zero-length read of ep0.
    private func acknowledge(_ fd: Int32) {
        var nothing: UInt8 = 0
        _ = read(fd, &nothing, 0)
    }

    // MARK: Data endpoints

    /// Configures ep1in/ep1out with the interrupt descriptors (tag 1, full- then high-speed) and starts carrying
    /// packets.
    private func openEndpoints() {
        closeEndpoints()
        func configure(_ name: String, _ address: UInt8) -> Int32 {
            let fd = open(Self.mountPoint + "/" + name, O_RDWR)
            guard fd >= 0 else { return -1 }
            var descriptor: [UInt8] = [1, 0, 0, 0] + Self.endpointDescriptor(address) + Self.endpointDescriptor(address)
            guard descriptor.withUnsafeMutableBytes({ write(fd, $0.baseAddress, $0.count) }) == descriptor.count else {
                close(fd)
                return -1
            }
            return fd
        }
        let input = configure("ep1in-bulk", 0x81), output = configure("ep1out-bulk", 0x01)
        guard input >= 0, output >= 0 else {
            if input >= 0 { close(input) }
            if output >= 0 { close(output) }
            return
        }
        Self.installInterruptHandler()
        endpoints.withLock { $0 = Endpoints(input: input, output: output) }
        if !wasConfigured.exchange(true, ordering: .acquiringAndReleasing) { configured.signal() }
        let done = GadgetThread.start("simulated Trezor gadgetfs ep1") { [self] in
            // Threads made from a Dispatch worker inherit its mask, which blocks SIGUSR1/2: let this one be interrupted.
            var unblocked = sigset_t()
            sigemptyset(&unblocked)
            sigaddset(&unblocked, Self.interruptSignal)
            pthread_sigmask(SIG_UNBLOCK, &unblocked, nil)
            readerThread.withLock { $0.value = pthread_self() }
            carry(from: output, to: input)
            readerThread.withLock { $0.value = nil }
        }
        endpoints.withLock { $0.reader = done }
    }

    private func closeEndpoints() {
        let current = endpoints.withLock { current in
            defer { current = Endpoints() }
            return current
        }
        // A read on a gadgetfs endpoint waits for the host holding the endpoint's mutex, which unregistering the
        // gadget also takes (drivers/usb/gadget/legacy/inode.c `ep_io`, `destroy_ep_files`): nothing but a signal
        // ends it (`wait_for_completion_interruptible`). Interrupt it until the reader has gone, then close.
        if let reader = current.reader {
            while reader.wait(timeout: .now() + .milliseconds(50)) == .timedOut {
                readerThread.withLock { thread in
                    if let id = thread.value { pthread_kill(id, Self.interruptSignal) }
                }
            }
        }
        if current.output >= 0 { close(current.output) }
        if current.input >= 0 { close(current.input) }
    }

    /// The signal that interrupts a blocked endpoint read: its handler does nothing, and it is installed without
    /// SA_RESTART, so the read returns EINTR and the reader sees the stop.
    static let interruptSignal = SIGUSR2

    private static func installInterruptHandler() {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(interruptSignal, &action, nil)
    }

    /// Host packets from ep1out to the simulator, its answers to ep1in, until the endpoint goes away.
    private func carry(from output: Int32, to input: Int32) {
        var packet = [UInt8](repeating: 0, count: 64)
        while !stopRequested.load(ordering: .acquiring) {
            var poller = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, 100)
            if ready < 0 || poller.revents & Int16(POLLNVAL | POLLERR | POLLHUP) != 0 { return }
            guard ready > 0 else { continue }
            let count = packet.withUnsafeMutableBytes { read(output, $0.baseAddress, $0.count) }
            guard count > 0 else {
                if count < 0, errno != EINTR, errno != EAGAIN { return }
                continue
            }
            let answers = device.receive(packet: Array(packet.prefix(count)))
            let latency = device.configuration.latency
            if !answers.isEmpty, latency > .zero { usleep(UInt32(latency / .microseconds(1))) }
            for answer in answers {
                let sent = answer.withUnsafeBytes { write(input, $0.baseAddress, $0.count) }
                if sent < 0 { return }
            }
        }
    }
}
