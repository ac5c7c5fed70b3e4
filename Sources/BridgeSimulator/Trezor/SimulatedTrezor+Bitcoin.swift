import BridgeCore
import BridgeCrypto
import BridgeDevices

/// Bitcoin and Testnet: GetPublicKey, GetAddress (P2PKH, P2SH-P2WPKH, P2WPKH, P2TR), SignMessage and VerifyMessage
/// (BIP-137) (trezor/trezor-firmware legacy/firmware/fsm_msg_coin.h; core/src/apps/bitcoin/*.py). Other coins are
/// refused with Failure(DataError, "Invalid coin name"); multisig addresses are in SimulatedTrezor+Multisig.swift.
extension SimulatedTrezor {
    /// GetPublicKey -> PublicKey: node, xpub with the script type's SLIP-132 magic unless ignore_xpub_magic, the
    /// root fingerprint (of the master key, via m/0') and the output descriptor.
    func getPublicKey(_ message: TrezorProto.GetPublicKey, _ state: inout State) throws(Refusal) -> Step {
        try withKeys(&state) { [self] state, master throws(Refusal) in
            let network = try Self.network(message.coinName)
            if let curve = message.ecdsaCurveName, curve != "secp256k1" {
                throw Refusal(code: .dataError, message: "Unsupported curve \(curve)")
            }
            let key = try derive(master, message.addressN)
            let scriptType = message.scriptType ?? .spendAddress
            let ignoreMagic = message.ignoreXpubMagic == true
            // get_public_key.py / fsm_msgGetPublicKey: taproot and multisig use the plain xpub magic.
            let version: UInt32
            switch scriptType {
            case .spendAddress, .spendMultisig, .spendTaproot: version = network.xpubVersion
            case .spendP2SHWitness: version = ignoreMagic ? network.xpubVersion : network.extendedPublicKeyVersion(for: .p2shP2wpkh)
            case .spendWitness: version = ignoreMagic ? network.xpubVersion : network.extendedPublicKeyVersion(for: .p2wpkh)
            case .external: throw Refusal(code: .dataError, message: "Invalid combination of coin and script_type")
            }
            guard let xpub = key.neutered.serialized(version: version) else {
                throw Refusal(code: .processError, message: "Failed to derive public key")
            }
            let reply = TrezorWireMessage(TrezorProto.PublicKey(
                node: node(of: key), xpub: xpub, rootFingerprint: master.fingerprint,
                descriptor: Self.descriptor(scriptType: scriptType, xpub: key.xpub(network: network),
                                            rootFingerprint: master.fingerprint, path: message.addressN)))
            guard message.showDisplay == true else { return .reply(reply) }
            // The Trezor One shows the xpub on two pages, core on one "show_xpub" screen; both ButtonRequest PublicKey.
            let page = screen(.publicKey, "show_xpub", title: "Public key", lines: [xpub])
            let screens = isCore ? [page] : [page, page]
            return try confirm(screens, &state) { _ throws(Refusal) in .reply(reply) }
        }
    }

    /// GetAddress -> Address; an Address screen only with show_display.
    func getAddress(_ message: TrezorProto.GetAddress, _ state: inout State) throws(Refusal) -> Step {
        try withKeys(&state) { [self] state, master throws(Refusal) in
            let network = try Self.network(message.coinName)
            let key = try derive(master, message.addressN)
            let scriptType = message.scriptType ?? .spendAddress
            let address = if let multisig = message.multisig {
                try Self.multisigAddress(multisig, ownKey: key.publicKey, scriptType: scriptType, network: network)
            } else {
                try Self.address(of: key.publicKey, scriptType: scriptType, network: network)
            }
            let reply = TrezorWireMessage(TrezorProto.Address(address: address))
            guard message.showDisplay == true else { return .reply(reply) }
            return confirm(addressScreen(address)) { _ throws(Refusal) in .reply(reply) }
        }
    }

    /// SignMessage -> MessageSignature: 65 bytes, header 27 + 4 + recid, +4 for P2SH-P2WPKH and +8 for P2WPKH unless
    /// no_script_type (core/src/apps/bitcoin/sign_message.py), after the address screen and the message pages.
    func signMessage(_ message: TrezorProto.SignMessage, _ state: inout State) throws(Refusal) -> Step {
        try withKeys(&state) { [self] state, master throws(Refusal) in
            let network = try Self.network(message.coinName)
            let scriptType = message.scriptType ?? .spendAddress
            let headerScript: BitcoinScriptType
            switch scriptType {
            case .spendAddress: headerScript = .p2pkh
            case .spendP2SHWitness: headerScript = .p2shP2wpkh
            case .spendWitness: headerScript = .p2wpkh
            default: throw Refusal(code: .dataError, message: "Unsupported script type for message signing")
            }
            let key = try derive(master, message.addressN)
            let address = try Self.address(of: key.publicKey, scriptType: scriptType, network: network)
            let signingKey = try privateKey(key)
            return try confirm(signScreens(for: message.message, address: address), &state) { _ throws(Refusal) in
                let signature: [UInt8]
                do {
                    // no_script_type: the compressed-P2PKH header for every address type, as older signers wrote it.
                    signature = try BitcoinMessage.sign(
                        message.message, with: signingKey, script: message.noScriptType == true ? .p2pkh : headerScript)
                } catch {
                    throw Refusal(code: .processError, message: "Error signing message")
                }
                return .reply(TrezorWireMessage(TrezorProto.MessageSignature(address: address, signature: signature)))
            }
        }
    }

    /// VerifyMessage -> Success("Message verified") after the address, message and "signature is valid" screens
    /// (fsm_msgVerifyMessage; no PIN on the Trezor One, core unlocks first).
    func verifyMessage(_ message: TrezorProto.VerifyMessage, _ state: inout State) throws(Refusal) -> Step {
        let verify: Continuation = { [self] state throws(Refusal) in
            let network = try Self.network(message.coinName)
            guard message.signature.count == 65 else {
                throw Refusal(code: isCore ? .dataError : .processError, message: "Invalid signature")
            }
            guard Self.isAddress(message.address, on: network) else {
                throw Refusal(code: .dataError, message: "Invalid address")
            }
            guard BitcoinMessage.verify(signature: message.signature, message: message.message, address: message.address,
                                        network: network)
            else { throw Refusal(code: isCore ? .dataError : .processError, message: "Invalid signature") }
            return try confirm(verifyScreens(for: message.message, address: message.address), &state) { _ throws(Refusal) in
                .reply(TrezorWireMessage(TrezorProto.Success(message: "Message verified")))
            }
        }
        return isCore ? try unlocked(&state, then: verify) : try verify(&state)
    }

    // MARK: - Coins and addresses

    /// The coins simulated (trezor-firmware common/defs/bitcoin/bitcoin.json and bitcoin_testnet.json `coin_name`);
    /// the default is "Bitcoin".
    static func network(_ coinName: String?) throws(Refusal) -> BitcoinNetwork {
        switch coinName ?? "Bitcoin" {
        case "Bitcoin": return .main
        case "Testnet": return .test
        default: throw Refusal(code: .dataError, message: "Invalid coin name")
        }
    }

    /// The single-key address of `publicKey` for `scriptType`.
    static func address(of publicKey: PublicKey, scriptType: TrezorProto.InputScriptType, network: BitcoinNetwork)
        throws(Refusal) -> String
    {
        switch scriptType {
        case .spendAddress: return BitcoinAddress.address(for: publicKey, script: .p2pkh, network: network)
        case .spendP2SHWitness: return BitcoinAddress.address(for: publicKey, script: .p2shP2wpkh, network: network)
        case .spendWitness: return BitcoinAddress.address(for: publicKey, script: .p2wpkh, network: network)
        case .spendTaproot: return try taprootAddress(of: publicKey, network: network)
        case .spendMultisig, .external: throw Refusal(code: .dataError, message: "Can't encode address")
        }
    }

    /// BIP-86 key-path-only P2TR: output key Q = P + int(t)G with t = tagged_hash("TapTweak", x(P)) and P the even-Y
    /// lift of the internal key (bitcoin/bips bip-0341.mediawiki `taproot_tweak_pubkey`, bip-0086.mediawiki); the
    /// address is bech32m witness v1 over x(Q) (bip-0350).
    static func taprootAddress(of publicKey: PublicKey, network: BitcoinNetwork) throws(Refusal) -> String {
        let x = Array(publicKey.compressed.dropFirst())
        let tag = Hash.sha256(Array("TapTweak".utf8))
        let tweak = Hash.sha256(tag + tag + x)
        do {
            let even = try PublicKey(serialized: [0x02] + x)
            let output = try even.adding(tweak: tweak)
            return try SegwitAddress(hrp: network.bech32HRP, witnessVersion: 1, program: Array(output.compressed.dropFirst())).string
        } catch {
            throw Refusal(code: .dataError, message: "Can't encode address")
        }
    }

    /// True when `address` decodes as an address of `network` (Base58Check P2PKH/P2SH or a segwit address).
    static func isAddress(_ address: String, on network: BitcoinNetwork) -> Bool {
        if let payload = try? Base58.decodeCheck(address), payload.count == 21,
           payload[0] == network.p2pkhVersion || payload[0] == network.p2shVersion
        {
            return true
        }
        return (try? SegwitAddress(decoding: address, expectedHRP: network.bech32HRP)) != nil
    }
}
