import BridgeCrypto

/// A message to sign: the key's path, the bytes, and for Bitcoin the script type and network of the address.
public struct MessageSigningRequest: Sendable, Equatable {
    public var path: DerivationPath
    public var message: [UInt8]
    public var coin: Coin
    public var script: BitcoinScriptType?
    public var network: BitcoinNetwork

    public init(path: DerivationPath, message: [UInt8], coin: Coin = .eth, script: BitcoinScriptType? = nil,
                network: BitcoinNetwork = .main) {
        self.path = path
        self.message = message
        self.coin = coin
        self.script = script
        self.network = network
    }

    public var effectiveScript: BitcoinScriptType { script ?? BitcoinScriptType(defaultForPurpose: path.purpose) }
}
