/// The single-key Bitcoin output types WalletBridge derives addresses for and signs messages as.
public enum BitcoinScriptType: String, Sendable, CaseIterable {
    /// Pay to public key hash (legacy "1..." addresses), BIP-44 purpose 44'.
    case p2pkh
    /// Pay to witness public key hash nested in P2SH ("3..." addresses), BIP-49 purpose 49'.
    case p2shP2wpkh = "p2sh-p2wpkh"
    /// Native segwit v0 pay to witness public key hash ("bc1q..." addresses), BIP-84 purpose 84'.
    case p2wpkh

    /// The script type a path's purpose implies: 44 -> p2pkh, 49 -> p2sh-p2wpkh, 84 -> p2wpkh, anything else
    /// (including no purpose) -> p2pkh, as CONTRACT.md specifies for `--coin btc`.
    public init(defaultForPurpose purpose: UInt32?) {
        switch purpose {
        case 49: self = .p2shP2wpkh  // bitcoin/bips bip-0049.mediawiki
        case 84: self = .p2wpkh  // bitcoin/bips bip-0084.mediawiki
        default: self = .p2pkh  // bitcoin/bips bip-0044.mediawiki, and the contract's fallback
        }
    }
}

/// Addresses of a single public key. Keys are always hashed in compressed form, as BIP-49/84 require and as
/// hardware wallets do for P2PKH.
public enum BitcoinAddress {
    /// The address of `publicKey` for `script` on `network`.
    public static func address(for publicKey: PublicKey, script: BitcoinScriptType, network: BitcoinNetwork = .main) -> String {
        let keyHash = Hash.hash160(publicKey.compressed)
        switch script {
        case .p2pkh:
            return Base58.encodeCheck([network.p2pkhVersion] + keyHash)
        case .p2shP2wpkh:
            // The redeem script is the P2WPKH witness program: OP_0 PUSH20 <keyhash> (bitcoin/bips bip-0049.mediawiki).
            let redeemScript = [0x00, 0x14] + keyHash
            return Base58.encodeCheck([network.p2shVersion] + Hash.hash160(redeemScript))
        case .p2wpkh:
            return SegwitAddress(version0Program: keyHash, network: network).string
        }
    }

    /// The P2PKH address of the uncompressed key (65-byte SEC1 form): what pre-2012 wallets used, and what BIP-137
    /// headers 27...30 refer to.
    public static func uncompressedP2PKHAddress(for publicKey: PublicKey, network: BitcoinNetwork = .main) -> String {
        Base58.encodeCheck([network.p2pkhVersion] + Hash.hash160(publicKey.uncompressed))
    }
}
