import BridgeDevices
import Glibc

/// Asks a person for a Trezor One PIN the way trezorctl does: the device shows its digits scrambled on a 3×3 grid,
/// the terminal shows the positions laid out like a numeric keypad (7 8 9 / 4 5 6 / 1 2 3), and the person types
/// the positions of their PIN's digits (trezor/trezor-firmware `python/src/trezorlib/cli/ui.py`
/// `PIN_MATRIX_DESCRIPTION`; trezor.md section 4). The answer is read without echo.
struct TrezorPINPrompt: Sendable {
    /// Whether a person can be asked: standard input is a terminal.
    var isAvailable: @Sendable () -> Bool
    /// One line typed by the person, without echo; nil at end of input.
    var readHiddenLine: @Sendable () -> String?

    /// How many answers that are not positions are asked again before giving up.
    static let attempts = 3

    /// Never asks: without `--pin`, a PIN request then fails with -5 and the hint to give `--pin`.
    static let unavailable = TrezorPINPrompt(isAvailable: { false }, readHiddenLine: { nil })

    /// The process's own terminal (standard input), echo turned off while the positions are typed.
    static let terminal = TrezorPINPrompt(
        isAvailable: { isatty(STDIN_FILENO) == 1 },
        readHiddenLine: {
            var saved = termios()
            let canHide = tcgetattr(STDIN_FILENO, &saved) == 0
            if canHide {
                var hidden = saved
                hidden.c_lflag &= ~tcflag_t(ECHO)
                tcsetattr(STDIN_FILENO, TCSAFLUSH, &hidden)
            }
            defer {
                if canHide { tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved) }
            }
            return readLine(strippingNewline: true)
        }
    )

    /// The text drawn on standard error before the positions are read.
    static func grid(for request: TrezorProto.PinMatrixRequestType?) -> String {
        let what = switch request {
        case .newFirst: "a new PIN"
        case .newSecond: "the new PIN again"
        case .wipeCodeFirst: "a new wipe code"
        case .wipeCodeSecond: "the new wipe code again"
        case .current, nil: "your PIN"
        }
        return """
            The Trezor shows its digits scrambled on a 3x3 grid. Type the positions of \(what) on that grid, \
            using this layout (like a numeric keypad):
                7 8 9
                4 5 6
                1 2 3
            PIN positions (not shown as you type): 
            """
    }

    /// The positions from one line of input: digits 1-9 only (spaces ignored), at most 50; nil otherwise.
    static func positions(from line: String) -> String? {
        let positions = line.filter { !$0.isWhitespace }
        return TrezorSimulatorSettings.isPIN(positions) ? positions : nil
    }

    /// The provider ``TrezorCredentials`` calls on a PinMatrixRequest, drawing the grid with `write` (standard error);
    /// nil when nobody can be asked. An answer that is not positions is asked again, up to ``attempts`` times; an
    /// empty line or end of input gives up (the call then fails with -5).
    func positionsProvider(write: @escaping @Sendable (String) -> Void)
        -> (@Sendable (TrezorProto.PinMatrixRequestType?) -> String?)? {
        guard isAvailable() else { return nil }
        let readHiddenLine = readHiddenLine
        return { request in
            write(Self.grid(for: request))
            for attempt in 1...Self.attempts {
                guard let line = readHiddenLine() else {
                    write("\n")
                    return nil
                }
                write("\n")
                if line.allSatisfy(\.isWhitespace) { return nil }
                if let positions = Self.positions(from: line) { return positions }
                if attempt < Self.attempts {
                    write("Only the positions 1-9 (at most \(TrezorSimulatorSettings.maximumPINLength)), please. PIN positions: ")
                }
            }
            return nil
        }
    }
}
