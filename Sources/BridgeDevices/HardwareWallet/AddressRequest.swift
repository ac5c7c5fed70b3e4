import BridgeCrypto

/// Which address to derive and show: the path, the coin, and for Bitcoin the script type and network.
public struct AddressRequest: Sendable, Equatable {
    public var path: DerivationPath
    public var coin: Coin
    /// Bitcoin only; nil takes the default for the path's purpose (44' p2pkh, 49' p2sh-p2wpkh, 84' p2wpkh).
    public var script: BitcoinScriptType?
    public var network: BitcoinNetwork
    /// Show the address on the device and wait for the user to confirm it.
    public var display: Bool

    public init(path: DerivationPath, coin: Coin = .eth, script: BitcoinScriptType? = nil, network: BitcoinNetwork = .main,
                display: Bool = false) {
        self.path = path
        self.coin = coin
        self.script = script
        self.network = network
        self.display = display
    }

    /// The script type in force: the explicit one, or the default for the path's purpose.
    public var effectiveScript: BitcoinScriptType { script ?? BitcoinScriptType(defaultForPurpose: path.purpose) }
}
