import BridgeCore
import BridgeCrypto
import BridgeDevices

/// The output descriptor that comes with PublicKey (recorded `bitcoin_get_public_key`:
/// `pkh([5c9e228d/44h/0h/0h]xpub.../<0;1>/*)#m2cjewq5`).
extension SimulatedTrezor {
    /// The account's output descriptor as the firmware returns it with PublicKey: `pkh(...)`, `sh(wpkh(...))`,
    /// `wpkh(...)` or `tr(...)` around `[fingerprint/path with h]xpub/<0;1>/*`, plus the BIP-380 checksum; the xpub
    /// always has the plain magic (core/src/apps/bitcoin/get_public_key.py `_xpub_descriptor`).
    static func descriptor(scriptType: TrezorProto.InputScriptType, xpub: String, rootFingerprint: UInt32, path: [UInt32])
        -> String?
    {
        let wrap: (String) -> String
        switch scriptType {
        case .spendAddress: wrap = { "pkh(\($0))" }
        case .spendP2SHWitness: wrap = { "sh(wpkh(\($0)))" }
        case .spendWitness: wrap = { "wpkh(\($0))" }
        case .spendTaproot: wrap = { "tr(\($0))" }
        case .spendMultisig, .external: return nil
        }
        let fingerprint = Hex.encode((0..<4).map { UInt8(truncatingIfNeeded: rootFingerprint >> (24 - 8 * $0)) })
        let steps = path.map { index in
            index >= DerivationPath.hardenedOffset ? "/\(index - DerivationPath.hardenedOffset)h" : "/\(index)"
        }.joined()
        let body = wrap("[\(fingerprint)\(steps)]\(xpub)/<0;1>/*")
        guard let checksum = DescriptorChecksum.checksum(body) else { return nil }
        return body + "#" + checksum
    }
}

/// The BIP-380 descriptor checksum (bitcoin/bips bip-0380.mediawiki, "Checksum"; Bitcoin Core
/// src/script/descriptor.cpp `DescriptorChecksum`): a BCH code over the descriptor's characters in 5-bit groups.
enum DescriptorChecksum {
    static let inputCharset = Array(
        "0123456789()[],'/*abcdefgh@:$%{}IJKLMNOPQRSTUVWXYZ&+-.;<=>?!^_|~ijklmnopqrstuvwxyzABCDEFGH`#\"\\ ".utf8)
    static let checksumCharset = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)
    static let generator: [UInt64] = [0xf5_dee5_1989, 0xa9_fdca_3312, 0x1b_ab10_e32d, 0x37_06b1_677a, 0x64_4d62_6ffd]

    /// The 8-character checksum, nil when the text has a character outside the descriptor charset.
    static func checksum(_ descriptor: String) -> String? {
        var symbols: [UInt64] = []
        var groups: [UInt64] = []
        for character in descriptor.utf8 {
            guard let position = inputCharset.firstIndex(of: character) else { return nil }
            let value = UInt64(position)
            symbols.append(value & 31)
            groups.append(value >> 5)
            if groups.count == 3 {
                symbols.append(groups[0] * 9 + groups[1] * 3 + groups[2])
                groups = []
            }
        }
        if groups.count == 1 { symbols.append(groups[0]) }
        if groups.count == 2 { symbols.append(groups[0] * 3 + groups[1]) }
        symbols += Array(repeating: 0, count: 8)
        let residue = polymod(symbols) ^ 1
        return String(decoding: (0..<8).map { checksumCharset[Int((residue >> (5 * (7 - UInt64($0)))) & 31)] }, as: UTF8.self)
    }

    private static func polymod(_ symbols: [UInt64]) -> UInt64 {
        var checksum: UInt64 = 1
        for value in symbols {
            let top = checksum >> 35
            checksum = (checksum & 0x7_ffff_ffff) << 5 ^ value
            for bit in 0..<5 where (top >> UInt64(bit)) & 1 == 1 {
                checksum ^= generator[bit]
            }
        }
        return checksum
    }
}
