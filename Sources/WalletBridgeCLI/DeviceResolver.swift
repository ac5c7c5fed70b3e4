import BridgeCore
import BridgeDevices
import BridgeSimulator
import BridgeUSB
import Synchronization

/// A device the selection can reach, before it is opened.
struct DeviceCandidate: Sendable {
    enum Route: Sendable {
        case hid(HIDDeviceInfo)
        case speculos(host: String, port: UInt16)
        case simulatedLedger(LedgerSimulatorSettings)
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
/// names (or the only one), and opens it as a ``HardwareWallet``.
///
/// No device: code -1. Several without `--device`: code -2 listing them. A Trezor: code -9 until Trezor support lands.
struct DeviceResolver: Sendable {
    let selection: DeviceSelection
    let transport: DeviceTransport
    let environment: DeviceEnvironment

    init(_ selection: DeviceSelection, commandLine: String, environment: DeviceEnvironment = .current) throws {
        self.selection = selection
        transport = try DeviceTransport(parsing: selection.transport, commandLine: commandLine)
        self.environment = environment
    }

    /// Every device the transport reaches (`--device` not applied).
    func candidates() throws -> [DeviceCandidate] {
        switch transport {
        case .hid:
            return try environment.listHIDDevices().map { DeviceCandidate(descriptor: $0.descriptor, route: .hid($0)) }
        case .speculos(let host, let port):
            let address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
            return [DeviceCandidate(
                descriptor: DeviceDescriptor(id: "tcp:\(address)", family: .ledger, model: "speculos", transport: "tcp", path: address),
                route: .speculos(host: host, port: port))]
        case .simulatedLedger:
            return [DeviceCandidate(
                descriptor: DeviceDescriptor(id: "sim:ledger", family: .ledger, model: "simulated", transport: "sim", path: "in-process"),
                route: .simulatedLedger(selection.ledgerSimulator))]
        }
    }

    /// The candidate the selection means: the one `--device` names, or the only one.
    func chosenCandidate() throws -> DeviceCandidate {
        let all = try candidates()
        if let wanted = selection.device {
            guard let match = all.first(where: { $0.descriptor.id == wanted || $0.descriptor.path == wanted }) else {
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
        guard candidate.descriptor.family == .ledger else {
            throw DeviceTransport.trezorNotYetSupported("\(candidate.summary)")
        }
        switch candidate.route {
        case .hid(let device):
            let holder = LinkHolder(try environment.openHIDLink(device))
            let environment = environment
            let reopen = { @Sendable () throws(DeviceError) -> any APDUChannel in
                // The old node went away with the restart; the device comes back under a node of its own choosing.
                holder.close()
                let link = try environment.openHIDLink(try Self.reappeared(device, among: try environment.listHIDDevices()))
                holder.replace(with: link)
                return LedgerHIDChannel(link: link)
            }
            let channel = LedgerHIDChannel(link: try holder.currentLink())
            return OpenedDevice(wallet: LedgerDevice(channel: channel, descriptor: candidate.descriptor, reopen: reopen),
                                link: holder)
        case .speculos(let host, let port):
            // Speculos and the simulator keep their connection across app switches: nothing to reopen.
            let link = try TCPLink(host: host, port: port)
            return OpenedDevice(wallet: LedgerDevice(channel: SpeculosAPDUChannel(link: link), descriptor: candidate.descriptor),
                                link: LinkHolder(link))
        case .simulatedLedger(let settings):
            let link = SimulatedLedgerLink(device: try SimulatedLedger(configuration: settings.configuration))
            return OpenedDevice(wallet: LedgerDevice(channel: LedgerHIDChannel(link: link), descriptor: candidate.descriptor),
                                link: LinkHolder(link))
        }
    }

    /// The Ledger that `original` became after restarting its USB stack: the one with its serial number, else its
    /// old node, else the only Ledger of its model. Not there (yet) is `.disconnected`, which the device retries.
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
