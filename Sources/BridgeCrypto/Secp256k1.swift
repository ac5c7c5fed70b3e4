import BridgeCore
import CSecp256k1

/// A secp256k1 private key: 32 bytes in 1..n-1. Used by simulators, tests and benchmarks; the service itself never
/// holds one (operators sign on their devices).
public struct PrivateKey: Sendable, Equatable {
    /// The big-endian scalar.
    public let bytes: [UInt8]

    /// A key from its 32 big-endian bytes; throws for 0, n or above (never reduced mod n).
    public init(_ bytes: [UInt8]) throws(CryptoError) {
        guard bytes.count == 32 else { throw .invalidLength(what: "A private key", expected: "32", actual: bytes.count) }
        guard secp256k1_ec_seckey_verify(Secp256k1Context.shared.raw, bytes) == 1 else { throw .invalidPrivateKey }
        self.bytes = bytes
    }

    /// The matching public key.
    public var publicKey: PublicKey {
        var raw = secp256k1_pubkey()
        // Cannot fail: the scalar was validated at init.
        let ok = secp256k1_ec_pubkey_create(Secp256k1Context.shared.raw, &raw, bytes)
        assert(ok == 1)
        return PublicKey(raw: raw)
    }

    /// Signs a 32-byte digest: RFC 6979 nonce, low-S (libsecp256k1's defaults).
    public func sign(digest: [UInt8]) throws(CryptoError) -> ECDSASignature {
        try checkDigest(digest)
        var signature = secp256k1_ecdsa_signature()
        guard secp256k1_ecdsa_sign(Secp256k1Context.shared.raw, &signature, digest, bytes, nil, nil) == 1 else {
            throw .libraryFailure("secp256k1_ecdsa_sign")
        }
        return ECDSASignature(raw: signature)
    }

    /// Signs a 32-byte digest with a recovery id (Ethereum v, Bitcoin message headers).
    public func signRecoverable(digest: [UInt8]) throws(CryptoError) -> RecoverableSignature {
        try checkDigest(digest)
        var signature = secp256k1_ecdsa_recoverable_signature()
        guard secp256k1_ecdsa_sign_recoverable(Secp256k1Context.shared.raw, &signature, digest, bytes, nil, nil) == 1 else {
            throw .libraryFailure("secp256k1_ecdsa_sign_recoverable")
        }
        return RecoverableSignature(raw: signature)
    }

    /// (this + tweak) mod n, as BIP-32 private derivation needs; throws if the tweak is >= n or the sum is 0.
    public func adding(tweak: [UInt8]) throws(CryptoError) -> PrivateKey {
        guard tweak.count == 32 else { throw .invalidLength(what: "A tweak", expected: "32", actual: tweak.count) }
        var sum = bytes
        guard secp256k1_ec_seckey_tweak_add(Secp256k1Context.shared.raw, &sum, tweak) == 1 else { throw .invalidPrivateKey }
        return try PrivateKey(sum)
    }
}

func checkDigest(_ digest: [UInt8]) throws(CryptoError) {
    guard digest.count == 32 else { throw .invalidLength(what: "A digest", expected: "32", actual: digest.count) }
}

/// A secp256k1 public key (a valid curve point), parsed from its SEC1 form.
public struct PublicKey: Sendable, Hashable, CustomStringConvertible {
    var raw: secp256k1_pubkey

    init(raw: secp256k1_pubkey) { self.raw = raw }

    /// Parses a compressed (33 bytes, 02/03) or uncompressed (65 bytes, 04) SEC1 key. The hybrid 06/07 form that
    /// libsecp256k1 would also take is refused (secp256k1.json `public_key_note`).
    public init(serialized bytes: [UInt8]) throws(CryptoError) {
        switch (bytes.first, bytes.count) {
        case (0x02, 33), (0x03, 33), (0x04, 65): break
        case (nil, _): throw .invalidPublicKey("empty")
        case (let prefix?, let count):
            throw .invalidPublicKey("prefix 0x\(Hex.encode([prefix])) with \(count) bytes (want 02/03 with 33 or 04 with 65)")
        }
        var raw = secp256k1_pubkey()
        guard secp256k1_ec_pubkey_parse(Secp256k1Context.shared.raw, &raw, bytes, bytes.count) == 1 else {
            throw .invalidPublicKey("not a point on secp256k1")
        }
        self.raw = raw
    }

    /// The 33-byte compressed SEC1 form.
    public var compressed: [UInt8] { serialize(compressed: true) }
    /// The 65-byte uncompressed SEC1 form (04 || x || y).
    public var uncompressed: [UInt8] { serialize(compressed: false) }

    private func serialize(compressed: Bool) -> [UInt8] {
        var key = raw
        let length = compressed ? 33 : 65
        return [UInt8](unsafeUninitializedCapacity: length) { out, count in
            var written = length
            let flags = UInt32(compressed ? SECP256K1_EC_COMPRESSED : SECP256K1_EC_UNCOMPRESSED)
            _ = secp256k1_ec_pubkey_serialize(Secp256k1Context.shared.raw, out.baseAddress!, &written, &key, flags)
            count = written
        }
    }

    /// True when `signature` is a valid low-S ECDSA signature of `digest` by this key. High-S is refused.
    public func isValidSignature(_ signature: ECDSASignature, digest: [UInt8]) -> Bool {
        guard digest.count == 32 else { return false }
        var key = raw
        var sig = signature.raw
        return secp256k1_ecdsa_verify(Secp256k1Context.shared.raw, &sig, digest, &key) == 1
    }

    /// This point plus tweak*G, as BIP-32 public derivation needs; throws if the tweak is >= n or the sum is infinity.
    public func adding(tweak: [UInt8]) throws(CryptoError) -> PublicKey {
        guard tweak.count == 32 else { throw .invalidLength(what: "A tweak", expected: "32", actual: tweak.count) }
        var key = raw
        guard secp256k1_ec_pubkey_tweak_add(Secp256k1Context.shared.raw, &key, tweak) == 1 else {
            throw .invalidPublicKey("tweak out of range or result at infinity")
        }
        return PublicKey(raw: key)
    }

    /// The key that made `signature` over `digest`. Recovery alone proves nothing: compare the result with the
    /// expected key or address.
    public static func recover(from signature: RecoverableSignature, digest: [UInt8]) throws(CryptoError) -> PublicKey {
        try checkDigest(digest)
        var key = secp256k1_pubkey()
        var sig = signature.raw
        guard secp256k1_ecdsa_recover(Secp256k1Context.shared.raw, &key, &sig, digest) == 1 else { throw .recoveryFailed }
        return PublicKey(raw: key)
    }

    public static func == (lhs: PublicKey, rhs: PublicKey) -> Bool {
        var a = lhs.raw
        var b = rhs.raw
        return secp256k1_ec_pubkey_cmp(Secp256k1Context.shared.raw, &a, &b) == 0
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(compressed) }

    public var description: String { Hex.encodePrefixed(compressed) }
}

/// An ECDSA signature (r, s), each in 1..n-1.
public struct ECDSASignature: Sendable, Equatable {
    var raw: secp256k1_ecdsa_signature

    init(raw: secp256k1_ecdsa_signature) { self.raw = raw }

    /// Parses the 64-byte r || s form. r or s >= n is refused (never reduced); zero parses but never verifies.
    public init(compact bytes: [UInt8]) throws(CryptoError) {
        guard bytes.count == 64 else { throw .invalidLength(what: "A compact signature", expected: "64", actual: bytes.count) }
        var raw = secp256k1_ecdsa_signature()
        guard secp256k1_ecdsa_signature_parse_compact(Secp256k1Context.shared.raw, &raw, bytes) == 1 else {
            throw .invalidSignature("r or s is not below the curve order")
        }
        self.raw = raw
    }

    /// Parses a strict DER signature.
    public init(der bytes: [UInt8]) throws(CryptoError) {
        var raw = secp256k1_ecdsa_signature()
        guard secp256k1_ecdsa_signature_parse_der(Secp256k1Context.shared.raw, &raw, bytes, bytes.count) == 1 else {
            throw .invalidSignature("malformed DER")
        }
        self.raw = raw
    }

    /// r || s, 64 bytes.
    public var compact: [UInt8] {
        var sig = raw
        return [UInt8](unsafeUninitializedCapacity: 64) { out, count in
            _ = secp256k1_ecdsa_signature_serialize_compact(Secp256k1Context.shared.raw, out.baseAddress!, &sig)
            count = 64
        }
    }

    /// The DER encoding (as in Bitcoin transactions), at most 72 bytes.
    public var der: [UInt8] {
        var sig = raw
        return [UInt8](unsafeUninitializedCapacity: 72) { out, count in
            var length = 72
            _ = secp256k1_ecdsa_signature_serialize_der(Secp256k1Context.shared.raw, out.baseAddress!, &length, &sig)
            count = length
        }
    }

    public var r: [UInt8] { Array(compact[0..<32]) }
    public var s: [UInt8] { Array(compact[32..<64]) }

    /// True when s <= n/2 (BIP-146 LOW_S, EIP-2).
    public var isLowS: Bool {
        var sig = raw
        return secp256k1_ecdsa_signature_normalize(Secp256k1Context.shared.raw, nil, &sig) == 0
    }

    public static func == (lhs: ECDSASignature, rhs: ECDSASignature) -> Bool { lhs.compact == rhs.compact }
}

/// An ECDSA signature with the recovery id (0...3) that names which of the candidate keys signed.
public struct RecoverableSignature: Sendable, Equatable {
    var raw: secp256k1_ecdsa_recoverable_signature

    init(raw: secp256k1_ecdsa_recoverable_signature) { self.raw = raw }

    /// Parses r || s plus a recovery id 0...3.
    public init(compact bytes: [UInt8], recoveryID: Int) throws(CryptoError) {
        guard bytes.count == 64 else { throw .invalidLength(what: "A compact signature", expected: "64", actual: bytes.count) }
        guard (0...3).contains(recoveryID) else { throw .invalidRecoveryID(recoveryID) }
        var raw = secp256k1_ecdsa_recoverable_signature()
        guard secp256k1_ecdsa_recoverable_signature_parse_compact(Secp256k1Context.shared.raw, &raw, bytes, Int32(recoveryID)) == 1 else {
            throw .invalidSignature("r or s is not below the curve order")
        }
        self.raw = raw
    }

    /// r || s (64 bytes) and the recovery id.
    public var compactAndRecoveryID: (compact: [UInt8], recoveryID: Int) {
        var sig = raw
        var recid: Int32 = 0
        let compact = [UInt8](unsafeUninitializedCapacity: 64) { out, count in
            _ = secp256k1_ecdsa_recoverable_signature_serialize_compact(Secp256k1Context.shared.raw, out.baseAddress!, &recid, &sig)
            count = 64
        }
        return (compact, Int(recid))
    }

    public var compact: [UInt8] { compactAndRecoveryID.compact }
    public var recoveryID: Int { compactAndRecoveryID.recoveryID }

    /// The plain signature, for verification against a known key.
    public var signature: ECDSASignature {
        var sig = raw
        var plain = secp256k1_ecdsa_signature()
        _ = secp256k1_ecdsa_recoverable_signature_convert(Secp256k1Context.shared.raw, &plain, &sig)
        return ECDSASignature(raw: plain)
    }

    public static func == (lhs: RecoverableSignature, rhs: RecoverableSignature) -> Bool {
        lhs.compactAndRecoveryID == rhs.compactAndRecoveryID
    }
}
