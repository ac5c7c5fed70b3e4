import BridgeCore
import BridgeDevices

/// Trezor failures told in the command line's terms: ``DeviceError/notSupported(_:)`` carries the code's fixed hint,
/// but what to do about an EIP-712 mode the model lacks is an option of this tool (`--mode`).
enum TrezorErrorHints {
    /// `error` with a hint that names the option to use; any other error unchanged.
    static func refine(_ error: any Error) -> any Error {
        guard let error = error as? DeviceError else { return error }
        switch error {
        case .notSupported(let what) where what.hasSuffix("use --mode hashed"):
            return GenericBridgeError(.notSupported, error.message,
                                      hint: "Run it again with --mode hashed: a Trezor One signs EIP-712 as domain and message hashes.")
        case .notSupported(let what) where what.hasSuffix("use --mode full"):
            return GenericBridgeError(.notSupported, error.message,
                                      hint: "Run it again with --mode full: the Trezor Model T and Safe sign EIP-712 field by field.")
        default:
            return error
        }
    }
}
