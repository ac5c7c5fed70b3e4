import BridgeCrypto

/// How the host answers the device's PIN and passphrase requests.
public struct TrezorCredentials: Sendable {
    /// Trezor One PIN matrix: returns the keypad positions (digits 1-9, as trezorctl takes them) for a request, or nil
    /// when no PIN can be had (the call then fails with -5 locked, hint: --pin).
    public var pinPositions: (@Sendable (TrezorProto.PinMatrixRequestType?) -> String?)?
    /// nil: enter the passphrase on the device where the model can (Capability PassphraseEntry), else the empty
    /// "standard wallet" passphrase; a string: answer PassphraseAck(passphrase:) from the host (NFKD-normalized).
    public var passphraseOnHost: String?

    public init(pinPositions: (@Sendable (TrezorProto.PinMatrixRequestType?) -> String?)? = nil, passphraseOnHost: String? = nil) {
        self.pinPositions = pinPositions
        self.passphraseOnHost = passphraseOnHost
    }

    /// The longest PIN and passphrase trezorlib sends (`MAX_PIN_LENGTH`, `MAX_PASSPHRASE_LENGTH` in FW
    /// python/src/trezorlib/client.py; ../shared/reference/trezor.md section 4).
    public static let maximumPINLength = 50
    public static let maximumPassphraseLength = 50

    /// True for a non-empty string of the digits 1-9 (matrix positions), at most ``maximumPINLength`` long.
    public static func isValidPINPositions(_ positions: String) -> Bool {
        !positions.isEmpty && positions.utf8.count <= maximumPINLength
            && positions.utf8.allSatisfy { (UInt8(ascii: "1")...UInt8(ascii: "9")).contains($0) }
    }

    /// The host passphrase as it goes on the wire: NFKD, as trezorlib normalizes it (`get_session`), so the same
    /// typed text opens the same wallet whatever form the terminal produced.
    public static func normalizedPassphrase(_ passphrase: String) throws(DeviceError) -> String {
        do throws(CryptoError) {
            return try passphrase.nfkd
        } catch {
            throw .badArgument("The passphrase could not be normalized (NFKD): \(error)")
        }
    }
}
