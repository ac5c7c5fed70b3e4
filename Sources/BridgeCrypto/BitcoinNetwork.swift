/// The Bitcoin networks WalletBridge serves, with the prefixes that make their addresses and keys distinct.
///
/// Values from bitcoin/bitcoin src/kernel/chainparams.cpp (`base58Prefixes`, `bech32_hrp`) and bitcoin/bips
/// bip-0032.mediawiki, "Serialization format".
public enum BitcoinNetwork: String, Sendable, CaseIterable {
    /// Bitcoin mainnet.
    case main
    /// Bitcoin testnet (testnet3/testnet4 and signet share these prefixes).
    case test

    /// Version byte of P2PKH addresses: "1..." on mainnet, "m..."/"n..." on testnet.
    public var p2pkhVersion: UInt8 {
        switch self {
        case .main: 0x00
        case .test: 0x6f
        }
    }

    /// Version byte of P2SH addresses: "3..." on mainnet, "2..." on testnet.
    public var p2shVersion: UInt8 {
        switch self {
        case .main: 0x05
        case .test: 0xc4
        }
    }

    /// Human-readable part of segwit addresses (bitcoin/bips bip-0173.mediawiki, "Segwit address format").
    public var bech32HRP: String {
        switch self {
        case .main: "bc"
        case .test: "tb"
        }
    }

    /// BIP-32 version of extended public keys: xpub (0x0488B21E) or tpub (0x043587CF).
    public var xpubVersion: UInt32 {
        switch self {
        case .main: 0x0488_B21E
        case .test: 0x0435_87CF
        }
    }

    /// BIP-32 version of extended private keys: xprv (0x0488ADE4) or tprv (0x04358394).
    public var xprvVersion: UInt32 {
        switch self {
        case .main: 0x0488_ADE4
        case .test: 0x0435_8394
        }
    }

    /// The extended public key version that also names the script type, as wallets such as Trezor Suite and Electrum
    /// print it: xpub/tpub for P2PKH, ypub/upub for P2SH-P2WPKH, zpub/vpub for P2WPKH
    /// (satoshilabs/slips slip-0132.md, "Registered HD version bytes").
    public func extendedPublicKeyVersion(for script: BitcoinScriptType) -> UInt32 {
        switch (self, script) {
        case (_, .p2pkh): xpubVersion
        case (.main, .p2shP2wpkh): 0x049D_7CB2  // ypub
        case (.main, .p2wpkh): 0x04B2_4746  // zpub
        case (.test, .p2shP2wpkh): 0x044A_5262  // upub
        case (.test, .p2wpkh): 0x045F_1CF6  // vpub
        }
    }

    /// The extended private key version matching `extendedPublicKeyVersion(for:)`: xprv/tprv, yprv/uprv, zprv/vprv
    /// (satoshilabs/slips slip-0132.md, "Registered HD version bytes").
    public func extendedPrivateKeyVersion(for script: BitcoinScriptType) -> UInt32 {
        switch (self, script) {
        case (_, .p2pkh): xprvVersion
        case (.main, .p2shP2wpkh): 0x049D_7878  // yprv
        case (.main, .p2wpkh): 0x04B2_430C  // zprv
        case (.test, .p2shP2wpkh): 0x044A_4E28  // uprv
        case (.test, .p2wpkh): 0x045F_18BC  // vprv
        }
    }
}
