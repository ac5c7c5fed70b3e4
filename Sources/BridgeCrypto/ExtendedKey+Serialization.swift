import BridgeCore

// The 78-byte BIP-32 serialization, Base58Check-encoded (bitcoin/bips bip-0032.mediawiki, "Serialization format"):
// version(4) || depth(1) || parent fingerprint(4) || child number(4) || chain code(32) || key data(33),
// where key data is 0x00 || private key, or the compressed public key.
extension ExtendedKey {
    /// Bytes in the decoded serialization.
    static let serializedLength = 78
    /// The longest Base58Check text a 78-byte key can have.
    static let maximumTextLength = 112

    /// The versions of BIP-32 itself: xpub, xprv (mainnet), tpub, tprv (testnet). Strict parsing accepts only these.
    public static let bip32Versions: Set<UInt32> = [0x0488_B21E, 0x0488_ADE4, 0x0435_87CF, 0x0435_8394]

    /// `bip32Versions` plus the single-signature script-type versions of SLIP-0132: ypub/yprv, zpub/zprv (mainnet),
    /// upub/uprv, vpub/vprv (testnet) (satoshilabs/slips slip-0132.md, "Registered HD version bytes").
    public static let slip132Versions: Set<UInt32> = bip32Versions.union([
        0x049D_7CB2, 0x049D_7878, 0x04B2_4746, 0x04B2_430C,
        0x044A_5262, 0x044A_4E28, 0x045F_1CF6, 0x045F_18BC,
    ])

    /// The registered versions that announce private key data: xprv, tprv, yprv, zprv, uprv, vprv.
    static let privateVersions: Set<UInt32> = [
        0x0488_ADE4, 0x0435_8394, 0x049D_7878, 0x04B2_430C, 0x044A_4E28, 0x045F_18BC,
    ]

    /// True when `version` is one of the registered private-key versions (xprv, tprv, yprv, zprv, uprv, vprv).
    /// Every other version is taken to carry a public key.
    public static func isPrivateVersion(_ version: UInt32) -> Bool {
        privateVersions.contains(version)
    }

    /// The Base58Check serialization under `version`. A registered private version (see `isPrivateVersion`) writes
    /// the private key and gives nil for a public-only key; any other version writes the public key.
    public func serialized(version: UInt32) -> String? {
        if Self.isPrivateVersion(version) {
            guard let privateKey else { return nil }
            return serialize(version: version, keyData: [0] + privateKey.bytes)
        }
        return serialize(version: version, keyData: publicKey.compressed)
    }

    /// The extended public key: `xpub...` on mainnet, `tpub...` on testnet.
    public func xpub(network: BitcoinNetwork = .main) -> String {
        serialize(version: network.xpubVersion, keyData: publicKey.compressed)
    }

    /// The extended private key (`xprv...` / `tprv...`), or nil for a public-only key.
    public func xprv(network: BitcoinNetwork = .main) -> String? {
        serialized(version: network.xprvVersion)
    }

    private func serialize(version: UInt32, keyData: [UInt8]) -> String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(Self.serializedLength)
        Self.appendBigEndian(version, to: &bytes)
        bytes.append(depth)
        Self.appendBigEndian(parentFingerprint, to: &bytes)
        Self.appendBigEndian(childNumber, to: &bytes)
        bytes.append(contentsOf: chainCode)
        bytes.append(contentsOf: keyData)
        return Base58.encodeCheck(bytes)
    }

    /// Parses an `xpub`/`xprv`/`tpub`/`tprv` strictly: every rule BIP-32 test vector 5 checks is enforced.
    public init(parsing text: String) throws(CryptoError) {
        try self.init(parsing: text, allowedVersions: Self.bip32Versions)
    }

    /// Parses an extended key whose version is in `allowedVersions` (for example `slip132Versions` to accept
    /// ypub/zpub). Versions that `isPrivateVersion` does not list must carry a public key.
    public init(parsing text: String, allowedVersions: Set<UInt32>) throws(CryptoError) {
        // Base58 decoding is quadratic: refuse long text before decoding it. 82 bytes (78 + checksum) never need more
        // than 112 characters (82 * log(256) / log(58) < 112).
        guard text.utf8.count <= Self.maximumTextLength else {
            throw .invalidExtendedKey("it is \(text.utf8.count) characters; a BIP-32 extended key has at most \(Self.maximumTextLength)")
        }
        let bytes: [UInt8]
        do {
            bytes = try Base58.decodeCheck(text)
        } catch {
            if case .invalidEncoding(let why) = error { throw .invalidExtendedKey(why) }
            throw error
        }
        guard bytes.count == Self.serializedLength else {
            throw .invalidExtendedKey("it decodes to \(bytes.count) bytes; a BIP-32 extended key is \(Self.serializedLength)")
        }
        let version = Self.readBigEndian(bytes, at: 0)
        guard allowedVersions.contains(version) else {
            let allowed = allowedVersions.sorted().map { "0x" + Self.hex32($0) }.joined(separator: ", ")
            throw .invalidExtendedKey("unknown version 0x\(Self.hex32(version)); accepted are \(allowed)")
        }
        let depth = bytes[4]
        let parentFingerprint = Self.readBigEndian(bytes, at: 5)
        let childNumber = Self.readBigEndian(bytes, at: 9)
        let chainCode = Array(bytes[13..<45])
        let prefix = bytes[45]
        let keyBytes = Array(bytes[45..<78])
        let versionIsPrivate = Self.isPrivateVersion(version)
        let kind = versionIsPrivate ? "private" : "public"

        switch prefix {
        case 0x00:
            guard versionIsPrivate else {
                throw .invalidExtendedKey(
                    "version 0x\(Self.hex32(version)) is for public keys, but the key data holds a private key (prefix 0x00)")
            }
            let privateKey: PrivateKey
            do {
                privateKey = try PrivateKey(Array(keyBytes.dropFirst()))
            } catch {
                throw .invalidExtendedKey("the private key is not in 1...n-1 of secp256k1")
            }
            try self.init(privateKey: privateKey, chainCode: chainCode, depth: depth,
                          parentFingerprint: parentFingerprint, childNumber: childNumber)
        case 0x02, 0x03:
            guard !versionIsPrivate else {
                throw .invalidExtendedKey(
                    "version 0x\(Self.hex32(version)) is for private keys, but the key data holds a public key (prefix 0x\(Hex.encode([prefix])))")
            }
            let publicKey: PublicKey
            do {
                publicKey = try PublicKey(serialized: keyBytes)
            } catch {
                throw .invalidExtendedKey("the public key \(Hex.encode(keyBytes)) is not a point on secp256k1")
            }
            try self.init(publicKey: publicKey, chainCode: chainCode, depth: depth,
                          parentFingerprint: parentFingerprint, childNumber: childNumber)
        default:
            let expected = versionIsPrivate ? "0x00" : "0x02 or 0x03"
            throw .invalidExtendedKey(
                "the key data starts with 0x\(Hex.encode([prefix])); a \(kind) version (0x\(Self.hex32(version))) needs \(expected)")
        }
    }

    static func appendBigEndian(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 24))
        bytes.append(UInt8(truncatingIfNeeded: value >> 16))
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    static func readBigEndian(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }
}
