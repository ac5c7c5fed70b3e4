import BridgeCrypto

/// A single-key address path `purpose'/coin'/account'/change/index` read as a place in the app's default
/// single-signature wallet: the account key, the default policy for the script type, and the change/index pair
/// GET_WALLET_ADDRESS takes. The Bitcoin app 2.x derives addresses only through wallet policies, so this is how
/// `address --coin btc` asks for one (ledgerjs `BtcNew.ts getWalletAddress` does the same).
public struct LedgerBitcoinDefaultAddressPath: Sendable, Equatable {
    public let path: DerivationPath
    public let script: BitcoinScriptType
    /// `purpose'/coin'/account'`: the key the policy names.
    public let accountPath: DerivationPath
    /// The last-but-one level is 1 (change), not 0 (receive).
    public let change: Bool
    /// The last level.
    public let index: UInt32

    /// - Parameter script: the address type; nil takes it from the purpose (44' p2pkh, 49' p2sh-p2wpkh, 84' p2wpkh).
    public init(path: DerivationPath, script: BitcoinScriptType? = nil) throws(DeviceError) {
        let levels = path.indexes
        let hardened = DerivationPath.hardenedOffset
        guard levels.count == 5, levels[..<3].allSatisfy({ $0 >= hardened }), levels[3] <= 1, levels[4] < hardened else {
            throw .badArgument(
                "A Ledger Bitcoin address path is purpose'/coin'/account'/change/index with change 0 or 1 (e.g. m/84'/0'/0'/0/0), got \(path)")
        }
        self.path = path
        self.script = script ?? BitcoinScriptType(defaultForPurpose: path.purpose)
        accountPath = DerivationPath(indexes: Array(levels[..<3]))
        change = levels[3] == 1
        index = levels[4]
    }

    /// The default policy over the account key, in the format `protocolVersion` goes with.
    public func policy(masterFingerprint: UInt32, accountXpub: String, protocolVersion: UInt8) throws(DeviceError) -> WalletPolicy {
        try WalletPolicy.defaultSingleSignature(
            script: script, masterFingerprint: masterFingerprint, accountPath: accountPath, accountXpub: accountXpub,
            version: WalletPolicy.Version(protocolVersion: protocolVersion))
    }

    /// GET_WALLET_ADDRESS for this path, given the master fingerprint and account xpub the device reported.
    public func getWalletAddress(
        masterFingerprint: UInt32, accountXpub: String, display: Bool,
        protocolVersion: UInt8 = LedgerBitcoin.currentProtocolVersion
    ) throws(DeviceError) -> LedgerBitcoinGetWalletAddress {
        try LedgerBitcoinGetWalletAddress(
            policy: policy(masterFingerprint: masterFingerprint, accountXpub: accountXpub, protocolVersion: protocolVersion),
            change: change, index: index, display: display, protocolVersion: protocolVersion)
    }

    /// The address's public key, derived on the host from the account xpub (change and index are unhardened).
    public func publicKey(accountXpub: String) throws(DeviceError) -> PublicKey {
        do throws(CryptoError) {
            return try ExtendedKey(parsing: accountXpub).derivedChild(change ? 1 : 0).derivedChild(index).publicKey
        } catch {
            throw .protocolError("cannot derive \(path) from the account key the device gave: \(error.message)")
        }
    }
}

/// What ``LedgerBitcoinGetDefaultWalletAddress`` learned.
public struct LedgerBitcoinDefaultAddress: Sendable, Equatable {
    /// The address as the device computed (and, with display, showed) it.
    public let address: String
    /// The key at the full path, derived from ``accountXpub``.
    public let publicKey: PublicKey
    public let masterFingerprint: UInt32
    /// The extended public key at `purpose'/coin'/account'`.
    public let accountXpub: String
    /// The default policy the address was asked for.
    public let policy: WalletPolicy
}

/// The address at a single-key path, in three commands as ledgerjs `BtcNew.getWalletAddress` sends them:
/// GET_EXTENDED_PUBKEY of the account (no display), GET_MASTER_FINGERPRINT, then GET_WALLET_ADDRESS of the default
/// policy with the path's change and index.
public struct LedgerBitcoinGetDefaultWalletAddress: APDUOperation {
    public let addressPath: LedgerBitcoinDefaultAddressPath
    public let display: Bool
    public let protocolVersion: UInt8
    /// How status words are reported (set `openApp` when B0 01 told it).
    public var statusContext = LedgerBitcoin.statusContext
    private var stage: Stage

    private enum Stage: Sendable {
        case accountKey(LedgerBitcoinGetExtendedPublicKey)
        case fingerprint(LedgerBitcoinGetMasterFingerprint, accountXpub: String)
        case address(LedgerBitcoinGetWalletAddress, fingerprint: UInt32, accountXpub: String)
    }

    /// - Parameters:
    ///   - path: `purpose'/coin'/account'/change/index`.
    ///   - script: nil takes the purpose's default.
    ///   - display: show the address on the device.
    public init(
        path: DerivationPath, script: BitcoinScriptType? = nil, display: Bool = false,
        protocolVersion: UInt8 = LedgerBitcoin.currentProtocolVersion
    ) throws(DeviceError) {
        addressPath = try LedgerBitcoinDefaultAddressPath(path: path, script: script)
        self.display = display
        self.protocolVersion = protocolVersion
        stage = .accountKey(try LedgerBitcoinGetExtendedPublicKey(
            path: addressPath.accountPath, display: false, protocolVersion: protocolVersion))
    }

    public mutating func start() throws(DeviceError) -> APDUCommand {
        guard case .accountKey(var operation) = stage else {
            throw .protocolError("start() called after the default-wallet address operation had moved on")
        }
        operation.statusContext = statusContext
        stage = .accountKey(operation)
        return try operation.start()
    }

    public mutating func handle(_ response: APDUResponse) throws(DeviceError) -> APDUStep<LedgerBitcoinDefaultAddress> {
        switch stage {
        case .accountKey(var operation):
            switch try operation.handle(response) {
            case .send(let next):
                stage = .accountKey(operation)
                return .send(next)
            case .finished(let accountXpub):
                var next = try LedgerBitcoinGetMasterFingerprint(protocolVersion: protocolVersion)
                next.statusContext = statusContext
                stage = .fingerprint(next, accountXpub: accountXpub)
                return .send(try next.start())
            }
        case .fingerprint(var operation, let accountXpub):
            switch try operation.handle(response) {
            case .send(let next):
                stage = .fingerprint(operation, accountXpub: accountXpub)
                return .send(next)
            case .finished(let fingerprint):
                var next = try addressPath.getWalletAddress(
                    masterFingerprint: fingerprint, accountXpub: accountXpub, display: display,
                    protocolVersion: protocolVersion)
                next.statusContext = statusContext
                stage = .address(next, fingerprint: fingerprint, accountXpub: accountXpub)
                return .send(try next.start())
            }
        case .address(var operation, let fingerprint, let accountXpub):
            switch try operation.handle(response) {
            case .send(let next):
                stage = .address(operation, fingerprint: fingerprint, accountXpub: accountXpub)
                return .send(next)
            case .finished(let address):
                return .finished(LedgerBitcoinDefaultAddress(
                    address: address, publicKey: try addressPath.publicKey(accountXpub: accountXpub),
                    masterFingerprint: fingerprint, accountXpub: accountXpub, policy: operation.policy))
            }
        }
    }
}
