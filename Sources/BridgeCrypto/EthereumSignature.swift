import BridgeCore

/// An Ethereum ECDSA signature: r, s and the recovery id that `v` encodes.
///
/// Only low-S signatures are accepted (EIP-2), so a signature has exactly one valid form.
public struct EthereumSignature: Sendable, Equatable {
    /// The 32-byte r value.
    public let r: [UInt8]
    /// The 32-byte s value, at most n/2.
    public let s: [UInt8]
    /// Which of the two candidate public keys signed: 0 or 1.
    public let recoveryID: Int

    /// The `v` byte as `personal_sign` and `eth_signTypedData` print it: 27 + recovery id.
    // ethereum/EIPs EIPS/eip-191.md and the Yellow Paper, Appendix F (v = 27 + recovery id for non-EIP-155 use).
    public var v: UInt8 { UInt8(27 + recoveryID) }

    /// A signature from r, s and `v`; `v` may be 27/28 or the bare recovery id 0/1 that some wallets send.
    public init(r: [UInt8], s: [UInt8], v: some BinaryInteger) throws(CryptoError) {
        let recoveryID: Int
        switch v {
        case 0, 27: recoveryID = 0
        case 1, 28: recoveryID = 1
        default: throw .invalidSignature("v is \(v); it must be 27 or 28 (or the recovery id 0 or 1)")
        }
        guard r.count == 32 else { throw .invalidLength(what: "Signature r", expected: "32", actual: r.count) }
        guard s.count == 32 else { throw .invalidLength(what: "Signature s", expected: "32", actual: s.count) }
        guard r.contains(where: { $0 != 0 }) else { throw .invalidSignature("r is zero") }
        guard s.contains(where: { $0 != 0 }) else { throw .invalidSignature("s is zero") }
        let parsed = try ECDSASignature(compact: r + s)
        // ethereum/EIPs EIPS/eip-2.md: s above secp256k1n/2 is invalid, which removes the malleable twin (r, n - s).
        guard parsed.isLowS else {
            throw .invalidSignature("s is above n/2 (high-S), which EIP-2 forbids; use the low-S form n - s with the other v")
        }
        self.r = r
        self.s = s
        self.recoveryID = recoveryID
    }

    /// A signature from its 65-byte r || s || v form.
    public init(bytes: [UInt8]) throws(CryptoError) {
        guard bytes.count == 65 else {
            throw .invalidLength(what: "An Ethereum signature (r || s || v)", expected: "65", actual: bytes.count)
        }
        try self.init(r: Array(bytes[0..<32]), s: Array(bytes[32..<64]), v: bytes[64])
    }

    /// A signature from 130 hex digits (r || s || v), with or without `0x`.
    public init(hex: String) throws(CryptoError) {
        guard let bytes = Hex.decode(hex) else {
            throw .invalidEncoding("the signature \(EthereumAddress.quoted(hex)) is not an even number of hex digits")
        }
        try self.init(bytes: bytes)
    }

    private init(validated compact: [UInt8], recoveryID: Int) {
        self.r = Array(compact[0..<32])
        self.s = Array(compact[32..<64])
        self.recoveryID = recoveryID
    }

    /// r || s || v, 65 bytes, with v as 27/28.
    public var bytes: [UInt8] { r + s + [v] }

    /// The 65 bytes as `0x`-prefixed lowercase hex, as wallets print signatures.
    public var hex: String { Hex.encodePrefixed(bytes) }

    /// Signs a 32-byte digest: RFC 6979 nonce, low-S, as eth-account and hardware wallets do.
    public static func sign(digest: [UInt8], with key: PrivateKey) throws(CryptoError) -> EthereumSignature {
        let (compact, recoveryID) = try key.signRecoverable(digest: digest).compactAndRecoveryID
        // Ids 2 and 3 mean r overflowed the curve order (probability about 2^-127); Ethereum's v cannot say that.
        guard recoveryID < 2 else {
            throw .invalidSignature("recovery id \(recoveryID) cannot be expressed as Ethereum v 27/28")
        }
        return EthereumSignature(validated: compact, recoveryID: recoveryID)
    }

    /// The public key that made this signature over `digest`. Recovery always yields some key: compare it with the
    /// expected one.
    public func recoverPublicKey(digest: [UInt8]) throws(CryptoError) -> PublicKey {
        let recoverable = try RecoverableSignature(compact: r + s, recoveryID: recoveryID)
        return try PublicKey.recover(from: recoverable, digest: digest)
    }

    /// The address that made this signature over `digest`.
    public func recoverSigner(digest: [UInt8]) throws(CryptoError) -> EthereumAddress {
        EthereumAddress(publicKey: try recoverPublicKey(digest: digest))
    }
}
