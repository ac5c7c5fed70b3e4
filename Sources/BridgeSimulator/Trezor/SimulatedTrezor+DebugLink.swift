import BridgeCore
import BridgeDevices

/// The debug link: the emulator's second channel (UDP port+1) on which test tools read the screen and the device's
/// secrets and press its buttons (trezor/trezor-firmware common/protob/messages-debug.proto; legacy/firmware/
/// fsm_msg_debug.h; core/src/apps/debug/__init__.py). trezorlib's `TrezorClientDebugLink` (HWI's emulator client)
/// answers every ButtonRequest by ButtonAck on the main link, then DebugLinkDecision here.
///
/// A decision acts on a screen that waits for the user's press, which is the case when the simulated user does not
/// press by itself (``SimulatedTrezor/Configuration/userPressesButtons`` false, `simulate trezor --approve debuglink`).
/// When the simulated user presses at once, the decision finds nothing waiting and is dropped, as a press on a
/// screen already gone would be.
extension SimulatedTrezor {
    /// What one debug-link packet causes: packets answered on the debug link, and packets the main link sends
    /// because a decision ended a wait there (the answer to the call the host is waiting for).
    public struct DebugLinkAnswer: Sendable, Equatable {
        public var debug: [[UInt8]]
        public var main: [[UInt8]]
    }

    /// One 64-byte debug-link packet in; the packets to send on each link out.
    public func receiveDebug(packet: [UInt8]) -> DebugLinkAnswer {
        guard packet.count == TrezorV1Framing.packetSize else { return DebugLinkAnswer(debug: [], main: []) }
        let (debug, main) = state.withLock { state -> ([TrezorWireMessage], [TrezorWireMessage]) in
            let message: TrezorWireMessage?
            do {
                message = try state.debugInbound.append(packet)
            } catch {
                state.debugInbound.reset()
                return ([], [])
            }
            guard let message else { return ([], []) }
            return debugLink(message, &state)
        }
        return DebugLinkAnswer(debug: debug.flatMap { TrezorV1Framing.packets(for: $0) },
                               main: main.flatMap { TrezorV1Framing.packets(for: $0) })
    }

    /// One complete debug-link message: (answers on the debug link, answers on the main link).
    func debugLink(_ message: TrezorWireMessage, _ state: inout State) -> ([TrezorWireMessage], [TrezorWireMessage]) {
        switch message.messageType {
        case .debugLinkGetState?:
            return ([TrezorWireMessage(debugState(state))], [])
        case .debugLinkDecision?:
            guard let decision = try? message.decode(TrezorProto.DebugLinkDecision.self) else {
                return ([failure(.dataError, "Failed to decode message")], [])
            }
            let main = decide(decision, &state)
            // `wait` (deprecated, sent by older trezorlibs such as HWI's) asks for the layout after the decision, which
            // firmware before the single global layout answered with DebugLinkLayout; today's trezorlib never sets it.
            let layout = TrezorProto.DebugLinkLayout(lines: [state.display.title] + state.display.lines)
            return (decision.wait == true ? [TrezorWireMessage(layout)] : [], main)
        case .debugLinkStop?:
            // The emulator would exit; the simulator is stopped by whoever started it.
            return ([], [])
        default:
            return ([failure(.unexpectedMessage, isCore ? "Unexpected message" : "Unknown message")], [])
        }
    }

    /// DebugLinkState: the screen as text (layout bytes and tokens), the PIN, the matrix on screen, the mnemonic.
    func debugState(_ state: State) -> TrezorProto.DebugLinkState {
        var matrix: String?
        if case .pinMatrix(let layout, _, _)? = state.pending { matrix = layout.map(String.init).joined() }
        return TrezorProto.DebugLinkState(
            layout: Array(state.display.text.utf8), pin: state.storage.pin ?? "", matrix: matrix,
            mnemonicSecret: state.storage.phrase.map { Array($0.utf8) },
            passphraseProtection: state.storage.passphraseProtection, tokens: [state.display.layoutJSON])
    }

    /// A press on the screen that waits for one: YES (or typed input) continues the call, NO refuses it; a swipe
    /// turns a page and the screen keeps waiting. Returns what the main link sends.
    private func decide(_ decision: TrezorProto.DebugLinkDecision, _ state: inout State) -> [TrezorWireMessage] {
        guard case .button(let screen, true, let then)? = state.pending else {
            // The screen is shown but does not wait yet (its ButtonAck is still on the way): keep the press for it.
            // With no screen at all, the press is dropped.
            if case .button(_, false, _)? = state.pending, decision.swipe == nil || decision.button != nil || decision.input != nil {
                state.earlyDecisions.append(decision)
                if state.earlyDecisions.count > 16 { state.earlyDecisions.removeFirst() }
            }
            return []
        }
        if decision.swipe != nil, decision.button == nil, decision.input == nil { return [] }
        state.pending = nil
        return perform(&state) { [self] state throws(Refusal) in
            try act(on: decision, screen: screen, then: then, &state) ?? .wait(.button(screen, acknowledged: true, then: then))
        }
    }

    /// What a press does to a waiting screen: NO refuses the call, YES (or typed input) continues it; a swipe only
    /// turns the page (nil: the screen keeps waiting).
    func act(on decision: TrezorProto.DebugLinkDecision, screen: Screen, then: Continuation,
             _ state: inout State) throws(Refusal) -> Step? {
        if decision.swipe != nil, decision.button == nil, decision.input == nil { return nil }
        if decision.button == .no { throw screen.denial }
        state.keyboardInput = decision.input
        defer { state.keyboardInput = nil }
        return try then(&state)
    }
}
