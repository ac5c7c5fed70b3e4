import BridgeCore
import BridgeCrypto
import BridgeDevices

/// What changes the device's storage: WipeDevice, LoadDevice and ApplySettings, answered as each model's firmware
/// does (trezor/trezor-firmware legacy/firmware/fsm_msg_common.h `fsm_msgWipeDevice`, `fsm_msgLoadDevice`,
/// `fsm_msgApplySettings`; core/src/apps/management/wipe_device.py, apply_settings.py; core/src/apps/debug/load_device.py).
/// HWI's device tests and trezorlib.debuglink start each test with a wipe and a load.
extension SimulatedTrezor {
    /// The longest label storage keeps (core/src/storage/device.py `LABEL_MAXLENGTH`; legacy's label buffer is 33
    /// bytes with its terminator).
    static let maximumLabelLength = 32

    /// WipeDevice: confirmed on the device (no PIN asked: a locked device can be wiped), then the seed, PIN, label,
    /// passphrase protection, flags and every session are gone; Success("Device wiped").
    func wipeDevice(_ state: inout State) -> Step {
        let lines = isCore
            ? ["Do you really want to wipe the device?", "All data will be lost."]
            : ["Do you really want to", "wipe the device?", "All data will be lost."]
        return confirm(screen(.wipeDevice, "confirm_wipe", title: "Wipe device", lines: lines)) { state throws(Refusal) in
            state.storage = .wiped
            state.sessions.removeAll()
            state.activeSessionID = nil
            state.masters.removeAll()
            state.unlocked = true
            return .reply(TrezorWireMessage(TrezorProto.Success(message: "Device wiped")))
        }
    }

    /// LoadDevice: only into a wiped device, after the user takes the risk on screen; a BIP-39 mnemonic whose
    /// checksum fails is refused unless `skip_checksum`. SLIP-39 shares are refused: the simulator holds BIP-39 seeds.
    func loadDevice(_ message: TrezorProto.LoadDevice, _ state: inout State) throws(Refusal) -> Step {
        // legacy: CHECK_PIN then CHECK_NOT_INITIALIZED; core `_validate`.
        return try unlocked(&state) { [self] state throws(Refusal) in
            guard !state.storage.isInitialized else {
                throw Refusal(code: .unexpectedMessage,
                              message: isCore ? "Already initialized" : "Device is already initialized. Use Wipe first.")
            }
            guard let phrase = message.mnemonics.first else {
                throw Refusal(code: .processError, message: "No mnemonic provided")
            }
            guard message.mnemonics.count == 1, [12, 18, 24].contains(phrase.split(separator: " ").count) else {
                throw Refusal(code: .processError, message: "Only BIP-39 mnemonics of 12, 18 or 24 words are simulated")
            }
            if let pin = message.pin, !pin.isEmpty, !Self.isPIN(pin, model: configuration.model) {
                throw Refusal(code: .processError, message: "Invalid PIN")
            }
            let mnemonic: Mnemonic
            do throws(CryptoError) {
                mnemonic = try Mnemonic(phrase: phrase)
            } catch {
                // A wrong checksum even with skip_checksum: the simulator derives only from valid BIP-39 phrases.
                throw Refusal(code: isCore ? .processError : .dataError,
                              message: isCore ? "Mnemonic is not valid" : "Mnemonic with wrong checksum provided")
            }
            let warning = screen(isCore ? .other : .protectCall, "warn_loading_seed", title: "Loading seed",
                                 lines: ["Loading private seed is not recommended.", "Continue only if you know what you are doing!"])
            return confirm(warning) { state throws(Refusal) in
                let pin = message.pin.flatMap { $0.isEmpty ? nil : $0 }
                state.storage = Storage(mnemonic: mnemonic, phrase: phrase, pin: pin,
                                        passphraseProtection: message.passphraseProtection == true, label: message.label)
                state.masters.removeAll()
                state.sessions.removeAll()
                state.activeSessionID = nil
                state.unlocked = true
                return .reply(TrezorWireMessage(TrezorProto.Success(message: "Device loaded")))
            }
        }
    }

    /// ApplySettings: each setting confirmed on its own screen, in the firmware's order (label, passphrase), then
    /// stored; Success("Settings applied").
    func applySettings(_ message: TrezorProto.ApplySettings, _ state: inout State) throws(Refusal) -> Step {
        if !isCore {
            // legacy CHECK_PARAMs come before CHECK_PIN.
            guard message.passphraseAlwaysOnDevice == nil else {
                throw Refusal(code: .dataError, message: "This firmware is incapable of passphrase entry on the device.")
            }
        } else {
            guard state.storage.isInitialized else { throw notInitialized }
        }
        let anySetting = message.label != nil || message.language != nil || message.usePassphrase != nil
            || message.autoLockDelayMs != nil || message.safetyChecks != nil || (isCore && message.passphraseAlwaysOnDevice != nil)
        guard anySetting else {
            throw Refusal(code: isCore ? .processError : .dataError, message: "No setting provided")
        }
        if isCore, let label = message.label, label.utf8.count > Self.maximumLabelLength {
            throw Refusal(code: .dataError, message: "Label too long")
        }
        return try unlocked(&state) { [self] state throws(Refusal) in
            var screens: [Screen] = []
            if let label = message.label {
                screens.append(screen(.protectCall, "set_label", title: "Device name", lines: ["Change device name to", label + "?"]))
            }
            if let use = message.usePassphrase {
                screens.append(screen(.protectCall, "set_passphrase", title: "Passphrase",
                                      lines: ["Do you really want to", (use ? "enable" : "disable") + " passphrase protection?"]))
            }
            return try confirm(screens, &state) { state throws(Refusal) in
                // legacy/firmware/config.c `config_setLabel` keeps what fits in its buffer.
                if let label = message.label { state.storage.label = String(decoding: label.utf8.prefix(Self.maximumLabelLength), as: UTF8.self) }
                if let use = message.usePassphrase {
                    state.storage.passphraseProtection = use
                    // Sessions derived without (or with) a passphrase no longer match the setting.
                    for index in state.sessions.indices { state.sessions[index].passphrase = nil }
                }
                return .reply(TrezorWireMessage(TrezorProto.Success(message: "Settings applied")))
            }
        }
    }
}
