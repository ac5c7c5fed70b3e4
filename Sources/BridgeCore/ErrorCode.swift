/// The stable error codes of the WalletBridge contract (CONTRACT.md section 1, "Error codes").
///
/// The library, the CLI's JSON and the HTTP operator API all speak these numbers; they never change meaning.
public enum ErrorCode: Int, Sendable, CaseIterable, Codable {
    case noDevice = -1
    case severalDevices = -2
    case connectionLost = -3
    case busy = -4
    case deviceLocked = -5
    case wrongApp = -6
    case rejectedOnDevice = -7
    case timedOut = -8
    case notSupported = -9
    case badArgument = -10
    case protocolError = -11
    case permissionDenied = -12
    case pinOrPassphraseNeeded = -13
    case deviceSettingsRefuse = -14
    case deviceNotInitialized = -15
    case thpNotSupported = -16
    case internalError = -20
    /// No session, or an expired or revoked one (CONTRACT 4).
    case notSignedIn = -21
    /// The role, the policy's eligibility or the initiator rule forbids it.
    case notPermitted = -22
    /// Already decided, already voted, or a stale version.
    case conflict = -23
    /// An order, proposal, invite or challenge past its expiry.
    case expired = -24

    /// A short generic remedy, used when an error has nothing more specific to say.
    public var defaultHint: String {
        switch self {
        case .noDevice: "Connect and unlock the device, or choose a simulated one with --transport sim:ledger."
        case .severalDevices: "Choose one with --device ID (see `walletbridge enumerate`)."
        case .connectionLost: "Reconnect the device and try again."
        case .busy: "Another client is using the device; close it (Ledger Live, Trezor Suite) or wait."
        case .deviceLocked: "Unlock the device with its PIN and try again."
        case .wrongApp: "Open the right app on the device."
        case .rejectedOnDevice: "The request was rejected on the device; run it again and confirm to proceed."
        case .timedOut: "Confirm on the device sooner, or raise --timeout."
        case .notSupported: "Update the device's firmware or app, or use another device."
        case .badArgument: "Check the command's arguments (`--help`)."
        case .protocolError: "Reconnect the device; if it persists, report it with the device model and firmware."
        case .permissionDenied: "Install the udev rules: `sudo walletbridge udev install`, then replug the device."
        case .pinOrPassphraseNeeded: "Give the PIN (--pin) or passphrase (--passphrase-on-host)."
        case .deviceSettingsRefuse: "Change the app's settings on the device (Raw messages / Blind signing)."
        case .deviceNotInitialized: "Set the device up with its vendor's app first."
        case .thpNotSupported: "Trezor Safe 7 (THP) is not supported yet; use another Trezor model."
        case .internalError: "This is a bug in WalletBridge; please report it with the command you ran."
        case .notSignedIn: "Sign in again: the CLI asks your device to sign a new login challenge."
        case .notPermitted: "Ask an admin: your role or the policy does not allow this."
        case .conflict: "Nothing to do: it was already decided or voted on; fetch the current state."
        case .expired: "Ask for a new one and sign it before it expires."
        }
    }
}
