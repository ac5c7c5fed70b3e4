import BridgeCore
import BridgeCrypto
import BridgeDevices
import BridgeSimulator
import Testing

/// PIN, passphrase, the user's NO and Cancel end to end: the bridge's ``TrezorDevice`` over ``SimulatedTrezorLink``.
@Suite("Simulated Trezor through TrezorDevice")
struct SimulatedTrezorDeviceTests {
    let ethereumPath = try! DerivationPath(parsing: "m/44'/60'/0'/0/0")
    let standardAddress = "0x73d0385F4d8E00C5e6504C6030F47BF6212736A8"
    /// The "all all" seed's m/44'/60'/0'/0/0 with passphrase "TREZOR" (recorded `passphrase_session_ethereum_get_address`).
    let hiddenWalletAddress = "0xf061411b46fB8cCcdeb16855347a419a777A1f9A"
    let options = OperationOptions(timeout: .seconds(30))

    func wallet(_ simulator: SimulatedTrezor, _ credentials: TrezorCredentials = TrezorCredentials()) -> TrezorDevice {
        let model = simulator.configuration.model.rawValue
        return TrezorDevice(link: SimulatedTrezorLink(device: simulator),
                            descriptor: DeviceDescriptor(id: "sim", family: .trezor, model: model, transport: "sim", path: "sim:trezor"),
                            credentials: credentials)
    }

    func ethereumAddress(_ wallet: TrezorDevice, options: OperationOptions? = nil) async throws(DeviceError) -> String {
        try await wallet.address(AddressRequest(path: ethereumPath, coin: .eth), options ?? self.options).address
    }

    /// The recorded `pin_matrix_correct_pin` layout: PIN 1234 is entered as positions 2413.
    let recordedLayout: [UInt8] = [3, 1, 4, 2, 7, 9, 5, 8, 6]

    @Test func trezorOneRightPINFromTheProvider() async throws {
        let simulator = try TrezorSim.device {
            $0.model = .one
            $0.pin = "1234"
            $0.pinLayout = recordedLayout
        }
        let wallet = wallet(simulator, TrezorCredentials(pinPositions: { type in type == .current ? "2413" : nil }))
        #expect(try await ethereumAddress(wallet) == standardAddress)
        #expect(!simulator.isLocked)
    }

    @Test func trezorOneWrongPINIsLocked() async throws {
        let simulator = try TrezorSim.device {
            $0.model = .one
            $0.pin = "1234"
            $0.pinLayout = recordedLayout
        }
        // "4321" on this layout.
        let wallet = wallet(simulator, TrezorCredentials(pinPositions: { _ in "3142" }))
        await #expect {
            _ = try await ethereumAddress(wallet)
        } throws: { error in
            (error as? DeviceError)?.code == .deviceLocked
        }
        #expect(simulator.isLocked)
        // No PIN at hand at all: locked too (-5), and the device is left idle.
        await #expect {
            _ = try await ethereumAddress(self.wallet(simulator))
        } throws: { error in
            (error as? DeviceError)?.code == .deviceLocked
        }
    }

    @Test func trezorOneRandomMatrixReadOffTheScreen() async throws {
        let simulator = try TrezorSim.device {
            $0.model = .one
            $0.pin = "9157"
        }
        // As an operator reads the scrambled keypad: the positions depend on this request's layout.
        let wallet = wallet(simulator, TrezorCredentials(pinPositions: { _ in
            simulator.pinMatrixOnScreen.flatMap { try? TrezorSim.positions(of: "9157", on: $0) }
        }))
        #expect(try await ethereumAddress(wallet) == standardAddress)
    }

    @Test func safe5TakesThePINOnTheDevice() async throws {
        let simulator = try TrezorSim.device {
            $0.model = .safe5
            $0.pin = "246810"
        }
        #expect(try await ethereumAddress(wallet(simulator)) == standardAddress)
        #expect(!simulator.isLocked)
    }

    @Test func hostPassphraseOnATrezorOne() async throws {
        let simulator = try TrezorSim.device {
            $0.model = .one
            $0.passphrase = ""
        }
        #expect(try await ethereumAddress(wallet(simulator, TrezorCredentials(passphraseOnHost: "TREZOR"))) == hiddenWalletAddress)
    }

    @Test func onDevicePassphraseOnASafe5() async throws {
        let simulator = try TrezorSim.device {
            $0.model = .safe5
            $0.passphrase = "TREZOR"
        }
        // No host passphrase and Capability PassphraseEntry: the user types it on the device.
        #expect(try await ethereumAddress(wallet(simulator)) == hiddenWalletAddress)
    }

    @Test(arguments: SimulatedTrezor.Model.allCases)
    func denyIsRejectedOnDevice(model: SimulatedTrezor.Model) async throws {
        let simulator = try TrezorSim.device {
            $0.model = model
            $0.approval = .deny
        }
        let request = MessageSigningRequest(path: ethereumPath, message: Array("hello".utf8), coin: .eth)
        await #expect {
            _ = try await wallet(simulator).signMessage(request, options)
        } throws: { error in
            (error as? DeviceError)?.code == .rejectedOnDevice
        }
    }

    @Test func cancelOnTimeoutLeavesTheDeviceIdle() async throws {
        let simulator = try TrezorSim.device {
            $0.model = .safe5
            $0.userPressesButtons = false
        }
        let wallet = wallet(simulator)
        let request = MessageSigningRequest(path: ethereumPath, message: Array("nobody presses".utf8), coin: .eth)
        await #expect {
            _ = try await wallet.signMessage(request, OperationOptions(timeout: .seconds(1)))
        } throws: { error in
            (error as? DeviceError)?.code == .timedOut
        }
        // The host sent Cancel and drained the Failure: the next call is answered normally.
        #expect(try await ethereumAddress(wallet) == standardAddress)
    }
}
