import BridgeCore
import BridgeCrypto
import BridgeDevices

/// ResetDevice: a new wallet (trezorlib `device.reset`, `hwi setup`, `trezorctl device setup`), answered as each
/// firmware does: legacy/firmware/fsm_msg_common.h `fsm_msgResetDevice` and reset.c; core/src/apps/management/
/// reset_device/__init__.py. BIP-39 only; the entropy-check protocol is not simulated (the seed is stored at once).
extension SimulatedTrezor {
    /// The firmware's strengths for a BIP-39 seed, in bits.
    static let seedStrengths: Set<UInt32> = [128, 192, 256]

    func resetDevice(_ message: TrezorProto.ResetDevice, _ state: inout State) throws(Refusal) -> Step {
        // legacy: CHECK_NOT_INITIALIZED, then CHECK_PARAM (strength); core `_validate_reset_device`: strength and
        // backup type first, then "Already initialized".
        let strength = message.strength ?? (isCore ? 256 : 128)
        if isCore {
            guard Self.seedStrengths.contains(strength) else {
                throw Refusal(code: .processError, message: "Invalid strength (has to be 128, 192 or 256 bits)")
            }
            guard (message.backupType ?? 0) == 0 else {
                throw Refusal(code: .processError, message: "Backup type not implemented")
            }
            guard !state.storage.isInitialized else { throw Refusal(code: .unexpectedMessage, message: "Already initialized") }
        } else {
            guard !state.storage.isInitialized else {
                throw Refusal(code: .unexpectedMessage, message: "Device is already initialized. Use Wipe first.")
            }
            guard Self.seedStrengths.contains(strength) else {
                throw Refusal(code: .dataError, message: "Invalid seed strength")
            }
        }
        let lines = isCore
            ? ["Create a new wallet?", "By continuing you agree to Trezor Company's terms and conditions."]
            : ["Do you really want to", "create a new wallet?", "By continuing you", "agree to trezor.io/tos"]
        let confirmation = screen(isCore ? .resetDevice : .protectCall, "setup_device", title: "Create new wallet", lines: lines)
        return confirm(confirmation) { [self] state throws(Refusal) in
            try choosePIN(message.pinProtection == true, &state) { [self] state, pin throws(Refusal) in
                .ask(TrezorWireMessage(TrezorProto.EntropyRequest()), .entropy { [self] state, external throws(Refusal) in
                    // Both: "Insufficient external entropy" when the host's bytes are fewer than the seed's.
                    guard external.count * 8 >= Int(strength) else {
                        throw Refusal(code: .processError, message: "Insufficient external entropy")
                    }
                    // sha256(device entropy || host entropy), cut to the strength (reset.c `reset_entropy`; core
                    // `_compute_secret_from_entropy`).
                    let own = configuration.internalEntropy ?? (0..<32).map { _ in UInt8.random(in: 0...255) }
                    let secret = Array(Hash.sha256(own + external).prefix(Int(strength) / 8))
                    guard let mnemonic = try? Mnemonic(entropy: secret) else {
                        throw Refusal(code: .processError, message: "Failed to store mnemonic")
                    }
                    let backup = message.skipBackup != true && message.noBackup != true
                    return try confirm(backupScreens(mnemonic.words, backup: backup), &state) { [self] state throws(Refusal) in
                        state.storage = Storage(mnemonic: mnemonic, phrase: mnemonic.words.joined(separator: " "), pin: pin,
                                                passphraseProtection: message.passphraseProtection == true, label: message.label)
                        state.masters.removeAll()
                        state.sessions.removeAll()
                        state.activeSessionID = nil
                        state.unlocked = true
                        return .reply(TrezorWireMessage(TrezorProto.Success(
                            message: isCore ? "Initialized" : "Device successfully initialized")))
                    }
                })
            }
        }
    }

    /// The new PIN, when asked for: on the Trezor One through the matrix twice ("Please enter new PIN:", "Please
    /// re-enter new PIN:"; empty is PinCancelled, a difference PinMismatch: legacy/firmware/protect.c
    /// `protectChangePin`); on core models entered on the device twice: the digits typed through the debug link, else
    /// the configured PIN, else 1234 (the simulated user's choice).
    private func choosePIN(_ wanted: Bool, _ state: inout State,
                           then next: @escaping @Sendable (inout State, String?) throws(Refusal) -> Step) throws(Refusal) -> Step {
        guard wanted else { return try next(&state, nil) }
        guard !isCore else {
            let cancelled = Refusal(code: .pinCancelled, message: "PIN entry cancelled")
            let reentry = Screen(code: .pinEntry, name: "pin_device", denial: cancelled, title: "Re-enter new PIN")
            return confirm(Screen(code: .pinEntry, name: "pin_device", denial: cancelled, title: "Enter new PIN")) { [self] state throws(Refusal) in
                let first = state.keyboardInput ?? configuration.pin ?? "1234"
                return confirm(reentry) { state throws(Refusal) in
                    guard (state.keyboardInput ?? first) == first else {
                        throw Refusal(code: .pinMismatch, message: "PIN mismatch")
                    }
                    return try next(&state, first)
                }
            }
        }
        return askMatrix(.newFirst) { [self] state, first throws(Refusal) in
            guard !first.isEmpty else { throw Refusal(code: .pinCancelled, message: "PIN cancelled") }
            return askMatrix(.newSecond) { state, second throws(Refusal) in
                guard second == first else { throw Refusal(code: .pinMismatch, message: "PIN mismatch") }
                return try next(&state, first)
            }
        }
    }

    /// What the device shows once the seed exists: the words to write down and check (legacy: each word on its own
    /// ConfirmWord screen, twice: reset.c `reset_backup`), or core's "wallet created", backup prompt, words and
    /// success screens. With skip_backup or no_backup, nothing (core still says the wallet was created).
    private func backupScreens(_ words: [String], backup: Bool) -> [Screen] {
        if !isCore {
            guard backup else { return [] }
            return [("Write down", 0), ("Check", 1)].flatMap { title, _ in
                words.enumerated().map { index, word in
                    screen(.confirmWord, "reset_word", title: title, lines: ["\(index + 1). \(word)"])
                }
            }
        }
        let created = screen(.resetDevice, "backup_device", title: "Done", lines: ["Wallet created."])
        guard backup else { return [created] }
        let numbered = words.enumerated().map { "\($0.offset + 1). \($0.element)" }
        return [
            created,
            screen(.resetDevice, "backup_device", title: "Create backup", lines: ["Back up your wallet now?"]),
            screen(.resetDevice, "backup_intro", title: "Wallet backup", lines: ["Write down the \(words.count) words."]),
            Screen(code: .resetDevice, name: "backup_words", pages: UInt32((words.count + 3) / 4), denial: cancelled,
                   title: "Recovery phrase", lines: numbered),
            screen(.success, "success_backup", title: "Backup created", lines: ["Keep it safe."]),
        ]
    }
}
