import BridgeCore
import BridgeDevices

/// The workflow machinery: a call runs until it must wait for the host (ButtonAck, PinMatrixAck, PassphraseAck, an
/// EIP-712 struct or value) and resumes with the host's next message, as the firmware's `protectButton` /
/// `ctx.call` loops do (legacy/firmware/protect.c; core/src/trezor/wire/context.py). Written sans-I/O as
/// continuations: each step either answers and ends the call, or sends a request and names what runs on the answer.
extension SimulatedTrezor {
    /// A refusal the firmware answers with Failure(code, message), ending the call.
    struct Refusal: Error, Sendable {
        var code: TrezorProto.FailureType
        var message: String
    }

    typealias Continuation = @Sendable (inout State) throws(Refusal) -> Step

    /// What the device does next.
    enum Step: Sendable {
        /// Sends the final answer; the call is over.
        case reply(TrezorWireMessage)
        /// Sends a request and waits.
        case ask(TrezorWireMessage, Pending)
        /// Sends nothing and keeps waiting (a screen nobody presses).
        case wait(Pending)
    }

    /// One confirmation screen: its ButtonRequest, what it shows and what NO answers.
    struct Screen: Sendable {
        var code: TrezorProto.ButtonRequestType
        /// core's `br_name` (layout name); the Trezor One sends only the code.
        var name: String
        var pages: UInt32?
        var denial: Refusal
        /// The text on the screen (title and lines).
        var shown: DeviceScreen

        init(code: TrezorProto.ButtonRequestType, name: String, pages: UInt32? = nil, denial: Refusal,
             title: String? = nil, lines: [String] = []) {
            self.code = code
            self.name = name
            self.pages = pages
            self.denial = denial
            shown = DeviceScreen(name: name, title: title ?? name, lines: lines)
        }
    }

    /// What a waiting call needs from the host.
    enum Pending: Sendable {
        /// A ButtonRequest was sent; `acknowledged` once the ButtonAck came and the user has not pressed yet.
        case button(Screen, acknowledged: Bool, then: Continuation)
        /// A PinMatrixRequest of `type` was sent with this layout (digits at keypad positions 1...9); `then` gets the
        /// digits the positions stand for.
        case pinMatrix(layout: [UInt8], type: TrezorProto.PinMatrixRequestType,
                       then: @Sendable (inout State, String) throws(Refusal) -> Step)
        /// An EntropyRequest was sent (ResetDevice); `then` gets the host's entropy.
        case entropy(then: @Sendable (inout State, [UInt8]) throws(Refusal) -> Step)
        case passphrase(then: @Sendable (inout State, TrezorProto.PassphraseAck) throws(Refusal) -> Step)
        case typedDataStruct(then: @Sendable (inout State, TrezorProto.EthereumTypedDataStructAck) throws(Refusal) -> Step)
        case typedDataValue(then: @Sendable (inout State, [UInt8]) throws(Refusal) -> Step)
    }

    // MARK: - Running

    /// One complete message from the host: resumes the waiting call, or starts a new one.
    func handle(_ message: TrezorWireMessage, _ state: inout State) -> [TrezorWireMessage] {
        guard let pending = state.pending else { return start(message, &state) }
        state.pending = nil
        return resume(pending, with: message, &state)
    }

    /// Runs `work` and turns its step into the messages to send, remembering what the call waits for.
    func perform(_ state: inout State, _ work: (inout State) throws(Refusal) -> Step) -> [TrezorWireMessage] {
        do {
            switch try work(&state) {
            case .reply(let message):
                state.pending = nil
                showHome(&state)
                return [message]
            case .ask(let message, let pending):
                state.pending = pending
                show(pending, &state)
                return [message]
            case .wait(let pending):
                state.pending = pending
                show(pending, &state)
                return []
            }
        } catch {
            state.pending = nil
            showHome(&state)
            return [failure(error.code, error.message)]
        }
    }

    /// Puts what a waiting call shows on the display (a confirmation or the PIN matrix), recording it once.
    private func show(_ pending: Pending, _ state: inout State) {
        let screen: DeviceScreen
        switch pending {
        case .button(let confirmation, _, _):
            screen = confirmation.shown
        case .pinMatrix(let layout, let type, _):
            // legacy/firmware/pinmatrix.c draws the digits in keypad rows 7 8 9 / 4 5 6 / 1 2 3; protect.c titles them.
            let rows = [[6, 7, 8], [3, 4, 5], [0, 1, 2]].map { $0.map { String(layout[$0]) }.joined(separator: " ") }
            let title = switch type {
            case .newFirst: "Please enter new PIN:"
            case .newSecond: "Please re-enter new PIN:"
            default: "Please enter current PIN:"
            }
            screen = DeviceScreen(name: "pin_matrix", title: title, lines: rows)
        case .passphrase, .typedDataStruct, .typedDataValue, .entropy:
            return
        }
        state.screensShown.record(screen)
        state.display = screen
    }

    /// Back to the home screen once a call is over.
    func showHome(_ state: inout State) {
        state.display = Self.homeScreen(state.storage)
    }

    /// The home screen: the label, or a note that the device holds no seed.
    static func homeScreen(_ storage: Storage) -> DeviceScreen {
        DeviceScreen(name: "homescreen", title: storage.label ?? "Trezor", lines: storage.isInitialized ? [] : ["Not initialized"])
    }

    /// The host's message while a call waits.
    private func resume(_ pending: Pending, with message: TrezorWireMessage, _ state: inout State) -> [TrezorWireMessage] {
        switch message.messageType {
        case .cancel?:
            // fsm_msgCancel / protectButton's abort: the call ends with the refusal of whatever it waited for.
            let refusal = cancellation(of: pending)
            return [failure(refusal.code, refusal.message)]
        case .initialize? where !isCore:
            // legacy/firmware/fsm.c `fsm_sendFailure`: an abort by Initialize answers `fsm_msgInitialize(NULL)`,
            // Features of a NEW session, whatever id the Initialize carried (recorded `initialize_during_button_request`).
            return perform(&state) { [self] state throws(Refusal) in .reply(initialize(resuming: nil, &state)) }
        default:
            break
        }
        switch (pending, message.messageType) {
        case (.button(let screen, let acknowledged, let then), .buttonAck?):
            if acknowledged {
                state.pending = pending
                return []
            }
            return perform(&state) { [self] state throws(Refusal) in try press(screen, then: then, &state) }
        case (.pinMatrix(let layout, _, let then), .pinMatrixAck?):
            return perform(&state) { [self] state throws(Refusal) in
                let ack = try decode(TrezorProto.PinMatrixAck.self, message)
                return try then(&state, try digits(positions: ack.pin, layout: layout))
            }
        case (.entropy(let then), .entropyAck?):
            return perform(&state) { [self] state throws(Refusal) in
                try then(&state, try decode(TrezorProto.EntropyAck.self, message).entropy)
            }
        case (.passphrase(let then), .passphraseAck?):
            return perform(&state) { [self] state throws(Refusal) in
                try then(&state, try decode(TrezorProto.PassphraseAck.self, message))
            }
        case (.typedDataStruct(let then), .ethereumTypedDataStructAck?):
            return perform(&state) { [self] state throws(Refusal) in
                try then(&state, try decode(TrezorProto.EthereumTypedDataStructAck.self, message))
            }
        case (.typedDataValue(let then), .ethereumTypedDataValueAck?):
            return perform(&state) { [self] state throws(Refusal) in
                try then(&state, try decode(TrezorProto.EthereumTypedDataValueAck.self, message).value)
            }
        default:
            return interrupt(pending, by: message, &state)
        }
    }

    /// A message the waiting call did not ask for.
    private func interrupt(_ pending: Pending, by message: TrezorWireMessage, _ state: inout State) -> [TrezorWireMessage] {
        guard isCore else {
            // The Trezor One reads only the "tiny" messages while it waits (legacy/firmware/messages.c
            // `msg_read_tiny`): other tiny ones are ignored, anything else is refused and the wait goes on.
            state.pending = pending
            let tiny: Set<TrezorMessageType> = [.buttonAck, .pinMatrixAck, .passphraseAck]
            if case .entropy = pending {
                // legacy/firmware/reset.c: the reset waits in the main loop, so any other message is handled and the
                // reset forgotten (`reset_abort` on the next EntropyAck: "Entropy not requested").
                return start(message, &state)
            }
            if let type = message.messageType, tiny.contains(type) { return [] }
            return [failure(.unexpectedMessage, "Unknown message")]
        }
        // core: `ctx.call` raises UnexpectedMessageException, the workflow ends, and the message is handled as a new
        // request (core/src/trezor/wire/message_handler.py).
        return start(message, &state)
    }

    /// The user's press after the host's ButtonAck.
    private func press(_ screen: Screen, then: @escaping Continuation, _ state: inout State) throws(Refusal) -> Step {
        guard configuration.userPressesButtons else {
            // A press that came before this wait (the emulator's debug link queues them too) acts now.
            while !state.earlyDecisions.isEmpty {
                let decision = state.earlyDecisions.removeFirst()
                if let step = try act(on: decision, screen: screen, then: then, &state) { return step }
            }
            return .wait(.button(screen, acknowledged: true, then: then))
        }
        switch state.nextDecision() {
        case .approve: return try then(&state)
        case .deny: throw screen.denial
        }
    }

    /// What Cancel answers while a call waits.
    private func cancellation(of pending: Pending) -> Refusal {
        if case .pinMatrix = pending {
            // legacy/firmware/protect.c `protectPin`: an aborted matrix is "PIN cancelled".
            return Refusal(code: .pinCancelled, message: "PIN cancelled")
        }
        return cancelled
    }

    // MARK: - Building blocks

    /// Failure(ActionCancelled) with the model's text: "Action cancelled by user" (legacy/firmware/fsm.c
    /// `fsm_sendFailure`) or core's "Cancelled" (core/src/trezor/wire/errors.py `ActionCancelled`).
    var cancelled: Refusal {
        Refusal(code: .actionCancelled, message: isCore ? "Cancelled" : "Action cancelled by user")
    }

    /// A screen with `code` (and core's layout `name`) showing `title` and `lines`, that NO refuses with
    /// ActionCancelled.
    func screen(_ code: TrezorProto.ButtonRequestType, _ name: String, title: String? = nil, lines: [String] = []) -> Screen {
        Screen(code: code, name: name, denial: cancelled, title: title, lines: lines)
    }

    /// Shows `screen`, waits for ButtonAck and the user's YES, then continues.
    func confirm(_ screen: Screen, then next: @escaping Continuation) -> Step {
        // The Trezor One's ButtonRequest carries only the code (recorded); core adds the layout name and pages
        // (core/src/trezor/ui/layouts/common.py `button_request`).
        let request = isCore
            ? TrezorProto.ButtonRequest(code: screen.code, pages: screen.pages, name: screen.name)
            : TrezorProto.ButtonRequest(code: screen.code)
        return .ask(TrezorWireMessage(request), .button(screen, acknowledged: false, then: next))
    }

    /// Shows `screens` one after another (none: continues at once), then continues.
    func confirm(_ screens: [Screen], _ state: inout State, then next: @escaping Continuation) throws(Refusal) -> Step {
        guard let first = screens.first else { return try next(&state) }
        let rest = Array(screens.dropFirst())
        return confirm(first) { [self] state throws(Refusal) in try confirm(rest, &state, then: next) }
    }

    /// Decodes a host message, refusing malformed protobuf as the firmware does (DataError).
    func decode<Message: TrezorMessage>(_ type: Message.Type, _ message: TrezorWireMessage) throws(Refusal) -> Message {
        do {
            return try message.decode(type)
        } catch {
            // legacy/firmware/messages.c answers nanopb's error, core "Failed to decode message"; the code is DataError.
            throw Refusal(code: .dataError, message: "Failed to decode message")
        }
    }
}
