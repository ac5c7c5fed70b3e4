import BridgeCore

/// Ledger status words and what they mean for the user: each maps to a ``DeviceError`` with its CONTRACT code.
///
/// Sources: ../shared/reference/ledger.md section 2 (ledger-secure-sdk `include/status_words.h`, ledger-live
/// `@ledgerhq/errors` StatusCodes, device-sdk-ts GLOBAL_ERRORS, app-ethereum `doc/ethapp.adoc`, app-bitcoin-new
/// `doc/bitcoin.md`).
public enum LedgerStatusWord {
    public static let ok: UInt16 = 0x9000
    /// Bitcoin app 2.x: the device asks the host a client command (`data[0]`) before it can go on.
    public static let interrupted: UInt16 = 0xE000
    public static let rejected: UInt16 = 0x6985
    public static let locked: UInt16 = 0x5515
    public static let lockedLegacy: UInt16 = 0x6982
    public static let userRefusedOnDevice: UInt16 = 0x5501
    public static let pinNotSet: UInt16 = 0x5502
    public static let deviceUIBusy: UInt16 = 0x6901
    public static let invalidData: UInt16 = 0x6A80
    public static let notSupported: UInt16 = 0x6A82
    public static let wrongP1P2: UInt16 = 0x6B00
    public static let wrongP1P2Bitcoin: UInt16 = 0x6A86
    public static let wrongLength: UInt16 = 0x6A87
    public static let insNotSupported: UInt16 = 0x6D00
    public static let claNotSupported: UInt16 = 0x6E00
    /// What the dashboard (no app open) answers to app APDUs.
    public static let claNotSupportedDashboard: UInt16 = 0x6E01
    public static let unknownAPDUDashboard: UInt16 = 0x6D02
    public static let pluginNotInstalled: UInt16 = 0x6984
    public static let appNotFound: [UInt16] = [0x6807, 0x670A, 0x5123]
    /// Third-party wallets' "app not open" codes (not in Ledger's own sources; ledger.md section 2).
    public static let appNotOpenThirdParty: [UInt16] = [0x6511, 0x650F]

    /// Where a status word came from, which changes what some of them mean.
    public struct Context: Sendable {
        /// The app the operation needs ("Ethereum", "Bitcoin"), for the wrong-app message.
        public var app: String
        /// The app that was open when known (from B0 01).
        public var openApp: String?
        /// Signing EIP-712: 0x6A80 then means the app's settings refuse it.
        public var typedDataMode: TypedDataSigningMode?

        public init(app: String, openApp: String? = nil, typedDataMode: TypedDataSigningMode? = nil) {
            self.app = app
            self.openApp = openApp
            self.typedDataMode = typedDataMode
        }
    }

    /// The error for a non-OK status word.
    public static func error(for statusWord: UInt16, context: Context) -> DeviceError {
        switch statusWord {
        case locked, lockedLegacy:
            return .locked
        case rejected:
            return .rejectedOnDevice
        case userRefusedOnDevice:
            return .rejectedOnDevice
        case pinNotSet:
            return .notInitialized
        case deviceUIBusy:
            return .busy("the device's own menu is in the foreground; go back to the app's home screen")
        case insNotSupported, claNotSupported, claNotSupportedDashboard, unknownAPDUDashboard:
            return .wrongApp(expected: context.app, open: context.openApp)
        case _ where appNotOpenThirdParty.contains(statusWord):
            return .wrongApp(expected: context.app, open: context.openApp)
        case _ where appNotFound.contains(statusWord):
            return .wrongApp(expected: context.app + " (install it with Ledger Live)", open: context.openApp)
        case invalidData where context.typedDataMode != nil:
            // app-ethereum 1.22.0 answers 6A80 to EIP-712 when the needed setting is off (recorded_eth_app_1_22_0.json).
            return .settingsRefuse(
                message: "The Ledger Ethereum app refused the EIP-712 message: its settings do not allow it",
                hint: context.typedDataMode == .hashed
                    ? "On the Ledger, open Ethereum > Settings and enable \"Blind signing\" (hashed mode shows only hashes)."
                    : "On the Ledger, open Ethereum > Settings and enable \"Raw messages\" to review each field (or \"Blind signing\").")
        case invalidData:
            return .badArgument("The device refused the data as invalid (status 0x6A80)")
        case notSupported:
            return .notSupported("the app does not support this request (status 0x6A82); non-standard paths need display")
        case pluginNotInstalled:
            return .notSupported("the Ethereum app plugin for this request is not installed (status 0x6984)")
        case wrongP1P2, wrongP1P2Bitcoin, wrongLength:
            return .protocolError("the app rejected the command's parameters (status 0x\(hex(statusWord)))")
        default:
            return .deviceFailure("status word 0x\(hex(statusWord))")
        }
    }

    static func hex(_ statusWord: UInt16) -> String { Hex.encode([UInt8(statusWord >> 8), UInt8(statusWord & 0xFF)]) }
}

extension APDUResponse {
    /// The data when the status word is 9000, otherwise the mapped error.
    public func requireOK(_ context: LedgerStatusWord.Context) throws(DeviceError) -> [UInt8] {
        guard isOK else { throw LedgerStatusWord.error(for: statusWord, context: context) }
        return data
    }
}
