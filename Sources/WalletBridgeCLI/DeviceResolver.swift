import FoundationEssentials
import BridgeCore
import BridgeDevices
import BridgeSimulator
import BridgeUSB
import Synchronization

/// A device the selection can reach, before it is opened.
struct DeviceCandidate: Sendable {
    enum Route: Sendable {
        /// A Ledger, or a Trezor One on legacy HID firmware.
        case hid(HIDDeviceInfo)
        case webUSB(WebUSBDeviceInfo)
        case speculos(host: String, port: UInt16)
        case trezorEmulator(host: String, port: UInt16)
        case simulatedLedger(LedgerSimulatorSettings)
        case simulatedTrezor(TrezorSimulatorSettings)
    }

    let descriptor: DeviceDescriptor
    let route: Route

    /// How `--device` and the several-devices error name it: its id, family and model.
    var summary: String { "\(descriptor.id) (\(descriptor.family.rawValue) \(descriptor.model))" }
}

/// A device opened for one command; ``close()`` releases its link (the current one, when the device was reopened
/// after switching apps).
final class OpenedDevice: Sendable {
    let wallet: any HardwareWallet
    private let link: LinkHolder

    init(wallet: any HardwareWallet, link: LinkHolder) {
        self.wallet = wallet
        self.link = link
    }

    func close() {
        link.close()
    }
}

/// The link a device is reached through now: a Ledger on USB restarts its USB stack when an app opens or quits, so
/// its hidraw link is replaced by a fresh one while a command runs.
final class LinkHolder: Sendable {
    private let current: Mutex<(any DeviceLink)?>

    init(_ link: any DeviceLink) {
        current = Mutex(link)
    }

    /// Closes the link in use and takes `link` instead.
    func replace(with link: any DeviceLink) {
        current.withLock { current in
            current?.close()
            current = link
        }
    }

    /// The link in use; `.disconnected` once closed.
    func currentLink() throws(DeviceError) -> any DeviceLink {
        guard let link = current.withLock({ $0 }) else { throw .disconnected("the device link is closed") }
        return link
    }

    func close() {
        current.withLock { current in
            current?.close()
            current = nil
        }
    }
}

/// Turns the device-selection options into a device: lists what `--transport` reaches, picks the one `--device`
/// names (or the only one), and opens it as a ``HardwareWallet`` (a ``LedgerDevice`` or a ``TrezorDevice``).
///
/// No device: code -1. Several without `--device`: code -2 listing them.
struct DeviceResolver: Sendable {
    let selection: DeviceSelection
    let transport: DeviceTransport
    let environment: DeviceEnvironment
    /// Where a Trezor PIN prompt is drawn (standard error).
    let writePrompt: @Sendable (String) -> Void
    /// Where the opened device's blocking exchanges run.
    let execution: DeviceSession.Execution

    init(_ selection: DeviceSelection, commandLine: String, environment: DeviceEnvironment = .current,
         writePrompt: @escaping @Sendable (String) -> Void = { _ in }, execution: DeviceSession.Execution = .dispatchQueue) throws {
        self.selection = selection
        transport = try DeviceTransport(parsing: selection.transport, commandLine: commandLine)
        self.environment = environment
        self.writePrompt = writePrompt
        self.execution = execution
    }

    /// Every device the transport reaches (`--device` not applied).
    func candidates() throws -> [DeviceCandidate] {
        switch transport {
        case .usb:
            // WebUSB is listed where libusb works; a machine where it cannot start still lists its hidraw wallets.
            let webUSB = (try? environment.listWebUSBDevices()) ?? []
            return try hidCandidates() + webUSB.map { DeviceCandidate(descriptor: $0.descriptor, route: .webUSB($0)) }
        case .hid:
            return try hidCandidates()
        case .webUSB:
            return try environment.listWebUSBDevices().map { DeviceCandidate(descriptor: $0.descriptor, route: .webUSB($0)) }
        case .speculos(let host, let port):
            let address = Self.address(host: host, port: port)
            return [DeviceCandidate(
                descriptor: DeviceDescriptor(id: "tcp:\(address)", family: .ledger, model: "speculos", transport: "tcp", path: address),
                route: .speculos(host: host, port: port))]
        case .trezorEmulator(let host, let port):
            let address = Self.address(host: host, port: port)
            return [DeviceCandidate(
                descriptor: DeviceDescriptor(id: "udp:\(address)", family: .trezor, model: "emulator", transport: "udp", path: address),
                route: .trezorEmulator(host: host, port: port))]
        case .simulatedLedger:
            return [DeviceCandidate(
                descriptor: DeviceDescriptor(id: "sim:ledger", family: .ledger, model: "simulated", transport: "sim", path: "in-process"),
                route: .simulatedLedger(selection.ledgerSimulator))]
        case .simulatedTrezor:
            let settings = selection.trezorSimulator
            return [DeviceCandidate(
                descriptor: DeviceDescriptor(id: "sim:trezor", family: .trezor, model: settings.modelName, transport: "sim",
                                             path: "in-process"),
                route: .simulatedTrezor(settings))]
        }
    }

    private func hidCandidates() throws -> [DeviceCandidate] {
        try environment.listHIDDevices().map { DeviceCandidate(descriptor: $0.descriptor, route: .hid($0)) }
    }

    /// `HOST:PORT`, an IPv6 host in brackets.
    static func address(host: String, port: UInt16) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Whether `wanted` (a `--device` value) names `descriptor`: its id or its path. A WebUSB id is also taken with
    /// its ports dot-separated (`webusb:001:2.1`, the sysfs style) for the colon form trezorlib prints.
    static func names(_ wanted: String, _ descriptor: DeviceDescriptor) -> Bool {
        if descriptor.id == wanted || descriptor.path == wanted { return true }
        guard descriptor.transport == "webusb", wanted.hasPrefix("webusb:") else { return false }
        return String(wanted.map { $0 == "." ? ":" : $0 }) == descriptor.id
    }

    /// How a Trezor answers its PIN and passphrase requests: `--pin` (else the terminal, when there is one) and
    /// `--passphrase-on-host`.
    var trezorCredentials: TrezorCredentials {
        let pinPositions: (@Sendable (TrezorProto.PinMatrixRequestType?) -> String?)?
        if let pin = selection.pinPositions {
            pinPositions = { _ in pin }
        } else {
            pinPositions = environment.pinPrompt.positionsProvider(write: writePrompt)
        }
        return TrezorCredentials(pinPositions: pinPositions, passphraseOnHost: selection.passphraseOnHost)
    }

    /// The candidate the selection means: the one `--device` names, or the only one.
    func chosenCandidate() throws -> DeviceCandidate {
        let all = try candidates()
        if let wanted = selection.device {
            guard let match = all.first(where: { Self.names(wanted, $0.descriptor) }) else {
                let known = all.isEmpty ? "none is connected" : "connected: " + all.map(\.descriptor.id).joined(separator: ", ")
                throw GenericBridgeError(.noDevice, "No device has the id '\(wanted)' (\(known))",
                                         hint: "Run `walletbridge enumerate` to see the ids of the devices connected now.")
            }
            return match
        }
        switch all.count {
        case 0: throw DeviceError.noDevice
        case 1: return all[0]
        default: throw DeviceError.severalDevices(candidates: all.map(\.summary))
        }
    }

    /// Opens the chosen device. The caller closes it when done.
    func open() throws -> OpenedDevice {
        try open(try chosenCandidate())
    }

    /// Opens `candidate` as a ``HardwareWallet`` over the link its route needs.
    func open(_ candidate: DeviceCandidate) throws -> OpenedDevice {
        switch candidate.route {
        case .hid(let device) where device.family == .trezor:
            return openTrezor(try environment.openHIDLink(device), candidate)
        case .webUSB(let device):
            return openTrezor(try environment.openWebUSBLink(device), candidate)
        case .trezorEmulator(let host, let port):
            return openTrezor(try UDPLink(host: host, port: port), candidate)
        case .simulatedTrezor(let settings):
            return openTrezor(SimulatedTrezorLink(device: try SimulatedTrezor(configuration: settings.configuration)), candidate)
        case .hid(let device):
            let holder = LinkHolder(try environment.openHIDLink(device))
            let environment = environment
            let reopen = { @Sendable () throws(DeviceError) -> any APDUChannel in
                // The old node goes away with the restart and the device comes back under a node of its own choosing.
                // It answers the switch before it restarts, so wait for the old node to go first: reopening it in
                // that moment would hand back a link that dies at the next exchange (seen through a real kernel,
                // Tests/VM).
                holder.close()
                Self.waitUntilGone(device.path, timeout: .seconds(2))
                let link = try environment.openHIDLink(try Self.reappeared(device, among: try environment.listHIDDevices()))
                holder.replace(with: link)
                return LedgerHIDChannel(link: link)
            }
            let channel = LedgerHIDChannel(link: try holder.currentLink())
            return OpenedDevice(wallet: LedgerDevice(channel: channel, descriptor: candidate.descriptor, reopen: reopen, execution: execution),
                                link: holder)
        case .speculos(let host, let port):
            // Speculos and the simulator keep their connection across app switches: nothing to reopen.
            let link = try TCPLink(host: host, port: port)
            return OpenedDevice(wallet: LedgerDevice(channel: SpeculosAPDUChannel(link: link), descriptor: candidate.descriptor,
                                                             execution: execution),
                                link: LinkHolder(link))
        case .simulatedLedger(let settings):
            let link = SimulatedLedgerLink(device: try SimulatedLedger(configuration: settings.configuration))
            return OpenedDevice(wallet: LedgerDevice(channel: LedgerHIDChannel(link: link), descriptor: candidate.descriptor,
                                                             execution: execution),
                                link: LinkHolder(link))
        }
    }

    /// A Trezor over `link`, answering PIN and passphrase requests with ``trezorCredentials``.
    private func openTrezor(_ link: any DeviceLink, _ candidate: DeviceCandidate) -> OpenedDevice {
        OpenedDevice(wallet: TrezorDevice(link: link, descriptor: candidate.descriptor, credentials: trezorCredentials,
                                         execution: execution),
                     link: LinkHolder(link))
    }

    /// The Ledger that `original` became after restarting its USB stack: the one with its serial number, else its
    /// old node, else the only Ledger of its model. Not there (yet) is `.disconnected`, which the device retries.
    /// Waits until the device node at `path` is gone, or `timeout` passes. A stat, not a HID listing: this wait first
    /// listed every 20 ms, and the VM suite twice saw `address` die of SIGSEGV in this switch (not reproduced alone);
    /// listing through hidapi and libudev while the kernel tears the device down is the suspect, so it is not done.
    static func waitUntilGone(_ path: String, timeout: Duration) {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline, FileManager.default.fileExists(atPath: path) {
            NativeThread.sleep(for: .milliseconds(20))
        }
    }

    static func reappeared(_ original: HIDDeviceInfo, among devices: [HIDDeviceInfo]) throws(DeviceError) -> HIDDeviceInfo {
        let ledgers = devices.filter { $0.family == .ledger }
        if let serial = original.serialNumber {
            let sameSerial = ledgers.filter { $0.serialNumber == serial }
            if sameSerial.count == 1 { return sameSerial[0] }
        }
        if let samePath = ledgers.first(where: { $0.path == original.path }) { return samePath }
        let sameModel = ledgers.filter { $0.model == original.model }
        switch sameModel.count {
        case 1: return sameModel[0]
        case 0: throw .disconnected("the Ledger has not come back after switching apps")
        default: throw .severalDevices(candidates: sameModel.map(\.id))
        }
    }
}
