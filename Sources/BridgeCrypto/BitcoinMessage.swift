/// "Bitcoin Signed Message" signatures (bitcoin/bips bip-0137.mediawiki): a recoverable ECDSA signature over
/// SHA-256d of a prefixed message, with a header byte that names the recovery id and the address type.
///
/// Signatures are raw 65 bytes here; Base64 (how wallets display them) is the caller's job.
public enum BitcoinMessage {
    /// "\x18Bitcoin Signed Message:\n": the magic text with its own length byte (24) in front
    /// (bitcoin/bitcoin src/common/signmessage.cpp `MESSAGE_MAGIC`, serialized as a string).
    static let magic: [UInt8] = [0x18] + Array("Bitcoin Signed Message:\n".utf8)

    /// The first header byte of each kind; the recovery id (0...3) is added (bitcoin/bips bip-0137.mediawiki,
    /// "Procedure for signing/verifying a signature").
    static let uncompressedP2PKHHeader: UInt8 = 27
    static func headerBase(for script: BitcoinScriptType) -> UInt8 {
        switch script {
        case .p2pkh: 31
        case .p2shP2wpkh: 35
        case .p2wpkh: 39
        }
    }

    /// magic || compact-size length || message: what is hashed.
    public static func preimage(_ message: [UInt8]) -> [UInt8] {
        var bytes = magic
        bytes.reserveCapacity(magic.count + 9 + message.count)
        appendCompactSize(UInt64(message.count), to: &bytes)
        bytes.append(contentsOf: message)
        return bytes
    }

    /// SHA-256d of `preimage(message)`: the digest that is signed.
    public static func digest(_ message: [UInt8]) -> [UInt8] {
        Hash.doubleSHA256(preimage(message))
    }

    /// The 65-byte signature header || r || s, header = 31/35/39 + recovery id for compressed P2PKH / P2SH-P2WPKH /
    /// P2WPKH. Deterministic (RFC 6979, low-S), so it matches other libsecp256k1-based signers byte for byte.
    public static func sign(_ message: [UInt8], with key: PrivateKey, script: BitcoinScriptType) throws(CryptoError) -> [UInt8] {
        let signature = try key.signRecoverable(digest: digest(message))
        let (compact, recoveryID) = signature.compactAndRecoveryID
        return [headerBase(for: script) + UInt8(recoveryID)] + compact
    }

    /// The key that signed `message`, with what the header says about it: `script` is nil for headers 27...30
    /// (an uncompressed key's P2PKH address, which no `BitcoinScriptType` case describes), and `compressed` is false
    /// only for those.
    public static func recoverPublicKey(signature: [UInt8], message: [UInt8])
        throws(CryptoError) -> (publicKey: PublicKey, script: BitcoinScriptType?, compressed: Bool)
    {
        guard signature.count == 65 else {
            throw .invalidLength(what: "A Bitcoin message signature", expected: "65", actual: signature.count)
        }
        let header = signature[0]
        let script: BitcoinScriptType?
        switch header {
        case 27...30: script = nil
        case 31...34: script = .p2pkh
        case 35...38: script = .p2shP2wpkh
        case 39...42: script = .p2wpkh
        default:
            throw .invalidSignature("Bitcoin message header byte is \(header); BIP-137 defines 27...42")
        }
        let recoveryID = Int((header - uncompressedP2PKHHeader) % 4)
        let recoverable = try RecoverableSignature(compact: Array(signature[1...]), recoveryID: recoveryID)
        let publicKey = try PublicKey.recover(from: recoverable, digest: digest(message))
        return (publicKey, script, script != nil)
    }

    /// True when `signature` over `message` was made by the key behind `address`.
    ///
    /// The address of the recovered key is rebuilt for the type the header names and compared. Like Electrum and
    /// Trezor's `no_script_type` signatures, a compressed-P2PKH header (31...34) is also accepted for the key's
    /// P2SH-P2WPKH and P2WPKH addresses: older signers used that header for every address type.
    public static func verify(signature: [UInt8], message: [UInt8], address: String, network: BitcoinNetwork = .main) -> Bool {
        guard let recovered = try? recoverPublicKey(signature: signature, message: message) else { return false }
        let candidates: [String]
        switch recovered.script {
        case nil:
            candidates = [BitcoinAddress.uncompressedP2PKHAddress(for: recovered.publicKey, network: network)]
        case .p2pkh:
            candidates = BitcoinScriptType.allCases.map {
                BitcoinAddress.address(for: recovered.publicKey, script: $0, network: network)
            }
        case let script?:
            candidates = [BitcoinAddress.address(for: recovered.publicKey, script: script, network: network)]
        }
        // Bech32 addresses are also valid written in all capitals (bitcoin/bips bip-0173.mediawiki, "Bech32").
        return candidates.contains { $0 == address || ($0.hasPrefix(network.bech32HRP + "1") && $0.uppercased() == address) }
    }

    /// Bitcoin's CompactSize length prefix (bitcoin/bitcoin src/serialize.h `WriteCompactSize`): one byte below
    /// 0xFD, else 0xFD/0xFE/0xFF followed by 2/4/8 little-endian bytes.
    static func appendCompactSize(_ value: UInt64, to bytes: inout [UInt8]) {
        let width: Int
        switch value {
        case ..<0xFD:
            bytes.append(UInt8(value))
            return
        case ...0xFFFF:
            bytes.append(0xFD)
            width = 2
        case ...0xFFFF_FFFF:
            bytes.append(0xFE)
            width = 4
        default:
            bytes.append(0xFF)
            width = 8
        }
        for shift in 0..<width { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(shift)))) }
    }
}
