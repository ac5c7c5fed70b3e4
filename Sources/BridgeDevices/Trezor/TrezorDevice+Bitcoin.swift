import BridgeCore
import BridgeCrypto

// Bitcoin on a Trezor: messages as trezorlib sends them (trezor/trezor-firmware python/src/trezorlib/btc.py
// `get_public_node`, `get_address`, `sign_message`: show_display, ignore_xpub_magic and chunkify written explicitly,
// as the recorded transcripts show), every answer checked against the device's own keys.

extension TrezorDevice {
    public func extendedPublicKey(path: DerivationPath, network: BitcoinNetwork, _ options: OperationOptions)
        async throws(DeviceError) -> ExtendedPublicKeyResult
    {
        try await perform(options) { operation throws(DeviceError) in
            var operation = operation
            try operation.openSession()
            let reply = try operation.call(Self.getPublicKeyRequest(path: path, network: network, script: .p2pkh),
                                           expecting: TrezorProto.PublicKey.self)
            let key = try Self.extendedKey(of: reply.node)
            let xpub = key.xpub(network: network)
            // SPENDADDRESS on Bitcoin/Testnet is serialized with the plain xpub/tpub version: it must be the same key.
            guard reply.xpub == xpub else {
                throw .protocolError("the Trezor's xpub \(reply.xpub) does not match its node (\(xpub))")
            }
            guard let fingerprint = operation.rootFingerprint else {
                throw .protocolError("the Trezor session has no master fingerprint")
            }
            return ExtendedPublicKeyResult(xpub: xpub, publicKey: key.publicKey, chainCode: key.chainCode, masterFingerprint: fingerprint)
        }
    }

    /// GetPublicKey as trezorlib's `btc.get_public_node` sends it (show_display, script_type, ignore_xpub_magic explicit).
    public static func getPublicKeyRequest(path: DerivationPath, network: BitcoinNetwork, script: BitcoinScriptType)
        -> TrezorProto.GetPublicKey
    {
        TrezorProto.GetPublicKey(addressN: path.indexes, showDisplay: false, coinName: coinName(network),
                                 scriptType: inputScriptType(script), ignoreXpubMagic: false)
    }

    /// GetAddress as trezorlib's `btc.get_address` sends it.
    public static func getAddressRequest(_ request: AddressRequest) -> TrezorProto.GetAddress {
        TrezorProto.GetAddress(addressN: request.path.indexes, coinName: coinName(request.network), showDisplay: request.display,
                               scriptType: inputScriptType(request.effectiveScript), ignoreXpubMagic: false, chunkify: false)
    }

    /// SignMessage as trezorlib's `btc.sign_message` sends it (the message bytes unchanged).
    public static func signMessageRequest(_ request: MessageSigningRequest) -> TrezorProto.SignMessage {
        TrezorProto.SignMessage(addressN: request.path.indexes, message: request.message, coinName: coinName(request.network),
                                scriptType: inputScriptType(request.effectiveScript), noScriptType: false, chunkify: false)
    }

    /// trezor-common coin names: "Bitcoin" and "Testnet".
    static func coinName(_ network: BitcoinNetwork) -> String {
        switch network {
        case .main: "Bitcoin"
        case .test: "Testnet"
        }
    }

    static func inputScriptType(_ script: BitcoinScriptType) -> TrezorProto.InputScriptType {
        switch script {
        case .p2pkh: .spendAddress
        case .p2shP2wpkh: .spendP2SHWitness
        case .p2wpkh: .spendWitness
        }
    }

    static func extendedKey(of node: TrezorProto.HDNodeType) throws(DeviceError) -> ExtendedKey {
        guard let depth = UInt8(exactly: node.depth) else { throw .protocolError("the Trezor returned a node at depth \(node.depth)") }
        do {
            return try ExtendedKey(publicKey: try PublicKey(serialized: node.publicKey), chainCode: node.chainCode, depth: depth,
                                   parentFingerprint: node.fingerprint, childNumber: node.childNum)
        } catch {
            throw .protocolError("the Trezor returned an unusable node: \(error.message)")
        }
    }
}

extension TrezorDevice.Operation {
    /// GetAddress (the address the device shows), then GetPublicKey on the same path for the key, whose address for
    /// the script type must be the same.
    func bitcoinAddress(_ request: AddressRequest) throws(DeviceError) -> AddressResult {
        let script = request.effectiveScript
        if request.display { context.progress("Compare the address, then confirm on your Trezor...") }
        let address = try call(TrezorDevice.getAddressRequest(request), expecting: TrezorProto.Address.self).address
        let node = try call(TrezorDevice.getPublicKeyRequest(path: request.path, network: request.network, script: script),
                            expecting: TrezorProto.PublicKey.self).node
        let publicKey = try Self.publicKey(of: node)
        let expected = BitcoinAddress.address(for: publicKey, script: script, network: request.network)
        guard address == expected else {
            throw .protocolError("the Trezor showed \(address) but its public key at \(request.path) derives \(expected)")
        }
        return AddressResult(address: address, path: request.path, publicKey: publicKey, chainCode: node.chainCode)
    }

    /// SignMessage (BIP-137), checked to recover to the address the device reports.
    func bitcoinSignMessage(_ request: MessageSigningRequest) throws(DeviceError) -> MessageSignatureResult {
        let script = request.effectiveScript
        let reply = try call(TrezorDevice.signMessageRequest(request), expecting: TrezorProto.MessageSignature.self)
        let recovered: PublicKey
        do {
            recovered = try BitcoinMessage.recoverPublicKey(signature: reply.signature, message: request.message).publicKey
        } catch {
            throw .protocolError("the Trezor's message signature does not recover: \(error.message)")
        }
        let signer = BitcoinAddress.address(for: recovered, script: script, network: request.network)
        guard signer == reply.address else {
            throw .protocolError("the Trezor's signature recovers to \(signer), not to the address it reported (\(reply.address))")
        }
        return .bitcoin(signature: reply.signature, address: reply.address)
    }
}
