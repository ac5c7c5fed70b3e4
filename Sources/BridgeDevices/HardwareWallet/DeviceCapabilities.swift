/// What a device can do.
public struct DeviceCapabilities: Sendable, Equatable {
    public var coins: Set<Coin>
    /// Clear signing of EIP-712 typed data field by field (Ledger Ethereum app >= 1.9.19; Trezor Safe/T).
    public var fullTypedData: Bool
    /// Signing an EIP-712 domain hash + message hash (Ledger with blind signing; Trezor One).
    public var hashedTypedData: Bool
    /// Blind signing enabled in the app's settings, when the device reports it.
    public var blindSigningEnabled: Bool?

    public init(coins: Set<Coin>, fullTypedData: Bool, hashedTypedData: Bool, blindSigningEnabled: Bool? = nil) {
        self.coins = coins
        self.fullTypedData = fullTypedData
        self.hashedTypedData = hashedTypedData
        self.blindSigningEnabled = blindSigningEnabled
    }
}
