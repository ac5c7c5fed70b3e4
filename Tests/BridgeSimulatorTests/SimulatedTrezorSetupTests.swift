import BridgeCore
import BridgeCrypto
import BridgeDevices
import BridgeSimulator
import Testing

/// ResetDevice (a new wallet) as each firmware runs it (trezor/trezor-firmware legacy/firmware/reset.c,
/// core/src/apps/management/reset_device/__init__.py): confirm, new PIN, EntropyRequest, the seed from
/// sha256(device entropy || host entropy), backup screens, Success.
@Suite("Simulated Trezor: ResetDevice (setup)")
struct SimulatedTrezorSetupTests {
    static let deviceEntropy = [UInt8](repeating: 0x11, count: 32)
    static let hostEntropy = [UInt8](repeating: 0x22, count: 32)

    /// The phrase the firmware derives: the first strength/8 bytes of sha256(device || host) as BIP-39 entropy.
    static func expectedPhrase(strength: Int) throws -> String {
        try Mnemonic(entropy: Array(Hash.sha256(deviceEntropy + hostEntropy).prefix(strength / 8))).words.joined(separator: " ")
    }

    func wiped(_ model: SimulatedTrezor.Model) throws -> SimulatedTrezor {
        let device = try TrezorSim.device {
            $0.model = model
            $0.internalEntropy = Self.deviceEntropy
            $0.pinLayout = [7, 8, 9, 4, 5, 6, 1, 2, 3]
        }
        _ = try TrezorSim.call(device, TrezorProto.WipeDevice())
        return device
    }

    @Test("Trezor One: confirm, new PIN twice on the matrix, EntropyRequest, 24 words written down and checked, Success")
    func legacySetup() throws {
        let device = try wiped(.one)
        let start = try TrezorSim.call(device, TrezorProto.ResetDevice(strength: 256, pinProtection: true, label: "desk"))
        #expect(start.buttons.map(\.code) == [.protectCall])
        let positions = try TrezorSim.positions(of: "2468", on: [7, 8, 9, 4, 5, 6, 1, 2, 3])
        #expect(try start.result.decode(TrezorProto.PinMatrixRequest.self).type == .newFirst)
        #expect(device.screen.title == "Please enter new PIN:")
        let second = try TrezorSim.reply(device, TrezorProto.PinMatrixAck(pin: positions))
        #expect(try second.decode(TrezorProto.PinMatrixRequest.self).type == .newSecond)
        let entropy = try TrezorSim.reply(device, TrezorProto.PinMatrixAck(pin: positions))
        #expect(entropy.messageType == .entropyRequest)
        let backup = try TrezorSim.call(device, TrezorProto.EntropyAck(entropy: Self.hostEntropy))
        #expect(backup.buttons.count == 48 && backup.buttons.allSatisfy { $0.code == .confirmWord })
        #expect(try backup.result.decode(TrezorProto.Success.self).message == "Device successfully initialized")

        let phrase = try Self.expectedPhrase(strength: 256)
        #expect(device.screensShown.filter { $0.name == "reset_word" }.first?.lines == ["1. " + phrase.split(separator: " ")[0]])
        let features = try TrezorSim.reply(device, TrezorProto.GetFeatures()).decode(TrezorProto.Features.self)
        #expect(features.initialized == true && features.label == "desk" && features.pinProtection == true)
        let address = try TrezorSim.call(device, TrezorProto.GetAddress(addressN: try TrezorSim.path("m/44'/0'/0'/0/0"), coinName: "Bitcoin"))
        let key = try ExtendedKey.master(seed: try Mnemonic(phrase: phrase).seed()).derived(try DerivationPath(parsing: "m/44'/0'/0'/0/0"))
        #expect(try address.result.decode(TrezorProto.Address.self).address == BitcoinAddress.address(for: key.publicKey, script: .p2pkh, network: .main))
    }

    @Test("Safe 5: 128 bits, skip_backup: only \"wallet created\" after the entropy; Success(\"Initialized\")")
    func coreSetupSkippingBackup() throws {
        let device = try wiped(.safe5)
        let start = try TrezorSim.call(device, TrezorProto.ResetDevice(strength: 128, passphraseProtection: true, skipBackup: true))
        #expect(start.buttons.map(\.name) == ["setup_device"])
        #expect(start.result.messageType == .entropyRequest)
        let done = try TrezorSim.call(device, TrezorProto.EntropyAck(entropy: Self.hostEntropy))
        #expect(done.buttons.map(\.name) == ["backup_device"])
        #expect(try done.result.decode(TrezorProto.Success.self).message == "Initialized")
        let features = try TrezorSim.reply(device, TrezorProto.GetFeatures()).decode(TrezorProto.Features.self)
        #expect(features.initialized == true && features.passphraseProtection == true)
        #expect(device.isInitialized)
    }

    @Test("refusals: already initialized, a bad strength, too little host entropy, a PIN entered differently, an EntropyAck nobody asked for",
          arguments: [SimulatedTrezor.Model.one, .safe5])
    func refusals(_ model: SimulatedTrezor.Model) throws {
        let initialized = try TrezorSim.device { $0.model = model }
        let again = try TrezorSim.failure(try TrezorSim.reply(initialized, TrezorProto.ResetDevice(strength: 128)))
        #expect(again.code == .unexpectedMessage)
        #expect(again.message == (model == .one ? "Device is already initialized. Use Wipe first." : "Already initialized"))

        let device = try wiped(model)
        let badStrength = try TrezorSim.failure(try TrezorSim.reply(device, TrezorProto.ResetDevice(strength: 160)))
        #expect(badStrength.code == (model == .one ? .dataError : .processError))

        let stray = try TrezorSim.failure(try TrezorSim.reply(device, TrezorProto.EntropyAck(entropy: Self.hostEntropy)))
        #expect(stray.code == .unexpectedMessage)

        let asked = try TrezorSim.call(device, TrezorProto.ResetDevice(strength: 256, skipBackup: true))
        #expect(asked.result.messageType == .entropyRequest)
        let short = try TrezorSim.failure(try TrezorSim.call(device, TrezorProto.EntropyAck(entropy: [1, 2, 3])).result)
        #expect(short.code == .processError && short.message == "Insufficient external entropy")
        #expect(!device.isInitialized)

        if model == .one {
            _ = try TrezorSim.call(device, TrezorProto.ResetDevice(strength: 128, pinProtection: true))
            _ = try TrezorSim.reply(device, TrezorProto.PinMatrixAck(pin: "11"))
            let mismatch = try TrezorSim.failure(try TrezorSim.reply(device, TrezorProto.PinMatrixAck(pin: "22")))
            #expect(mismatch.code == .pinMismatch)
            #expect(!device.isInitialized)
        }
    }
}
