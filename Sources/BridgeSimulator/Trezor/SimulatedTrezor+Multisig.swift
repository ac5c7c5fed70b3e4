import BridgeCore
import BridgeCrypto
import BridgeDevices

/// Multisig addresses for GetAddress: bare P2SH (SPENDMULTISIG, or SPENDADDRESS with multisig), P2SH-P2WSH
/// (SPENDP2SHWITNESS) and P2WSH (SPENDWITNESS), over the cosigners' keys derived from the nodes the host sends
/// (trezor/trezor-firmware core/src/apps/bitcoin/addresses.py `get_address`, multisig.py; legacy/firmware/crypto.c
/// `cryptoMultisigPubkey`). The device's own key must be one of them.
extension SimulatedTrezor {
    /// The multisig address for `scriptType` with `ownKey` among the cosigners.
    static func multisigAddress(
        _ multisig: TrezorProto.MultisigRedeemScriptType, ownKey: PublicKey, scriptType: TrezorProto.InputScriptType,
        network: BitcoinNetwork
    ) throws(Refusal) -> String {
        let pubkeys = try multisigPublicKeys(multisig)
        guard pubkeys.contains(ownKey.compressed) else {
            throw Refusal(code: .dataError, message: "Pubkey not found in multisig script")
        }
        let script = try redeemScript(pubkeys, m: multisig.m)
        switch scriptType {
        case .spendAddress, .spendMultisig:
            return Base58.encodeCheck([network.p2shVersion] + Hash.hash160(script))
        case .spendP2SHWitness:
            // The P2WSH program (OP_0 PUSH32 sha256(script)) as the redeem script of a P2SH address.
            return Base58.encodeCheck([network.p2shVersion] + Hash.hash160([0x00, 0x20] + Hash.sha256(script)))
        case .spendWitness:
            do {
                return try SegwitAddress(hrp: network.bech32HRP, witnessVersion: 0, program: Hash.sha256(script)).string
            } catch {
                throw Refusal(code: .dataError, message: "Can't encode address")
            }
        case .spendTaproot:
            throw Refusal(code: .processError, message: "Multisig not supported for taproot")
        case .external:
            throw Refusal(code: .processError, message: "Invalid script type")
        }
    }

    /// The cosigners' compressed keys: each node (`pubkeys`, or `nodes` with the shared `address_n`) derived along its
    /// non-hardened path, sorted when `pubkeys_order` is LEXICOGRAPHIC (multisig.py `multisig_get_pubkeys`).
    static func multisigPublicKeys(_ multisig: TrezorProto.MultisigRedeemScriptType) throws(Refusal) -> [[UInt8]] {
        let paths: [(TrezorProto.HDNodeType, [UInt32])] = multisig.nodes.isEmpty
            ? multisig.pubkeys.map { ($0.node, $0.addressN) }
            : multisig.nodes.map { ($0, multisig.addressN) }
        guard !paths.isEmpty, multisig.nodes.isEmpty || multisig.pubkeys.isEmpty else {
            throw Refusal(code: .dataError, message: "Invalid multisig parameters")
        }
        var keys: [[UInt8]] = []
        for (node, path) in paths {
            guard path.allSatisfy({ $0 < 0x8000_0000 }) else {
                throw Refusal(code: .dataError, message: "Cannot perform hardened derivation from XPUB")
            }
            do {
                var key = try ExtendedKey(publicKey: PublicKey(serialized: node.publicKey), chainCode: node.chainCode)
                for index in path { key = try key.derivedChild(index) }
                keys.append(key.publicKey.compressed)
            } catch {
                throw Refusal(code: .dataError, message: "Invalid multisig pubkey")
            }
        }
        return multisig.pubkeysOrder == .lexicographic ? keys.sorted { $0.lexicographicallyPrecedes($1) } : keys
    }

    /// `OP_m <pubkey>... OP_n OP_CHECKMULTISIG` (scripts.py `write_output_script_multisig`: 1 <= m <= n <= 15).
    static func redeemScript(_ pubkeys: [[UInt8]], m: UInt32) throws(Refusal) -> [UInt8] {
        let n = pubkeys.count
        guard (1...15).contains(n), m >= 1, m <= n else {
            throw Refusal(code: .dataError, message: "Invalid multisig parameters")
        }
        // OP_1...OP_16 are 0x51...0x60; each key is pushed with its length byte (33).
        var script: [UInt8] = [0x50 + UInt8(m)]
        for key in pubkeys { script += [UInt8(key.count)] + key }
        script += [0x50 + UInt8(n), 0xAE]
        return script
    }
}
