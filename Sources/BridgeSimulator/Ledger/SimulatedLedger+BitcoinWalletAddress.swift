import BridgeCore
import BridgeCrypto
import BridgeDevices

/// GET_WALLET_ADDRESS for the default single-key wallet policies (no registration, HMAC all zeros), driving the host
/// through the client commands in the order the recordings show: GET_PREIMAGE of the wallet id, GET_PREIMAGE of the
/// descriptor template (policy v2 only), then the key-list leaf (proof + preimage), read twice
/// (app-bitcoin-new src/handler/get_wallet_address.c; doc/wallet.md).
extension SimulatedLedger {
    /// Size limits of the Nano X build (app-bitcoin-new src/constants.h, src/common/wallet.h).
    enum WalletPolicyLimits {
        static let maximumNameLength = 64
        static let maximumDescriptorLength = 512
        static let maximumSerializedLength = 1 + 1 + maximumNameLength + 9 + maximumDescriptorLength + 9 + 32
        static let maximumKeyInformationLength = 255
    }

    /// The serialized wallet policy: `version | nameLen | name | varint descriptorLen | descriptor (v1) or
    /// sha256(descriptor) (v2) | varint keyCount | keysRoot` (doc/wallet.md; ../shared/reference/ledger.md 5.4).
    struct WalletPolicyHeader: Sendable {
        var version: UInt8
        var name: [UInt8]
        var descriptorLength: Int
        /// Version 1 carries the descriptor template itself, version 2 its SHA-256.
        var descriptor: [UInt8]?
        var descriptorHash: [UInt8]?
        var keyCount: UInt64
        var keysRoot: [UInt8]

        init(parsing bytes: [UInt8]) throws(APDUFailure) {
            let invalid = BitcoinAPDU.incorrectData
            var reader = ByteReader(bytes)
            version = try reader.u8(or: invalid)
            guard version == 1 || version == 2 else { throw APDUFailure(invalid) }
            let nameLength = Int(try reader.u8(or: invalid))
            guard nameLength <= WalletPolicyLimits.maximumNameLength else { throw APDUFailure(invalid) }
            name = try reader.bytes(nameLength, or: invalid)
            let descriptorLength = try reader.varint(or: invalid)
            guard descriptorLength <= UInt64(WalletPolicyLimits.maximumDescriptorLength) else { throw APDUFailure(invalid) }
            self.descriptorLength = Int(descriptorLength)
            if version == 1 {
                descriptor = try reader.bytes(Int(descriptorLength), or: invalid)
            } else {
                descriptorHash = try reader.bytes(32, or: invalid)
            }
            keyCount = try reader.varint(or: invalid)
            keysRoot = try reader.bytes(32, or: invalid)
            guard reader.isAtEnd else { throw APDUFailure(invalid) }
        }
    }

    /// The single-key policies a device accepts without registration, with their BIP-44-style purpose
    /// (app-bitcoin-new `get_policy_address_type`, `get_bip44_purpose`).
    enum DefaultWalletScript: Sendable {
        case legacy
        case nestedSegwit
        case nativeSegwit
        case taproot

        /// Policy v1 writes `wpkh(@0)` with `/**` on the key; v2 writes `wpkh(@0/**)` (or `@0/<0;1>/*`).
        init?(descriptor: String, version: UInt8) {
            let keyForms = version == 1 ? ["@0"] : ["@0/**", "@0/<0;1>/*"]
            for key in keyForms {
                switch descriptor {
                case "pkh(\(key))": self = .legacy
                case "sh(wpkh(\(key)))": self = .nestedSegwit
                case "wpkh(\(key))": self = .nativeSegwit
                case "tr(\(key))": self = .taproot
                default: continue
                }
                return
            }
            return nil
        }

        var purpose: UInt32 {
            switch self {
            case .legacy: 44
            case .nestedSegwit: 49
            case .nativeSegwit: 84
            case .taproot: 86
            }
        }
    }

    /// A key of the policy: `[fingerprint/origin path]xpub` (v2) or the same followed by `/**` (v1).
    struct WalletKeyInformation: Sendable, Equatable {
        var fingerprint: UInt32
        var origin: [UInt32]
        var extendedKey: String

        init(parsing bytes: [UInt8], version: UInt8) throws(APDUFailure) {
            let invalid = APDUFailure(BitcoinAPDU.incorrectData)
            guard let text = String(validating: bytes, as: UTF8.self), text.first == "[",
                let close = text.firstIndex(of: "]")
            else { throw invalid }
            let components = text[text.index(after: text.startIndex)..<close].split(separator: "/", omittingEmptySubsequences: false)
            guard let fingerprintText = components.first, fingerprintText.count == 8,
                let fingerprintBytes = Hex.decode(fingerprintText)
            else { throw invalid }
            fingerprint = fingerprintBytes.reduce(0) { $0 << 8 | UInt32($1) }
            origin = []
            for component in components.dropFirst() {
                let isHardened = component.hasSuffix("'") || component.hasSuffix("h")
                guard let index = UInt32(isHardened ? component.dropLast() : component), index < DerivationPath.hardenedOffset
                else { throw invalid }
                origin.append(isHardened ? index | DerivationPath.hardenedOffset : index)
            }
            var key = text[text.index(after: close)...]
            if version == 1 {
                guard key.hasSuffix("/**") else { throw invalid }
                key = key.dropLast(3)
            }
            guard !key.isEmpty, !key.contains("/") else { throw invalid }
            extendedKey = String(key)
        }
    }

    /// GET_WALLET_ADDRESS `display | walletId | hmac | change | index(4 BE)` -> the address as ASCII.
    func bitcoinWalletAddress(_ command: APDUCommand, in state: State) throws(APDUFailure) -> BitcoinStep {
        var reader = ByteReader(command.data)
        let display = try reader.u8(or: BitcoinAPDU.wrongDataLength)
        let walletID = try reader.bytes(32, or: BitcoinAPDU.wrongDataLength)
        let hmac = try reader.bytes(32, or: BitcoinAPDU.wrongDataLength)
        let change = try reader.u8(or: BitcoinAPDU.wrongDataLength)
        guard change <= 1 else { throw APDUFailure(BitcoinAPDU.incorrectData) }
        let index = try reader.u32BigEndian(or: BitcoinAPDU.wrongDataLength)
        guard index < DerivationPath.hardenedOffset else { throw APDUFailure(BitcoinAPDU.incorrectData) }
        let request = WalletAddressRequest(
            display: display != 0, hmac: hmac, change: UInt32(change), index: index, app: state.app, approval: state.approval)
        return BitcoinClientCommand.preimage(
            of: walletID, maximumLength: WalletPolicyLimits.maximumSerializedLength, failure: BitcoinAPDU.incorrectData
        ) { [self] serialized throws(APDUFailure) in
            let header = try WalletPolicyHeader(parsing: serialized)
            if let descriptor = header.descriptor { return try walletAddress(header, descriptor: descriptor, request) }
            return BitcoinClientCommand.preimage(
                of: header.descriptorHash ?? [], maximumLength: WalletPolicyLimits.maximumDescriptorLength,
                failure: BitcoinAPDU.incorrectData
            ) { descriptor throws(APDUFailure) in
                guard descriptor.count == header.descriptorLength else { throw APDUFailure(BitcoinAPDU.incorrectData) }
                return try self.walletAddress(header, descriptor: descriptor, request)
            }
        }
    }

    /// What GET_WALLET_ADDRESS asked, kept across client commands.
    struct WalletAddressRequest: Sendable {
        var display: Bool
        var hmac: [UInt8]
        var change: UInt32
        var index: UInt32
        var app: App
        var approval: Approval
    }

    /// Once the policy is known: only default single-key policies are served (a registered wallet's HMAC cannot
    /// be checked, as nothing is ever registered: B008); the key must be this device's own key at the standard
    /// account path.
    private func walletAddress(_ header: WalletPolicyHeader, descriptor: [UInt8], _ request: WalletAddressRequest)
        throws(APDUFailure) -> BitcoinStep
    {
        guard request.hmac.allSatisfy({ $0 == 0 }) else { throw APDUFailure(BitcoinAPDU.signatureFail) }
        guard let text = String(validating: descriptor, as: UTF8.self),
            let script = DefaultWalletScript(descriptor: text, version: header.version)
        else { throw APDUFailure(BitcoinAPDU.signatureFail) }
        guard header.keyCount == 1 else { throw APDUFailure(BitcoinAPDU.incorrectData) }
        let readKey = { @Sendable (then: @escaping BitcoinStep.Resume) -> BitcoinStep in
            BitcoinClientCommand.merkleLeaf(
                root: header.keysRoot, count: 1, index: 0, maximumLength: WalletPolicyLimits.maximumKeyInformationLength,
                failure: BitcoinAPDU.incorrectData, then: then)
        }
        // The app reads the key once to check the policy is canonical and once more to derive the script.
        return readKey { [self] first throws(APDUFailure) in
            let key = try WalletKeyInformation(parsing: first, version: header.version)
            try checkOwnStandardKey(key, script: script, app: request.app)
            return readKey { [self] second throws(APDUFailure) in
                guard try WalletKeyInformation(parsing: second, version: header.version) == key else {
                    throw APDUFailure(BitcoinAPDU.incorrectData)
                }
                let publicKey = try self.key(at: key.origin + [request.change, request.index]).publicKey
                let address = try Self.address(of: publicKey, script: script, network: Self.network(of: request.app))
                if request.display {
                    try confirm([DeviceScreen(name: "show_address", title: "Address", lines: [address]),
                                 DeviceScreen(name: "approve", title: "Approve")], request.approval, app: request.app)
                }
                return .reply(APDUResponse(data: Array(address.utf8), statusWord: LedgerStatusWord.ok))
            }
        }
    }

    /// The key must carry this seed's fingerprint and this seed's xpub at a standard account path of the script's
    /// purpose and the build's coin type (get_wallet_address.c; `is_address_path_standard`).
    private func checkOwnStandardKey(_ key: WalletKeyInformation, script: DefaultWalletScript, app: App) throws(APDUFailure) {
        let hardened = DerivationPath.hardenedOffset
        guard key.fingerprint == master.fingerprint, key.origin.count == 3,
            key.origin[0] == script.purpose | hardened, key.origin[1] == Self.coinType(of: app) | hardened,
            key.origin[2] >= hardened, key.origin[2] & ~hardened <= BitcoinAPDU.maximumStandardAccount,
            try self.key(at: key.origin).xpub(network: Self.network(of: app)) == key.extendedKey
        else { throw APDUFailure(BitcoinAPDU.incorrectData) }
    }

    /// The address of a default policy's script for `publicKey`. Taproot (BIP-86: key-path only) tweaks the
    /// x-only key by tagged_hash("TapTweak", x) (bitcoin/bips bip-0341.mediawiki `taproot_tweak_pubkey`) with
    /// libsecp256k1's point addition.
    static func address(of publicKey: PublicKey, script: DefaultWalletScript, network: BitcoinNetwork) throws(APDUFailure) -> String {
        switch script {
        case .legacy: return BitcoinAddress.address(for: publicKey, script: .p2pkh, network: network)
        case .nestedSegwit: return BitcoinAddress.address(for: publicKey, script: .p2shP2wpkh, network: network)
        case .nativeSegwit: return BitcoinAddress.address(for: publicKey, script: .p2wpkh, network: network)
        case .taproot:
            let xOnly = Array(publicKey.compressed.dropFirst())
            let tag = Hash.sha256(Array("TapTweak".utf8))
            guard let evenKey = try? PublicKey(serialized: [0x02] + xOnly),
                let output = try? evenKey.adding(tweak: Hash.sha256(tag + tag + xOnly)),
                let address = try? SegwitAddress(
                    hrp: network.bech32HRP, witnessVersion: 1, program: Array(output.compressed.dropFirst()))
            else { throw APDUFailure(BitcoinAPDU.badState) }
            return address.string
        }
    }
}
