import BridgeCore
import BridgeCrypto
import BridgeDevices
import BridgeSimulator
import Testing

/// WipeDevice, LoadDevice and ApplySettings change what the device answers, as on the firmware (trezor/trezor-firmware
/// legacy/firmware/fsm_msg_common.h; core/src/apps/management/wipe_device.py, apply_settings.py,
/// core/src/apps/debug/load_device.py). HWI's device tests begin every Trezor test with a wipe and a load.
@Suite("Simulated Trezor: wipe, load and settings")
struct SimulatedTrezorStorageTests {
    static let abandon = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
    /// BIP-44 m/44'/0'/0'/0/0 of the "abandon ... about" seed (the BIP-39/BIP-44 reference vector).
    static let abandonAddress = "1LqBGSKuX5yYUonjxT5qGfpUsXKYYWeabA"
    /// The same path of the "all all" seed (trezor-firmware tests/device_tests/bitcoin/test_getaddress.py).
    static let allAllAddress = "1JAd7XCBzGudGpJQSDSfpmJhiygtLQWaGL"

    func address(_ device: SimulatedTrezor) throws -> TrezorWireMessage {
        try TrezorSim.call(device, TrezorProto.GetAddress(addressN: try TrezorSim.path("m/44'/0'/0'/0/0"), coinName: "Bitcoin")).result
    }

    @Test("wipe, then load another seed: features, refusals and addresses follow", arguments: [SimulatedTrezor.Model.one, .safe5])
    func wipeThenLoad(_ model: SimulatedTrezor.Model) throws {
        let device = try TrezorSim.device { $0.model = model }
        #expect(try address(device).decode(TrezorProto.Address.self).address == Self.allAllAddress)

        let wipe = try TrezorSim.call(device, TrezorProto.WipeDevice())
        #expect(wipe.buttons.map(\.code) == [.wipeDevice])
        #expect(try wipe.result.decode(TrezorProto.Success.self).message == "Device wiped")
        let wiped = try TrezorSim.reply(device, TrezorProto.GetFeatures()).decode(TrezorProto.Features.self)
        #expect(wiped.initialized == false && wiped.label == nil && wiped.pinProtection == false)
        let refused = try TrezorSim.failure(try address(device))
        #expect(refused.code == .notInitialized)
        #expect(refused.message == (model == .one ? "Device not initialized" : "Device is not initialized"))

        let load = TrezorProto.LoadDevice(mnemonics: [Self.abandon], pin: nil, passphraseProtection: false, label: "loaded")
        let loaded = try TrezorSim.call(device, load)
        #expect(loaded.buttons.map(\.code) == [model == .one ? .protectCall : .other])
        #expect(try loaded.result.decode(TrezorProto.Success.self).message == "Device loaded")
        let features = try TrezorSim.reply(device, TrezorProto.GetFeatures()).decode(TrezorProto.Features.self)
        #expect(features.initialized == true && features.label == "loaded")
        #expect(try address(device).decode(TrezorProto.Address.self).address == Self.abandonAddress)

        // A second load without a wipe is refused in each firmware's words.
        let again = try TrezorSim.failure(try TrezorSim.reply(device, load))
        #expect(again.code == .unexpectedMessage)
        #expect(again.message == (model == .one ? "Device is already initialized. Use Wipe first." : "Already initialized"))
    }

    @Test("LoadDevice with a PIN and passphrase protection: the device is locked by that PIN and asks for a passphrase")
    func loadWithPINAndPassphrase() throws {
        let device = try TrezorSim.device {
            $0.model = .one
            $0.pinLayout = [7, 8, 9, 4, 5, 6, 1, 2, 3]
        }
        _ = try TrezorSim.call(device, TrezorProto.WipeDevice())
        _ = try TrezorSim.call(device, TrezorProto.LoadDevice(mnemonics: [Self.abandon], pin: "1234", passphraseProtection: true))
        let features = try TrezorSim.reply(device, TrezorProto.GetFeatures()).decode(TrezorProto.Features.self)
        #expect(features.pinProtection == true && features.passphraseProtection == true)
        device.lock()
        let request = try address(device)
        #expect(request.messageType == .pinMatrixRequest)
        // Positions 7 8 9 4 show the digits 1 2 3 4 on this layout.
        #expect(try TrezorSim.reply(device, TrezorProto.PinMatrixAck(pin: "7894")).messageType == .passphraseRequest)
        let answer = try TrezorSim.reply(device, TrezorProto.PassphraseAck(passphrase: ""))
        #expect(try answer.decode(TrezorProto.Address.self).address == Self.abandonAddress)
    }

    @Test("LoadDevice refuses a mnemonic with a bad checksum in each firmware's words", arguments: [
        (SimulatedTrezor.Model.one, TrezorProto.FailureType.dataError, "Mnemonic with wrong checksum provided"),
        (.safe5, .processError, "Mnemonic is not valid"),
    ])
    func loadRefusesABadChecksum(_ model: SimulatedTrezor.Model, _ code: TrezorProto.FailureType, _ text: String) throws {
        let device = try TrezorSim.device { $0.model = model }
        _ = try TrezorSim.call(device, TrezorProto.WipeDevice())
        let bad = Array(repeating: "abandon", count: 12).joined(separator: " ")
        let refusal = try TrezorSim.failure(try TrezorSim.reply(device, TrezorProto.LoadDevice(mnemonics: [bad])))
        #expect(refusal.code == code && refusal.message == text)
        #expect(!device.isInitialized)
    }

    @Test("ApplySettings: label and passphrase protection, each confirmed on its own screen", arguments: [SimulatedTrezor.Model.one, .safe5])
    func applySettings(_ model: SimulatedTrezor.Model) throws {
        let device = try TrezorSim.device { $0.model = model }
        let applied = try TrezorSim.call(device, TrezorProto.ApplySettings(label: "desk 7", usePassphrase: true))
        #expect(applied.buttons.map(\.code) == [.protectCall, .protectCall])
        #expect(try applied.result.decode(TrezorProto.Success.self).message == "Settings applied")
        let features = try TrezorSim.reply(device, TrezorProto.GetFeatures()).decode(TrezorProto.Features.self)
        #expect(features.label == "desk 7" && features.passphraseProtection == true)
        #expect(device.screensShown.contains { $0.name == "set_label" && $0.shows("desk 7") })
        // Now a derivation asks for the passphrase.
        #expect(try address(device).messageType == .passphraseRequest)
        #expect(try TrezorSim.failure(try TrezorSim.reply(device, TrezorProto.Cancel())).code == .actionCancelled)

        let empty = try TrezorSim.failure(try TrezorSim.reply(device, TrezorProto.ApplySettings()))
        #expect(empty.message == "No setting provided")
        let long = TrezorProto.ApplySettings(label: String(repeating: "x", count: 33))
        if model == .one {
            // legacy/firmware/config.c keeps the first 32 bytes.
            _ = try TrezorSim.call(device, long)
            #expect(try TrezorSim.reply(device, TrezorProto.GetFeatures()).decode(TrezorProto.Features.self).label == String(repeating: "x", count: 32))
        } else {
            let refused = try TrezorSim.failure(try TrezorSim.reply(device, long))
            #expect(refused.code == .dataError && refused.message == "Label too long")
        }
    }

    @Test("the user's NO on the wipe screen keeps the seed")
    func wipeDeclined() throws {
        let device = try TrezorSim.device { $0.approval = .deny }
        let failure = try TrezorSim.failure(try TrezorSim.call(device, TrezorProto.WipeDevice()).result)
        #expect(failure.code == .actionCancelled)
        #expect(device.isInitialized)
    }

    @Test("the codecs: LoadDevice's repeated mnemonics and DebugLinkState's tokens round-trip")
    func codecs() throws {
        let load = TrezorProto.LoadDevice(mnemonics: ["a b", "c"], pin: "12", label: "x")
        let bytes = load.protobuf()
        #expect(bytes == [0x0A, 0x03, 0x61, 0x20, 0x62, 0x0A, 0x01, 0x63, 0x1A, 0x02, 0x31, 0x32, 0x32, 0x01, 0x78])
        let decoded = try TrezorProto.LoadDevice(protobuf: bytes)
        #expect(decoded.mnemonics == ["a b", "c"] && decoded.pin == "12" && decoded.label == "x")
        let state = try TrezorProto.DebugLinkState(protobuf: TrezorProto.DebugLinkState(matrix: "123", tokens: ["t1", "t2"]).protobuf())
        #expect(state.matrix == "123" && state.tokens == ["t1", "t2"])
    }
}
