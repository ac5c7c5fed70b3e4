import BridgeCore
import BridgeCrypto
import BridgeDevices

/// Sessions and their seeds: with passphrase protection on, the first derivation of a session asks PassphraseRequest
/// and the seed is cached for that session, so a resumed session (Initialize with its id) never asks again
/// (../shared/reference/trezor.md section 4.3; legacy/firmware/protect.c `protectPassphrase`;
/// core/src/apps/common/passphrase.py).
extension SimulatedTrezor {
    typealias KeyedContinuation = @Sendable (inout State, ExtendedKey) throws(Refusal) -> Step

    /// Runs `next` with the session's BIP-32 master key once the device is unlocked: the PIN first, then the
    /// passphrase when this session has none yet (the order of `CHECK_PIN` and `fsm_getDerivedNode` in the firmware).
    func withKeys(_ state: inout State, then next: @escaping KeyedContinuation) throws(Refusal) -> Step {
        // CHECK_INITIALIZED comes before CHECK_PIN (legacy/firmware/fsm_msg_*.h); core's `get_seed` raises first too.
        guard state.storage.isInitialized else { throw notInitialized }
        return try unlocked(&state) { [self] state throws(Refusal) in try withSeed(&state, then: next) }
    }

    /// Runs `next` with the active session's master key, asking for the passphrase first when needed.
    func withSeed(_ state: inout State, then next: @escaping KeyedContinuation) throws(Refusal) -> Step {
        let sessionID = activeSession(&state)
        if let passphrase = state.sessions.first(where: { $0.id == sessionID })?.passphrase {
            return try next(&state, try master(passphrase, &state))
        }
        guard state.storage.passphraseProtection else {
            // Protection off: the empty passphrase, without asking (passphrase.py `get`: not enabled -> "").
            remember("", for: sessionID, &state)
            return try next(&state, try master("", &state))
        }
        return .ask(TrezorWireMessage(TrezorProto.PassphraseRequest()), .passphrase { [self] state, ack throws(Refusal) in
            try acceptPassphrase(ack, &state) { [self] state, passphrase throws(Refusal) in
                remember(passphrase, for: sessionID, &state)
                return try next(&state, try master(passphrase, &state))
            }
        })
    }

    /// PassphraseAck as the model's firmware takes it.
    private func acceptPassphrase(
        _ ack: TrezorProto.PassphraseAck, _ state: inout State,
        then next: @escaping @Sendable (inout State, String) throws(Refusal) -> Step
    ) throws(Refusal) -> Step {
        if ack.onDevice == true {
            guard isCore else {
                // legacy/firmware/protect.c `protectPassphrase`.
                throw Refusal(code: .dataError, message: "This firmware is incapable of passphrase entry on the device.")
            }
            guard ack.passphrase == nil else {
                throw Refusal(code: .dataError, message: "Passphrase provided when it should not be")
            }
            // core `request_passphrase_on_device`: ButtonRequest(PassphraseEntry 19, "passphrase_device"), then the
            // simulated user types `configuration.passphrase` (YES) or cancels (NO); a debug client types its own.
            let entry = Screen(code: .passphraseEntry, name: "passphrase_device",
                               denial: Refusal(code: .actionCancelled, message: "Passphrase entry cancelled"),
                               title: "Enter passphrase")
            let typed = configuration.passphrase ?? ""
            return confirm(entry) { state throws(Refusal) in try next(&state, state.keyboardInput ?? typed) }
        }
        guard let passphrase = ack.passphrase else {
            throw Refusal(
                code: .dataError,
                message: isCore
                    ? "Passphrase not provided and on_device is False. Use empty string to set an empty passphrase."
                    : "No passphrase provided. Use empty string to set an empty passphrase.")
        }
        guard passphrase.utf8.count <= Self.maximumPassphraseLength else {
            throw Refusal(code: .dataError, message: "Maximum passphrase length is \(Self.maximumPassphraseLength) bytes")
        }
        guard !passphrase.isEmpty else { return try next(&state, passphrase) }
        // A hidden wallet is confirmed twice: "Access hidden wallet?" and the passphrase itself (recorded
        // `passphrase_session_ethereum_get_address`: 2 ButtonRequests code Other; core "passphrase_host1/2").
        let screens = [screen(.other, "passphrase_host1", title: "Hidden wallet", lines: ["Access hidden wallet?"]),
                       screen(.other, "passphrase_host2", title: "Confirm passphrase", lines: [passphrase])]
        return try confirm(screens, &state) {
            state throws(Refusal) in try next(&state, passphrase)
        }
    }

    /// Failure(NotInitialized): legacy/firmware/fsm.c `fsm_sendFailure`'s default text, core/src/apps/common/seed.py.
    var notInitialized: Refusal {
        Refusal(code: .notInitialized, message: isCore ? "Device is not initialized" : "Device not initialized")
    }

    /// The active session's id; a device used without Initialize works in an implicit session, as the firmware does.
    func activeSession(_ state: inout State) -> [UInt8] {
        if let id = state.activeSessionID, state.sessions.contains(where: { $0.id == id }) { return id }
        let session = Session(id: (0..<32).map { _ in UInt8.random(in: 0...255) })
        state.sessions.append(session)
        if state.sessions.count > Self.maximumSessions { state.sessions.removeFirst() }
        state.activeSessionID = session.id
        return session.id
    }

    private func remember(_ passphrase: String, for sessionID: [UInt8], _ state: inout State) {
        if let index = state.sessions.firstIndex(where: { $0.id == sessionID }) {
            state.sessions[index].passphrase = passphrase
        }
    }

    /// The master key of the seed with `passphrase` (BIP-39 PBKDF2, then BIP-32), cached per passphrase.
    func master(_ passphrase: String, _ state: inout State) throws(Refusal) -> ExtendedKey {
        if let cached = state.masters[passphrase] { return cached }
        guard let mnemonic = state.storage.mnemonic else { throw notInitialized }
        do {
            let key = try ExtendedKey.master(seed: mnemonic.seed(passphrase: passphrase))
            state.masters[passphrase] = key
            return key
        } catch {
            throw Refusal(code: .processError, message: "Failed to derive private key")
        }
    }

    /// The key at `path` (legacy/firmware/fsm.c `fsm_getDerivedNode`: "Failed to derive private key").
    func derive(_ master: ExtendedKey, _ path: [UInt32]) throws(Refusal) -> ExtendedKey {
        do {
            return try master.derived(DerivationPath(indexes: path))
        } catch {
            throw Refusal(code: .processError, message: "Failed to derive private key")
        }
    }

    /// The private key of `key` (always present: the simulator derives from the seed).
    func privateKey(_ key: ExtendedKey) throws(Refusal) -> PrivateKey {
        guard let privateKey = key.privateKey else {
            throw Refusal(code: .processError, message: "Failed to derive private key")
        }
        return privateKey
    }
}
