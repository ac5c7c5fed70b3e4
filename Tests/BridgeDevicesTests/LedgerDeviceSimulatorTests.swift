import BridgeCore
import BridgeCrypto
import BridgeDevices
import BridgeSimulator
import Synchronization
import Testing

/// `LedgerDevice` against the simulated Ledger over real HID frames: app switching, refusals, and the session's
/// one-operation-at-a-time, deadline and cancellation rules.
@Suite("LedgerDevice over the simulated Ledger")
struct LedgerDeviceSimulatorTests {
    static let path = Result { try DerivationPath(parsing: "m/44'/60'/0'/0/0") }
    static let speculosAddress = "0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D"

    static func device(_ configuration: SimulatedLedger.Configuration = .init()) throws -> (LedgerDevice, SimulatedLedger) {
        let simulator = try SimulatedLedger(configuration: configuration)
        let link = SimulatedLedgerLink(device: simulator)
        let device = LedgerDevice(channel: LedgerHIDChannel(link: link),
                                  descriptor: DeviceDescriptor(id: "sim", family: .ledger, model: "nanox", transport: "sim", path: "sim:ledger"))
        return (device, simulator)
    }

    static func expectCode(_ code: ErrorCode, _ body: () async throws -> Void) async {
        do {
            try await body()
            Issue.record("expected code \(code.rawValue), got success")
        } catch {
            #expect(error.asBridgeError.code == code)
        }
    }

    @Test func opensTheEthereumAppFromTheDashboard() async throws {
        var configuration = SimulatedLedger.Configuration()
        configuration.app = .dashboard
        let (device, simulator) = try Self.device(configuration)
        let progress = ProgressLog()
        let result = try await device.address(AddressRequest(path: Self.path.get()), OperationOptions(progress: progress.append))
        #expect(result.address == Self.speculosAddress)
        #expect(simulator.openApp == .ethereum)
        #expect(progress.lines.contains { $0.contains("Open the Ethereum app") })
    }

    @Test func switchesFromBitcoinToEthereum() async throws {
        var configuration = SimulatedLedger.Configuration()
        configuration.app = .bitcoin
        let (device, simulator) = try Self.device(configuration)
        let result = try await device.address(AddressRequest(path: Self.path.get()), .init())
        #expect(result.address == Self.speculosAddress)
        #expect(simulator.openApp == .ethereum)
        // And back for a Bitcoin address.
        let btc = try await device.address(AddressRequest(path: DerivationPath(parsing: "m/84'/0'/0'/0/0"), coin: .btc), .init())
        #expect(btc.address == "bc1qqtl9jlrwcr3fsfcjj2du7pu6fcgaxl5dsw2vyg")
        #expect(simulator.openApp == .bitcoin)
    }

    @Test func refusingToOpenTheAppIsWrongApp() async throws {
        var configuration = SimulatedLedger.Configuration()
        configuration.app = .dashboard
        configuration.approval = .deny
        let (device, _) = try Self.device(configuration)
        await Self.expectCode(.wrongApp) { _ = try await device.address(AddressRequest(path: Self.path.get()), .init()) }
    }

    @Test func denyLockedAndSettings() async throws {
        var deny = SimulatedLedger.Configuration()
        deny.approval = .deny
        let (denied, _) = try Self.device(deny)
        await Self.expectCode(.rejectedOnDevice) {
            _ = try await denied.signMessage(MessageSigningRequest(path: Self.path.get(), message: Array("hi".utf8)), .init())
        }

        var locked = SimulatedLedger.Configuration()
        locked.locked = true
        let (lockedDevice, simulator) = try Self.device(locked)
        await Self.expectCode(.deviceLocked) { _ = try await lockedDevice.address(AddressRequest(path: Self.path.get()), .init()) }
        simulator.setLocked(false)
        #expect(try await lockedDevice.address(AddressRequest(path: Self.path.get()), .init()).address == Self.speculosAddress)

        // Operator defaults: raw messages on, blind signing off -> full works, hashed is refused with -14.
        let (operatorDevice, _) = try Self.device()
        let typedData = try TypedData(jsonText: Self.mail)
        let full = try await operatorDevice.signTypedData(path: Self.path.get(), typedData: typedData, mode: .full, .init())
        #expect(full.address.checksummed == Self.speculosAddress)
        await Self.expectCode(.deviceSettingsRefuse) {
            _ = try await operatorDevice.signTypedData(path: Self.path.get(), typedData: typedData, mode: .hashed, .init())
        }
    }

    @Test func secondCallerGetsBusyAndFramesNeverInterleave() async throws {
        var slow = SimulatedLedger.Configuration()
        slow.latency = .milliseconds(300)
        let (device, _) = try Self.device(slow)
        let path = try Self.path.get()
        let progress = ProgressLog()
        async let first = device.signMessage(MessageSigningRequest(path: path, message: Array("first".utf8)),
                                             OperationOptions(progress: progress.append))
        // The first call reports "Confirm on your Ledger..." while it holds the device (each reply takes 300 ms).
        while progress.lines.isEmpty { try await Task.sleep(for: .milliseconds(5)) }
        await Self.expectCode(.busy) { _ = try await device.address(AddressRequest(path: path), .init()) }
        guard case .ethereum(_, let signer) = try await first else { Issue.record("not an Ethereum signature"); return }
        #expect(signer.checksummed == Self.speculosAddress)
    }

    @Test func deadlineAndCancellation() async throws {
        var slow = SimulatedLedger.Configuration()
        slow.latency = .seconds(5)
        let (device, _) = try Self.device(slow)
        let path = try Self.path.get()
        await Self.expectCode(.timedOut) {
            _ = try await device.address(AddressRequest(path: path), OperationOptions(timeout: .milliseconds(200)))
        }

        let (other, _) = try Self.device(slow)
        let task = Task { try await other.address(AddressRequest(path: path), .init()) }
        try await Task.sleep(for: .milliseconds(100))
        task.cancel()
        await Self.expectCode(.timedOut) { _ = try await task.value }
    }

    @Test func unplugMidExchangeIsConnectionLost() async throws {
        var flaky = SimulatedLedger.Configuration()
        flaky.disconnectAfterFrames = 3
        let (device, _) = try Self.device(flaky)
        await Self.expectCode(.connectionLost) {
            _ = try await device.signMessage(MessageSigningRequest(path: Self.path.get(), message: [UInt8](repeating: 0x41, count: 300)), .init())
        }
    }

    static let mail = """
        {"types":{"EIP712Domain":[{"name":"name","type":"string"},{"name":"version","type":"string"},
        {"name":"chainId","type":"uint256"},{"name":"verifyingContract","type":"address"}],
        "Person":[{"name":"name","type":"string"},{"name":"wallet","type":"address"}],
        "Mail":[{"name":"from","type":"Person"},{"name":"to","type":"Person"},{"name":"contents","type":"string"}]},
        "primaryType":"Mail","domain":{"name":"Ether Mail","version":"1","chainId":1,
        "verifyingContract":"0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC"},
        "message":{"from":{"name":"Cow","wallet":"0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826"},
        "to":{"name":"Bob","wallet":"0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB"},"contents":"Hello, Bob!"}}
        """
}

/// Collects progress lines from an operation.
final class ProgressLog: Sendable {
    private let storage = Mutex<[String]>([])
    var lines: [String] { storage.withLock { $0 } }
    var append: @Sendable (String) -> Void { { line in self.storage.withLock { $0.append(line) } } }
}
