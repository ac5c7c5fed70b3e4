import BridgeDevices

/// The PIN: the Trezor One's scrambled matrix (PinMatrixRequest / PinMatrixAck with keypad positions) and core's
/// on-device entry (ButtonRequest PinEntry "pin_device"). Locked = a PIN is set and has not been entered since the
/// device started (or since ``SimulatedTrezor/lock()``).
extension SimulatedTrezor {
    /// Runs `next` once the device is unlocked, asking for the PIN first when it is locked (legacy/firmware/fsm.c
    /// `CHECK_PIN`; core unlocks before any workflow that is not allowed while locked, core/src/apps/base.py).
    func unlocked(_ state: inout State, then next: @escaping Continuation) throws(Refusal) -> Step {
        guard !state.unlocked else { return try next(&state) }
        guard !isCore else {
            // core asks on its own screen: ButtonRequest(PinEntry 20, "pin_device")
            // (core/src/trezor/ui/layouts/*/__init__.py `request_pin_on_device`); the simulated user types the PIN
            // (YES) or cancels (NO: PinCancelled, core/src/trezor/wire/errors.py).
            let entry = Screen(code: .pinEntry, name: "pin_device",
                               denial: Refusal(code: .pinCancelled, message: "PIN entry cancelled"), title: "Enter PIN")
            return confirm(entry) { state throws(Refusal) in
                // Typed through the debug link (DebugLinkDecision.input), the PIN is checked; a simulated user types
                // the right one.
                if let typed = state.keyboardInput, typed != state.storage.pin {
                    throw Refusal(code: .pinInvalid, message: "PIN invalid")
                }
                state.unlocked = true
                return try next(&state)
            }
        }
        return askMatrix(.current) { state, entered throws(Refusal) in
            // legacy/firmware/protect.c `protectPin`: "PIN invalid".
            guard let pin = state.storage.pin, entered == pin else { throw Refusal(code: .pinInvalid, message: "PIN invalid") }
            state.unlocked = true
            return try next(&state)
        }
    }

    /// A PinMatrixRequest of `type` on a freshly shuffled grid (legacy/firmware/pinmatrix.c `pinmatrix_start`
    /// shuffles the digits each time) unless the configuration pins one.
    func askMatrix(_ type: TrezorProto.PinMatrixRequestType,
                   then next: @escaping @Sendable (inout State, String) throws(Refusal) -> Step) -> Step {
        let layout = configuration.pinLayout ?? Array(1...9).shuffled()
        return .ask(TrezorWireMessage(TrezorProto.PinMatrixRequest(type: type)), .pinMatrix(layout: layout, type: type, then: next))
    }

    /// PinMatrixAck's digits: each character is a keypad position 1...9 (7 8 9 / 4 5 6 / 1 2 3) whose digit on screen
    /// is `layout[position - 1]` (legacy/firmware/pinmatrix.c `pinmatrix_done`); anything else is Failure(PinInvalid).
    func digits(positions: String, layout: [UInt8]) throws(Refusal) -> String {
        var entered = ""
        for character in positions {
            guard let position = character.wholeNumberValue, (1...9).contains(position), layout.count == 9 else {
                throw Refusal(code: .pinInvalid, message: "PIN invalid")
            }
            entered += String(layout[position - 1])
        }
        return entered
    }
}
