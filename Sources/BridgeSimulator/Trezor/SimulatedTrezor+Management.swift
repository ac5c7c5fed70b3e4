import BridgeCore
import BridgeCrypto
import BridgeDevices

/// Message routing and the management messages: Initialize, GetFeatures, Ping, Cancel, EndSession, ApplyFlags,
/// LockDevice (WipeDevice, LoadDevice and ApplySettings are in SimulatedTrezor+Settings.swift) and the refusal of types the model does not handle (trezor/trezor-firmware legacy/firmware/fsm_msg_common.h; core/src/apps/base.py;
/// ../shared/reference/trezor.md sections 3-4).
extension SimulatedTrezor {
    /// A new call from an idle device.
    func start(_ message: TrezorWireMessage, _ state: inout State) -> [TrezorWireMessage] {
        guard let type = message.messageType else { return handleUnknown(type: message.type, &state) }
        switch type {
        case .initialize:
            return perform(&state) { [self] state throws(Refusal) in
                .reply(initialize(resuming: try decode(TrezorProto.Initialize.self, message).sessionID, &state))
            }
        case .getFeatures:
            return [TrezorWireMessage(features(state, sessionID: nil))]
        case .ping:
            return perform(&state) { [self] state throws(Refusal) in try ping(try decode(TrezorProto.Ping.self, message)) }
        case .cancel:
            // fsm_msgCancel: Failure(ActionCancelled) even with nothing to cancel (recorded `cancel_while_idle`).
            return [failure(cancelled.code, cancelled.message)]
        case .endSession:
            state.sessions.removeAll { $0.id == state.activeSessionID }
            state.activeSessionID = nil
            // fsm_msgEndSession (legacy/firmware/fsm_msg_common.h).
            return [TrezorWireMessage(TrezorProto.Success(message: "Session ended"))]
        case .applyFlags:
            // legacy/firmware/fsm_msg_common.h `fsm_msgApplyFlags` (CHECK_PIN, then "Flags applied");
            // core/src/apps/management/apply_flags.py (unlocked first, as every workflow not allowed while locked).
            return perform(&state) { [self] state throws(Refusal) in
                let request = try decode(TrezorProto.ApplyFlags.self, message)
                return try unlocked(&state) { state throws(Refusal) in
                    state.storage.flags |= request.flags
                    return .reply(TrezorWireMessage(TrezorProto.Success(message: "Flags applied")))
                }
            }
        case .lockDevice:
            // legacy: config_lockDevice (storage_lock), Success "Session cleared"; core: lock_device, Success().
            state.unlocked = state.storage.pin == nil
            return [TrezorWireMessage(TrezorProto.Success(message: isCore ? nil : "Session cleared"))]
        case .wipeDevice:
            return perform(&state) { [self] state throws(Refusal) in wipeDevice(&state) }
        case .loadDevice:
            return perform(&state) { [self] state throws(Refusal) in
                try loadDevice(try decode(TrezorProto.LoadDevice.self, message), &state)
            }
        case .resetDevice:
            return perform(&state) { [self] state throws(Refusal) in
                try resetDevice(try decode(TrezorProto.ResetDevice.self, message), &state)
            }
        case .entropyAck:
            // An EntropyAck nobody asked for (legacy/firmware/reset.c `reset_entropy`; core: no workflow takes it).
            return [failure(.unexpectedMessage, isCore ? "Unexpected message" : "Entropy not requested")]
        case .applySettings:
            return perform(&state) { [self] state throws(Refusal) in
                try applySettings(try decode(TrezorProto.ApplySettings.self, message), &state)
            }
        case .getPublicKey:
            return perform(&state) { [self] state throws(Refusal) in
                try getPublicKey(try decode(TrezorProto.GetPublicKey.self, message), &state)
            }
        case .getAddress:
            return perform(&state) { [self] state throws(Refusal) in
                try getAddress(try decode(TrezorProto.GetAddress.self, message), &state)
            }
        case .signMessage:
            return perform(&state) { [self] state throws(Refusal) in
                try signMessage(try decode(TrezorProto.SignMessage.self, message), &state)
            }
        case .verifyMessage:
            return perform(&state) { [self] state throws(Refusal) in
                try verifyMessage(try decode(TrezorProto.VerifyMessage.self, message), &state)
            }
        case .ethereumGetAddress:
            return perform(&state) { [self] state throws(Refusal) in
                try ethereumGetAddress(try decode(TrezorProto.EthereumGetAddress.self, message), &state)
            }
        case .ethereumGetPublicKey:
            return perform(&state) { [self] state throws(Refusal) in
                try ethereumGetPublicKey(try decode(TrezorProto.EthereumGetPublicKey.self, message), &state)
            }
        case .ethereumSignMessage:
            return perform(&state) { [self] state throws(Refusal) in
                try ethereumSignMessage(try decode(TrezorProto.EthereumSignMessage.self, message), &state)
            }
        case .ethereumVerifyMessage:
            return perform(&state) { [self] state throws(Refusal) in
                try ethereumVerifyMessage(try decode(TrezorProto.EthereumVerifyMessage.self, message), &state)
            }
        case .ethereumSignTypedHash where !isCore:
            // Only the Trezor One implements it (legacy/firmware/fsm_msg_ethereum.h); core's workflow table has no
            // handler (core/src/apps/workflow_handlers.py).
            return perform(&state) { [self] state throws(Refusal) in
                try ethereumSignTypedHash(try decode(TrezorProto.EthereumSignTypedHash.self, message), &state)
            }
        case .ethereumSignTypedData where isCore:
            return perform(&state) { [self] state throws(Refusal) in
                try ethereumSignTypedData(try decode(TrezorProto.EthereumSignTypedData.self, message), &state)
            }
        case .buttonAck, .pinMatrixAck, .passphraseAck, .ethereumTypedDataStructAck, .ethereumTypedDataValueAck:
            // An answer nobody asked for: the firmware has no handler for it while idle.
            return [failure(.unexpectedMessage, "Unexpected message")]
        default:
            return handleUnknown(type: message.type, &state)
        }
    }

    /// A type the model has no handler for: "Unknown message" on the Trezor One (legacy/firmware/messages.c, recorded
    /// `unknown_message_type`), "Unexpected message" on core (core/src/trezor/wire/message_handler.py).
    func handleUnknown(type: UInt16, _ state: inout State) -> [TrezorWireMessage] {
        if isCore { state.pending = nil }
        return [failure(.unexpectedMessage, isCore ? "Unexpected message" : "Unknown message")]
    }

    /// Initialize: resumes the session `id` names when the device still has it, else opens a new one with a fresh
    /// 32-byte id; answers Features carrying the session id (fsm_msgInitialize; core base.py `handle_Initialize`).
    func initialize(resuming id: [UInt8]?, _ state: inout State) -> TrezorWireMessage {
        state.pending = nil
        state.inbound = nil
        let session: Session
        if let id, let index = state.sessions.firstIndex(where: { $0.id == id }) {
            session = state.sessions.remove(at: index)
        } else {
            session = Session(id: (0..<32).map { _ in UInt8.random(in: 0...255) })
        }
        state.sessions.append(session)
        if state.sessions.count > Self.maximumSessions { state.sessions.removeFirst() }
        state.activeSessionID = session.id
        return TrezorWireMessage(features(state, sessionID: session.id))
    }

    /// Ping: Success echoing the text, after a ProtectCall confirmation when `button_protection` is set
    /// (fsm_msgPing; core base.py `handle_Ping`).
    private func ping(_ message: TrezorProto.Ping) throws(Refusal) -> Step {
        let reply = TrezorWireMessage(TrezorProto.Success(message: message.message ?? ""))
        guard message.buttonProtection == true else { return .reply(reply) }
        return confirm(screen(.protectCall, "ping", title: "Confirm", lines: [message.message ?? ""])) { _ throws(Refusal) in
            .reply(reply)
        }
    }

    /// Features as the model's firmware fills them; `sessionID` only in the reply to Initialize.
    func features(_ state: State, sessionID: [UInt8]?) -> TrezorProto.Features {
        let model = configuration.model
        let version = model.firmwareVersion
        var features = TrezorProto.Features(
            vendor: "trezor.io", majorVersion: version.major, minorVersion: version.minor, patchVersion: version.patch,
            deviceID: configuration.deviceID, pinProtection: state.storage.pin != nil,
            passphraseProtection: state.storage.passphraseProtection, language: "en-US", label: state.storage.label,
            initialized: state.storage.isInitialized, revision: configuration.revision, bootloaderHash: configuration.bootloaderHash,
            unlocked: state.unlocked, backupAvailability: .notAvailable, model: model.featuresModel,
            fwVendor: configuration.firmwareVendor, unfinishedBackup: false, noBackup: false,
            capabilities: model.capabilities, wipeCodeProtection: false, sessionID: sessionID, safetyChecks: .strict,
            autoLockDelayMs: 600_000, busy: false)
        if state.storage.flags != 0 { features.flags = state.storage.flags }
        if model == .one {
            // legacy/firmware/fsm_msg_common.h `get_features`, field for field as recorded; no internal_model.
            features.imported = true
        } else {
            // core/src/apps/base.py `get_features`.
            features.internalModel = model.internalModel
            if state.storage.isInitialized { features.backupType = .bip39 }
            features.passphraseAlwaysOnDevice = false
            features.hidePassphraseFromHost = false
            features.homescreenFormat = model.homescreenFormat
            features.unitBtconly = false
        }
        return features
    }
}

extension SimulatedTrezor.Model {
    /// The firmware version Features reports: the recorded 1.14.2 for the Trezor One, a 2.8 release for core, above
    /// trezorlib's minimums (T 2.3.0, Safe 3 2.6.3, Safe 5 2.7.2; python/src/trezorlib/_modeldata/*.py).
    var firmwareVersion: (major: UInt32, minor: UInt32, patch: UInt32) {
        self == .one ? (1, 14, 2) : (2, 8, 9)
    }

    /// Features.model (trezorlib _modeldata `name`).
    var featuresModel: String {
        switch self {
        case .one: "1"
        case .t: "T"
        case .safe3: "Safe 3"
        case .safe5: "Safe 5"
        }
    }

    /// Features.internal_model; the Trezor One leaves it unset (trezor.md section 3, "What the firmware actually puts
    /// in Features").
    var internalModel: String? {
        switch self {
        case .one: nil
        case .t: "T2T1"
        case .safe3: "T3B1"
        case .safe5: "T3T1"
        }
    }

    /// Features.capabilities: the Trezor One's recorded list (no PassphraseEntry); core's list from
    /// core/src/apps/base.py `get_features`, which includes PassphraseEntry (17).
    var capabilities: [TrezorProto.Capability] {
        switch self {
        case .one:
            return [.bitcoin, .bitcoinLike, .crypto, .ethereum, .nem, .stellar, .u2f]
        case .t:
            return [.bitcoin, .bitcoinLike, .cardano, .crypto, .ethereum, .monero, .nem, .ripple, .stellar, .tezos, .u2f,
                    .shamir, .shamirGroups, .passphraseEntry, .solana, .translations]
        case .safe3:
            return [.bitcoin, .bitcoinLike, .cardano, .crypto, .ethereum, .monero, .ripple, .stellar, .tezos, .u2f,
                    .shamir, .shamirGroups, .passphraseEntry, .solana, .translations]
        case .safe5:
            return [.bitcoin, .bitcoinLike, .cardano, .crypto, .ethereum, .monero, .ripple, .stellar, .tezos, .u2f,
                    .shamir, .shamirGroups, .passphraseEntry, .solana, .translations, .brightness, .haptic]
        }
    }

    /// Features.homescreen_format of each core display.
    var homescreenFormat: TrezorProto.HomescreenFormat? {
        switch self {
        case .one: nil
        case .t: .toif
        case .safe3: .toiG
        case .safe5: .jpeg
        }
    }
}
