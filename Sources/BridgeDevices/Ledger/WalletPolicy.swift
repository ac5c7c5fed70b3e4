import BridgeCore
import BridgeCrypto

/// A wallet policy of the Ledger Bitcoin app 2.x: a descriptor template such as `wpkh(@0/**)` whose `@i`
/// placeholders stand for the key information strings `[fingerprint/path']xpub` (LedgerHQ/app-bitcoin-new
/// `doc/wallet.md`). The device never receives the policy itself: the host sends its id (the SHA-256 of its
/// serialization) and answers the device's requests for the parts (``LedgerBitcoinClientCommands``).
public struct WalletPolicy: Sendable, Equatable {
    /// The serialization format, the first byte of the serialization (`bitcoin_client/ledger_bitcoin/wallet.py`
    /// `WalletType`).
    public enum Version: UInt8, Sendable {
        /// Descriptor template in clear; `/**` is part of each key (ledgerjs hw-app-btc `newops/policy.ts`, which
        /// talks protocol version 0).
        case v1 = 1
        /// SHA-256 of the descriptor template; `/**` is part of the template (the official ledger-bitcoin client,
        /// protocol version 1, app >= 2.1.0).
        case v2 = 2

        /// The format each client uses with its protocol version (the APDUs' P2): 0 -> v1 (ledgerjs), else v2
        /// (ledger-bitcoin). Both recorded transcripts pair them this way (../shared/reference/ledger.md 5.4).
        public init(protocolVersion: UInt8) {
            self = protocolVersion == LedgerBitcoin.legacyProtocolVersion ? .v1 : .v2
        }
    }

    /// The most name bytes the app takes (app-bitcoin-new `doc/wallet.md`, MAX_WALLET_NAME_LENGTH).
    public static let maximumNameLength = 64
    /// The most keys a policy may list (`wallet.py`: "not larger than 252", a one-byte varint).
    public static let maximumKeyCount = 252
    /// The HMAC sent with a default (unregistered) policy: 32 zero bytes (`command_builder.py get_wallet_address`).
    public static let defaultHMAC = [UInt8](repeating: 0, count: 32)

    public let version: Version
    /// The wallet's name; empty for the default single-signature wallets.
    public let name: String
    /// The descriptor template, e.g. `wpkh(@0/**)` (v2) or `wpkh(@0)` (v1).
    public let descriptorTemplate: String
    /// The key information strings, `[f5acc2fd/84'/0'/0']xpub...` (v2) or the same followed by `/**` (v1).
    public let keys: [String]

    /// A policy; every string must be printable ASCII, as the app parses them as such.
    public init(name: String = "", descriptorTemplate: String, keys: [String], version: Version = .v2) throws(DeviceError) {
        guard Self.isPrintableASCII(name, allowEmpty: true), name.utf8.count <= Self.maximumNameLength else {
            throw .badArgument("A wallet policy name is at most \(Self.maximumNameLength) printable ASCII characters")
        }
        guard Self.isPrintableASCII(descriptorTemplate, allowEmpty: false) else {
            throw .badArgument("A wallet policy descriptor template is non-empty printable ASCII, got \"\(descriptorTemplate)\"")
        }
        guard (1...Self.maximumKeyCount).contains(keys.count) else {
            throw .badArgument("A wallet policy lists 1...\(Self.maximumKeyCount) keys, got \(keys.count)")
        }
        if let bad = keys.first(where: { !Self.isPrintableASCII($0, allowEmpty: false) }) {
            throw .badArgument("A wallet policy key is non-empty printable ASCII, got \"\(bad)\"")
        }
        self.version = version
        self.name = name
        self.descriptorTemplate = descriptorTemplate
        self.keys = keys
    }

    private static func isPrintableASCII(_ text: String, allowEmpty: Bool) -> Bool {
        (allowEmpty || !text.isEmpty) && text.utf8.allSatisfy { (0x20...0x7E).contains($0) }
    }

    /// The key list as the device reads it: a ``MerkleTree`` of the keys' ASCII bytes.
    public var keysTree: MerkleTree { MerkleTree(elements: keys.map { Array($0.utf8) }) }

    /// `version | nameLength(1) | name | varint(templateLength) | template (v1) or SHA-256(template) (v2) |
    /// varint(keyCount) | keysTree root` (`wallet.py WalletPolicy.serialize`; ledgerjs `policy.ts serialize`).
    public var serialized: [UInt8] {
        let template = Array(descriptorTemplate.utf8)
        var bytes = [version.rawValue, UInt8(name.utf8.count)] + Array(name.utf8)
        bytes += LedgerBitcoinVarint.encode(template.count)
        bytes += version == .v1 ? template : Hash.sha256(template)
        bytes += LedgerBitcoinVarint.encode(keys.count)
        bytes += keysTree.root
        return bytes
    }

    /// The wallet id the commands carry: SHA-256 of ``serialized``.
    public var id: [UInt8] { Hash.sha256(serialized) }

    /// The key information string `[fingerprint/path']xpub`: fingerprint as 8 lowercase hex digits, hardened levels
    /// marked with `'` (`doc/wallet.md` "Keys information vector"; ledgerjs `policy.ts createKey`).
    public static func keyInformation(masterFingerprint: UInt32, path: DerivationPath, xpub: String) -> String {
        let fingerprint = Hex.encode([24, 16, 8, 0].map { UInt8(truncatingIfNeeded: masterFingerprint >> $0) })
        return "[" + fingerprint + path.description.dropFirst() + "]" + xpub
    }

    /// The default single-signature policy for `script`, which the app accepts without registration (empty name,
    /// ``defaultHMAC``), for the account key `accountXpub` at `accountPath`: `pkh(@0/**)` (BIP-44),
    /// `sh(wpkh(@0/**))` (BIP-49), `wpkh(@0/**)` (BIP-84) in v2; in v1 the `/**` moves to the key, as ledgerjs
    /// writes it (`BtcNew.ts` `descrTemplFrom`, `policy.ts createKey`).
    public static func defaultSingleSignature(
        script: BitcoinScriptType, masterFingerprint: UInt32, accountPath: DerivationPath, accountXpub: String,
        version: Version
    ) throws(DeviceError) -> WalletPolicy {
        let key = keyInformation(masterFingerprint: masterFingerprint, path: accountPath, xpub: accountXpub)
        let placeholder = version == .v2 ? "@0/**" : "@0"
        let template: String
        switch script {
        case .p2pkh: template = "pkh(\(placeholder))"
        case .p2shP2wpkh: template = "sh(wpkh(\(placeholder)))"
        case .p2wpkh: template = "wpkh(\(placeholder))"
        }
        return try WalletPolicy(descriptorTemplate: template, keys: [version == .v2 ? key : key + "/**"], version: version)
    }
}
