import BridgeCrypto

/// The operations every device family offers (Ledger now, Trezor later), so the CLI and the approval flow never
/// care which one they hold.
public protocol HardwareWallet: AnyObject, Sendable {
    /// Which device this is and how it is reached.
    var descriptor: DeviceDescriptor { get }

    /// The app (Ledger) or firmware (Trezor) that answers, and its version.
    func appInfo(_ options: OperationOptions) async throws(DeviceError) -> AppInfo

    /// What this device can do, as far as it can tell without asking the user.
    func capabilities(_ options: OperationOptions) async throws(DeviceError) -> DeviceCapabilities

    /// The address and public key at `request.path`, optionally shown on the device for the user to compare.
    func address(_ request: AddressRequest, _ options: OperationOptions) async throws(DeviceError) -> AddressResult

    /// The extended public key at `path` and the master key's fingerprint.
    func extendedPublicKey(path: DerivationPath, network: BitcoinNetwork, _ options: OperationOptions)
        async throws(DeviceError) -> ExtendedPublicKeyResult

    /// Signs `message` (EIP-191 personal_sign for eth, BIP-137 for btc) after the user confirms on the device.
    func signMessage(_ request: MessageSigningRequest, _ options: OperationOptions)
        async throws(DeviceError) -> MessageSignatureResult

    /// Signs EIP-712 typed data after the user confirms on the device.
    func signTypedData(path: DerivationPath, typedData: TypedData, mode: TypedDataSigningMode, _ options: OperationOptions)
        async throws(DeviceError) -> TypedDataSignatureResult
}
