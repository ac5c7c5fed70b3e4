import BridgeCore

/// What went wrong talking to a hardware wallet, each with its CONTRACT code and a remedy.
public enum DeviceError: BridgeError, Equatable {
    case noDevice
    case severalDevices(candidates: [String])
    /// The device went away or the link broke (unplugged, socket closed, I/O error).
    case disconnected(String)
    /// Another operation or another program holds the device.
    case busy(String)
    case locked
    /// Locked, with the reason and how to unlock (a Trezor One's PIN matrix: no --pin given, or a wrong PIN).
    case lockedWithReason(String, hint: String)
    /// The wrong app (or none) is open; `expected` is the app the operation needs.
    case wrongApp(expected: String, open: String?)
    case rejectedOnDevice
    case timedOut(Duration)
    case cancelled
    case notSupported(String)
    case badArgument(String)
    /// A malformed frame or response, or one the protocol does not allow at this point.
    case protocolError(String)
    case permissionDenied(String)
    case pinOrPassphraseNeeded(String)
    /// The device's settings refuse the request; `hint` names the setting to change.
    case settingsRefuse(message: String, hint: String)
    case notInitialized
    case thpNotSupported
    /// A status word or failure with no more specific meaning.
    case deviceFailure(String)

    public var code: ErrorCode {
        switch self {
        case .noDevice: .noDevice
        case .severalDevices: .severalDevices
        case .disconnected: .connectionLost
        case .busy: .busy
        case .locked, .lockedWithReason: .deviceLocked
        case .wrongApp: .wrongApp
        case .rejectedOnDevice: .rejectedOnDevice
        case .timedOut, .cancelled: .timedOut
        case .notSupported: .notSupported
        case .badArgument: .badArgument
        case .protocolError: .protocolError
        case .permissionDenied: .permissionDenied
        case .pinOrPassphraseNeeded: .pinOrPassphraseNeeded
        case .settingsRefuse: .deviceSettingsRefuse
        case .notInitialized: .deviceNotInitialized
        case .thpNotSupported: .thpNotSupported
        case .deviceFailure: .protocolError
        }
    }

    public var message: String {
        switch self {
        case .noDevice: "No hardware wallet found"
        case .severalDevices(let candidates): "Several devices are connected: \(candidates.joined(separator: ", "))"
        case .disconnected(let why): "Lost the connection to the device: \(why)"
        case .busy(let why): "The device is busy: \(why)"
        case .locked: "The device is locked"
        case .lockedWithReason(let why, _): why
        case .wrongApp(let expected, let open?): "The \(expected) app is needed, but \(open) is open"
        case .wrongApp(let expected, nil): "The \(expected) app is needed, but it is not open"
        case .rejectedOnDevice: "Rejected on the device"
        case .timedOut(let limit): "The device did not answer within \(limit.components.seconds) s"
        case .cancelled: "The operation was cancelled"
        case .notSupported(let what): "Not supported: \(what)"
        case .badArgument(let why): why
        case .protocolError(let why): "Protocol error: \(why)"
        case .permissionDenied(let why): "Permission denied: \(why)"
        case .pinOrPassphraseNeeded(let what): "\(what) is needed"
        case .settingsRefuse(let message, _): message
        case .notInitialized: "The device is not initialized"
        case .thpNotSupported: "This Trezor speaks THP (Safe 7), which is not supported yet"
        case .deviceFailure(let why): "The device failed: \(why)"
        }
    }

    public var hint: String {
        switch self {
        case .wrongApp(let expected, _): "Open the \(expected) app on the device (or let WalletBridge open it and confirm)."
        case .settingsRefuse(_, let hint): hint
        case .lockedWithReason(_, let hint): hint
        case .severalDevices: "Choose one with --device ID (see `walletbridge enumerate`)."
        case .cancelled: "Run the command again."
        default: code.defaultHint
        }
    }
}
