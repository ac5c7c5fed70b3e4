import BridgeCore
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

/// Which device, how it is reached.
public struct DeviceDescriptor: Sendable, Equatable {
    public enum Family: String, Sendable { case ledger, trezor }

    /// Stable for as long as the device stays plugged in (`enumerate` prints it; `--device` takes it).
    public let id: String
    public let family: Family
    /// e.g. "nanox", "nanosp", "stax", "flex", "one", "safe5".
    public let model: String
    /// "hid", "webusb", "tcp", "udp" or "sim".
    public let transport: String
    /// The OS path or address (e.g. /dev/hidraw3, 127.0.0.1:9999).
    public let path: String

    public init(id: String, family: Family, model: String, transport: String, path: String) {
        self.id = id
        self.family = family
        self.model = model
        self.transport = transport
        self.path = path
    }
}

/// The app or firmware that answers.
public struct AppInfo: Sendable, Equatable {
    /// "Ethereum", "Bitcoin", "Bitcoin Test", "BOLOS" (the Ledger dashboard), or a Trezor firmware name.
    public let name: String
    public let version: String
    /// App flags as the device reports them (Ledger B0 01), empty when none.
    public let flags: [UInt8]

    public init(name: String, version: String, flags: [UInt8] = []) {
        self.name = name
        self.version = version
        self.flags = flags
    }
}

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

/// The coins WalletBridge handles.
public enum Coin: String, Sendable, CaseIterable {
    case eth, btc
}

/// Per-call settings: how long to wait (the user's confirmation included) and where progress goes.
public struct OperationOptions: Sendable {
    public var timeout: Duration
    /// Receives lines such as "Confirm on your Ledger..." (the CLI sends them to stderr).
    public var progress: @Sendable (String) -> Void

    public init(timeout: Duration = .seconds(120), progress: @escaping @Sendable (String) -> Void = { _ in }) {
        self.timeout = timeout
        self.progress = progress
    }
}

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

public struct AddressResult: Sendable, Equatable {
    /// EIP-55 for Ethereum; Base58Check or Bech32 for Bitcoin.
    public let address: String
    public let path: DerivationPath
    public let publicKey: PublicKey
    public let chainCode: [UInt8]?

    public init(address: String, path: DerivationPath, publicKey: PublicKey, chainCode: [UInt8]? = nil) {
        self.address = address
        self.path = path
        self.publicKey = publicKey
        self.chainCode = chainCode
    }
}

public struct ExtendedPublicKeyResult: Sendable, Equatable {
    /// BIP-32 serialization with the network's public version (xpub / tpub).
    public let xpub: String
    public let publicKey: PublicKey
    public let chainCode: [UInt8]
    /// The master key's fingerprint, as HWI prints it.
    public let masterFingerprint: UInt32

    public init(xpub: String, publicKey: PublicKey, chainCode: [UInt8], masterFingerprint: UInt32) {
        self.xpub = xpub
        self.publicKey = publicKey
        self.chainCode = chainCode
        self.masterFingerprint = masterFingerprint
    }
}

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

public enum MessageSignatureResult: Sendable, Equatable {
    /// EIP-191 personal_sign: r || s || v (27/28) and the signer's address.
    case ethereum(signature: EthereumSignature, address: EthereumAddress)
    /// BIP-137: the 65 bytes exactly as the device returned them, and the address they verify against.
    case bitcoin(signature: [UInt8], address: String)
}

/// How typed data is shown on the device.
public enum TypedDataSigningMode: String, Sendable, CaseIterable {
    /// Field by field (clear signing): the operator reads what they approve.
    case full
    /// Only the domain hash and message hash (blind signing).
    case hashed
}

public struct TypedDataSignatureResult: Sendable, Equatable {
    public let signature: EthereumSignature
    public let address: EthereumAddress
    public let domainHash: [UInt8]
    public let messageHash: [UInt8]?
    public let digest: [UInt8]

    public init(signature: EthereumSignature, address: EthereumAddress, domainHash: [UInt8], messageHash: [UInt8]?, digest: [UInt8]) {
        self.signature = signature
        self.address = address
        self.domainHash = domainHash
        self.messageHash = messageHash
        self.digest = digest
    }
}
