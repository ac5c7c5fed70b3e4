/// A BIP-32 extended key: a secp256k1 key plus the chain code and position that let children be derived from it.
///
/// `description` shows only public data; the private key never reaches logs through string interpolation.
public struct ExtendedKey: Sendable, Equatable, CustomStringConvertible {
    /// Levels below the master key (0 for the master).
    public let depth: UInt8
    /// The first 4 bytes of the parent's identifier, big-endian (0 for the master).
    public let parentFingerprint: UInt32
    /// The index this key was derived with, hardened ones with `DerivationPath.hardenedOffset` (0 for the master).
    public let childNumber: UInt32
    /// The 32-byte chain code.
    public let chainCode: [UInt8]
    /// The private key, nil for a public-only (neutered) key.
    public let privateKey: PrivateKey?
    /// The public key.
    public let publicKey: PublicKey

    /// An extended private key from its parts; throws for a chain code that is not 32 bytes, or for depth 0 with a
    /// non-zero parent fingerprint or child number (which BIP-32 test vector 5 calls invalid).
    public init(privateKey: PrivateKey, chainCode: [UInt8], depth: UInt8 = 0, parentFingerprint: UInt32 = 0,
                childNumber: UInt32 = 0) throws(CryptoError) {
        try Self.checkPosition(chainCode: chainCode, depth: depth, parentFingerprint: parentFingerprint, childNumber: childNumber)
        self.init(unchecked: depth, parentFingerprint, childNumber, chainCode, privateKey, privateKey.publicKey)
    }

    /// An extended public key from its parts (for example a hardware wallet's reply); same checks as the private form.
    public init(publicKey: PublicKey, chainCode: [UInt8], depth: UInt8 = 0, parentFingerprint: UInt32 = 0,
                childNumber: UInt32 = 0) throws(CryptoError) {
        try Self.checkPosition(chainCode: chainCode, depth: depth, parentFingerprint: parentFingerprint, childNumber: childNumber)
        self.init(unchecked: depth, parentFingerprint, childNumber, chainCode, nil, publicKey)
    }

    init(unchecked depth: UInt8, _ parentFingerprint: UInt32, _ childNumber: UInt32, _ chainCode: [UInt8],
         _ privateKey: PrivateKey?, _ publicKey: PublicKey) {
        self.depth = depth
        self.parentFingerprint = parentFingerprint
        self.childNumber = childNumber
        self.chainCode = chainCode
        self.privateKey = privateKey
        self.publicKey = publicKey
    }

    static func checkPosition(chainCode: [UInt8], depth: UInt8, parentFingerprint: UInt32,
                              childNumber: UInt32) throws(CryptoError) {
        guard chainCode.count == 32 else {
            throw .invalidLength(what: "A BIP-32 chain code", expected: "32", actual: chainCode.count)
        }
        if depth == 0 {
            guard parentFingerprint == 0 else {
                throw .invalidExtendedKey("depth 0 (a master key) with non-zero parent fingerprint 0x\(hex32(parentFingerprint))")
            }
            guard childNumber == 0 else {
                throw .invalidExtendedKey("depth 0 (a master key) with non-zero child number \(childNumber)")
            }
        }
    }

    /// The master key of a seed: HMAC-SHA512(key "Bitcoin seed", seed) split into key and chain code
    /// (bitcoin/bips bip-0032.mediawiki, "Master key generation"; seeds are 128 to 512 bits).
    public static func master(seed: [UInt8]) throws(CryptoError) -> ExtendedKey {
        guard (16...64).contains(seed.count) else {
            throw .invalidLength(what: "A BIP-32 seed", expected: "16 to 64", actual: seed.count)
        }
        let digest = Hash.hmacSHA512(key: masterKeyHMACKey, data: seed)
        let key: PrivateKey
        do {
            key = try PrivateKey(Array(digest[0..<32]))
        } catch {
            throw .invalidExtendedKey("this seed gives no valid master key (IL is 0 or not below n); use another seed")
        }
        return ExtendedKey(unchecked: 0, 0, 0, Array(digest[32..<64]), key, key.publicKey)
    }

    // bitcoin/bips bip-0032.mediawiki, "Master key generation": I = HMAC-SHA512(Key = "Bitcoin seed", Data = S).
    private static let masterKeyHMACKey = Array("Bitcoin seed".utf8)

    /// The child at `index` (hardened when >= 2^31): CKDpriv for a private key, CKDpub for a public-only key
    /// (bitcoin/bips bip-0032.mediawiki, "Child key derivation (CKD) functions").
    ///
    /// Throws `.unusableChildKey(index:)` in the (about 2^-127) case BIP-32 says to skip, and
    /// `.invalidDerivationPath` for a hardened index of a public-only key or a depth past 255.
    public func derivedChild(_ index: UInt32) throws(CryptoError) -> ExtendedKey {
        guard depth < UInt8.max else {
            throw .invalidDerivationPath("depth 255 is the deepest BIP-32 can serialize; cannot derive child \(index)")
        }
        // Serialized once: it is both the HMAC input (non-hardened) and the parent fingerprint's preimage.
        let parentPublic = publicKey.compressed
        var data = [UInt8]()
        data.reserveCapacity(37)
        if index >= DerivationPath.hardenedOffset {
            guard let privateKey else {
                throw .invalidDerivationPath(
                    "hardened index \(index - DerivationPath.hardenedOffset)' needs the private key; this extended key is public only")
            }
            // ser256(k_par) is prefixed with 0x00 to make it 33 bytes, like a public key.
            data.append(0)
            data.append(contentsOf: privateKey.bytes)
        } else {
            data.append(contentsOf: parentPublic)
        }
        Self.appendBigEndian(index, to: &data)

        let digest = Hash.hmacSHA512(key: chainCode, data: data)
        let tweak = Array(digest[0..<32])
        let childChainCode = Array(digest[32..<64])
        let fingerprint = Self.fingerprint(ofCompressedKey: parentPublic)

        if let privateKey {
            // PrivateKey.adding throws exactly when IL >= n or IL + k_par = 0.
            guard let child = try? privateKey.adding(tweak: tweak) else { throw .unusableChildKey(index: index) }
            return ExtendedKey(unchecked: depth + 1, fingerprint, index, childChainCode, child, child.publicKey)
        }
        // PublicKey.adding throws exactly when IL >= n or the sum is the point at infinity.
        guard let child = try? publicKey.adding(tweak: tweak) else { throw .unusableChildKey(index: index) }
        return ExtendedKey(unchecked: depth + 1, fingerprint, index, childChainCode, nil, child)
    }

    /// The key at `path` below this one (the path is relative: from a master key it is the usual absolute path).
    public func derived(_ path: DerivationPath) throws(CryptoError) -> ExtendedKey {
        var key = self
        for index in path.indexes { key = try key.derivedChild(index) }
        return key
    }

    /// The same key without its private part.
    public var neutered: ExtendedKey {
        ExtendedKey(unchecked: depth, parentFingerprint, childNumber, chainCode, nil, publicKey)
    }

    /// HASH160 of the compressed public key (bitcoin/bips bip-0032.mediawiki, "Key identifiers").
    public var identifier: [UInt8] { Hash.hash160(publicKey.compressed) }

    /// The first 4 bytes of `identifier`, big-endian: what children store as their parent fingerprint.
    public var fingerprint: UInt32 { Self.fingerprint(ofCompressedKey: publicKey.compressed) }

    static func fingerprint(ofCompressedKey key: [UInt8]) -> UInt32 {
        let identifier = Hash.hash160(key)
        return UInt32(identifier[0]) << 24 | UInt32(identifier[1]) << 16 | UInt32(identifier[2]) << 8 | UInt32(identifier[3])
    }

    /// Eight lowercase hex digits of a 32-bit value (versions, fingerprints) for error messages.
    static func hex32(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }

    /// Depth, child number and the mainnet xpub; never the private key.
    public var description: String {
        let kind = privateKey == nil ? "public" : "private, redacted"
        return "ExtendedKey(\(kind), depth \(depth), child \(childNumber), \(xpub()))"
    }
}
