/// A simulated app refusing a command with a status word: the engine throws it from deep inside a handler and
/// `SimulatedLedger.handle` turns it into the response, exactly as the apps' `THROW(sw)` / `SEND_SW(dc, sw)` do.
struct APDUFailure: Error, Equatable {
    let statusWord: UInt16

    init(_ statusWord: UInt16) {
        self.statusWord = statusWord
    }
}
