// Messages of trezor/trezor-firmware common/protob/messages-debug.proto that the emulator's debug link (UDP port+1)
// serves to test tools: trezorlib.debuglink's `press_yes`/`input`/`read_layout`, HWI's emulator client. Only the fields
// a debug client of ours or theirs reads are declared; the rest is skipped on decode.

extension TrezorProto {
    /// DebugLinkDecision (100): "presses" on the device: a button, a swipe or typed input (a PIN, a passphrase).
    /// Sent without waiting for an answer unless `wait` is set (trezorlib `DebugLink.input`).
    public struct DebugLinkDecision: TrezorMessage, TrezorDescribedMessage {
        public static let messageType = TrezorMessageType.debugLinkDecision
        public static let protoName = "DebugLinkDecision"
        /// DebugButton: NO 0, YES 1, INFO 2 (older trezorlib: `bool yes_no = 1`, the same varint).
        public enum Button: Int, Sendable, CaseIterable {
            case no = 0
            case yes = 1
            case info = 2
        }

        /// DebugSwipeDirection: UP 0, DOWN 1, LEFT 2, RIGHT 3.
        public enum Swipe: Int, Sendable, CaseIterable {
            case up = 0
            case down = 1
            case left = 2
            case right = 3
        }

        /// 1: optional DebugButton.
        public var button: Button?
        /// 2: optional DebugSwipeDirection.
        public var swipe: Swipe?
        /// 3: optional string: keyboard input (core's PIN and passphrase keyboards).
        public var input: String?
        /// 6: optional bool (deprecated): answer with the layout after the decision.
        public var wait: Bool?
        public var unrecognizedFields: [UInt8] = []

        public init(button: Button? = nil, swipe: Swipe? = nil, input: String? = nil, wait: Bool? = nil) {
            self.button = button
            self.swipe = swipe
            self.input = input
            self.wait = wait
        }

        public static let empty = DebugLinkDecision()
        public static let fields: [ProtobufFieldSpec<DebugLinkDecision>] = [
            .enumeration(1, "button", \.button, unrecognized: \.unrecognizedFields),
            .enumeration(2, "swipe", \.swipe, unrecognized: \.unrecognizedFields),
            .string(3, "input", \.input),
            .bool(6, "wait", \.wait),
        ]
    }

    /// DebugLinkGetState (101): asks for the device's state; answered DebugLinkState at once (the simulator never
    /// has a layout change pending, so `wait_layout` needs no waiting).
    public struct DebugLinkGetState: TrezorMessage, TrezorDescribedMessage {
        public static let messageType = TrezorMessageType.debugLinkGetState
        public static let protoName = "DebugLinkGetState"
        /// 3: optional DebugWaitType (IMMEDIATE 0, NEXT_LAYOUT 1, CURRENT_LAYOUT 2); older trezorlib sends a bool.
        public var waitLayout: UInt32?

        public init(waitLayout: UInt32? = nil) {
            self.waitLayout = waitLayout
        }

        public static let empty = DebugLinkGetState()
        public static let fields: [ProtobufFieldSpec<DebugLinkGetState>] = [.uint32(3, "wait_layout", \.waitLayout)]
    }

    /// DebugLinkState (102): the device's secrets and screen, for tests only.
    public struct DebugLinkState: TrezorMessage, TrezorDescribedMessage {
        public static let messageType = TrezorMessageType.debugLinkState
        public static let protoName = "DebugLinkState"
        /// 1: optional bytes: the display buffer; the simulator puts the screen's text, lines joined by "\n".
        public var layout: [UInt8]?
        /// 2: optional string: the PIN, "" when none is set.
        public var pin: String?
        /// 3: optional string: the digits of the PIN matrix on screen, keypad positions 7 8 9 / 4 5 6 / 1 2 3 read
        /// as the firmware does (legacy/firmware/pinmatrix.c `pinmatrix_get`: positions 1...9 in order).
        public var matrix: String?
        /// 4: optional bytes: the mnemonic (core: its secret; the simulator: the phrase's UTF-8).
        public var mnemonicSecret: [UInt8]?
        /// 6: optional bool.
        public var passphraseProtection: Bool?
        /// 13: repeated string: the screen as text tokens, a line each (older trezorlib: `layout_lines`).
        public var tokens: [String]

        public init(layout: [UInt8]? = nil, pin: String? = nil, matrix: String? = nil, mnemonicSecret: [UInt8]? = nil,
                    passphraseProtection: Bool? = nil, tokens: [String] = []) {
            self.layout = layout
            self.pin = pin
            self.matrix = matrix
            self.mnemonicSecret = mnemonicSecret
            self.passphraseProtection = passphraseProtection
            self.tokens = tokens
        }

        public static let empty = DebugLinkState()
        public static let fields: [ProtobufFieldSpec<DebugLinkState>] = [
            .bytes(1, "layout", \.layout),
            .string(2, "pin", \.pin),
            .string(3, "matrix", \.matrix),
            .bytes(4, "mnemonic_secret", \.mnemonicSecret),
            .bool(6, "passphrase_protection", \.passphraseProtection),
            .repeatedString(13, "tokens", \.tokens),
        ]
    }

    /// DebugLinkStop (103): asks the emulator to exit; the simulator ignores it (it is stopped by its owner).
    public struct DebugLinkStop: TrezorMessage, TrezorDescribedMessage {
        public static let messageType = TrezorMessageType.debugLinkStop
        public static let protoName = "DebugLinkStop"
        public init() {}
        public static let empty = DebugLinkStop()
        public static let fields: [ProtobufFieldSpec<DebugLinkStop>] = []
    }

    /// DebugLinkLayout (9001, deprecated): the answer to a DebugLinkDecision with `wait` in firmware before the single
    /// global layout (trezor-firmware core/src/apps/debug/__init__.py until commit 0e8dcbb, 2024-07), which the
    /// trezorlib HWI 3.2 vendors reads as `lines`; field 1 is `tokens` in today's messages-debug.proto.
    public struct DebugLinkLayout: TrezorMessage, TrezorDescribedMessage {
        public static let messageType = TrezorMessageType.debugLinkLayout
        public static let protoName = "DebugLinkLayout"
        /// 1: repeated string: the screen's lines.
        public var lines: [String]

        public init(lines: [String] = []) {
            self.lines = lines
        }

        public static let empty = DebugLinkLayout()
        public static let fields: [ProtobufFieldSpec<DebugLinkLayout>] = [.repeatedString(1, "lines", \.lines)]
    }
}

