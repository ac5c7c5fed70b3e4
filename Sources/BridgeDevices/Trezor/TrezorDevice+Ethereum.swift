import BridgeCore
import BridgeCrypto

// Ethereum on a Trezor: messages as trezorlib sends them (trezor/trezor-firmware python/src/trezorlib/ethereum.py:
// `get_authenticated_address`, `get_public_node`, `sign_message`, `sign_typed_data`, `sign_typed_data_hash`), and
// every answer checked against the device's own keys before it is returned.

extension TrezorDevice {
    public func signTypedData(path: DerivationPath, typedData: TypedData, mode: TypedDataSigningMode, _ options: OperationOptions)
        async throws(DeviceError) -> TypedDataSignatureResult
    {
        let hashes = try typedData.deviceHashes()
        let fullFlow: TrezorEIP712?
        switch mode {
        case .full:
            // Known to be a Trezor One already: refuse before anything is sent.
            if descriptor.model == "one" { throw Self.fullTypedDataOnTrezorOne }
            fullFlow = try TrezorEIP712(typedData: typedData)
        case .hashed:
            fullFlow = nil
        }
        return try await perform(options) { operation throws(DeviceError) in
            var operation = operation
            let features = try operation.openSession()
            let signature: TrezorProto.EthereumTypedDataSignature
            if let fullFlow {
                guard !features.isTrezorOne else { throw Self.fullTypedDataOnTrezorOne }
                signature = try operation.signTypedDataFull(path: path, flow: fullFlow)
            } else {
                signature = try operation.signTypedDataHashed(path: path, hashes: hashes, features: features)
            }
            let (ethereumSignature, signer) = try Self.checkedSignature(signature.signature, claimedAddress: signature.address,
                                                                       digest: hashes.digest)
            return TypedDataSignatureResult(signature: ethereumSignature, address: signer, domainHash: hashes.domainHash,
                                            messageHash: hashes.messageHash, digest: hashes.digest)
        }
    }

    /// EthereumGetAddress as trezorlib's `get_authenticated_address` sends it (show_display and chunkify explicit).
    public static func ethereumGetAddressRequest(_ request: AddressRequest) -> TrezorProto.EthereumGetAddress {
        TrezorProto.EthereumGetAddress(addressN: request.path.indexes, showDisplay: request.display, chunkify: false)
    }

    /// EthereumSignMessage as trezorlib's `sign_message` sends it (the message bytes unchanged, chunkify explicit).
    public static func ethereumSignMessageRequest(_ request: MessageSigningRequest) -> TrezorProto.EthereumSignMessage {
        TrezorProto.EthereumSignMessage(addressN: request.path.indexes, message: request.message, chunkify: false)
    }

    /// EthereumSignTypedHash as trezorlib's `sign_typed_data_hash` sends it: message_hash unset for a domain-only
    /// document.
    public static func signTypedHashRequest(path: DerivationPath, hashes: TypedData.Hashes) -> TrezorProto.EthereumSignTypedHash {
        TrezorProto.EthereumSignTypedHash(addressN: path.indexes, domainSeparatorHash: hashes.domainHash, messageHash: hashes.messageHash)
    }

    static let fullTypedDataOnTrezorOne = DeviceError.notSupported(
        "full EIP-712 signing on the Trezor One (its firmware has only EthereumSignTypedHash); use --mode hashed")

    /// Parses r || s || v and checks that it recovers, over `digest`, to the address the device claims.
    static func checkedSignature(_ bytes: [UInt8], claimedAddress: String, digest: [UInt8]) throws(DeviceError)
        -> (EthereumSignature, EthereumAddress)
    {
        let signature: EthereumSignature
        let signer: EthereumAddress
        do {
            signature = try EthereumSignature(bytes: bytes)
            signer = try signature.recoverSigner(digest: digest)
        } catch {
            throw .protocolError("the Trezor's signature is unusable: \(error.message)")
        }
        guard let claimed = try? EthereumAddress(parsing: claimedAddress), claimed == signer else {
            throw .protocolError("the Trezor's signature recovers to \(signer.checksummed), not to the address it reported (\(claimedAddress))")
        }
        return (signature, signer)
    }
}

extension TrezorDevice.Operation {
    /// EthereumGetAddress (the address the device shows), then EthereumGetPublicKey on the same path for the key,
    /// which must derive the same address.
    func ethereumAddress(_ request: AddressRequest) throws(DeviceError) -> AddressResult {
        if request.display { context.progress("Compare the address, then confirm on your Trezor...") }
        let reply = try call(TrezorDevice.ethereumGetAddressRequest(request), expecting: TrezorProto.EthereumAddress.self)
        let address = try Self.ethereumAddress(of: reply)
        let node = try call(TrezorProto.EthereumGetPublicKey(addressN: request.path.indexes, showDisplay: false),
                            expecting: TrezorProto.EthereumPublicKey.self).node
        let publicKey = try Self.publicKey(of: node)
        guard EthereumAddress(publicKey: publicKey) == address else {
            throw .protocolError("the Trezor showed \(address.checksummed) but its public key at \(request.path) derives \(EthereumAddress(publicKey: publicKey).checksummed)")
        }
        return AddressResult(address: address.checksummed, path: request.path, publicKey: publicKey, chainCode: node.chainCode)
    }

    /// EthereumSignMessage (EIP-191 personal_sign), checked to recover to the address the device reports.
    func ethereumSignMessage(_ request: MessageSigningRequest) throws(DeviceError) -> MessageSignatureResult {
        let reply = try call(TrezorDevice.ethereumSignMessageRequest(request), expecting: TrezorProto.EthereumMessageSignature.self)
        let (signature, signer) = try TrezorDevice.checkedSignature(reply.signature, claimedAddress: reply.address,
                                                                    digest: PersonalMessage.hash(request.message))
        return .ethereum(signature: signature, address: signer)
    }

    /// EthereumSignTypedHash (470): domain separator and message hash (unset for a domain-only document). Only the
    /// Trezor One implements it; core firmware answers UnexpectedMessage.
    func signTypedDataHashed(path: DerivationPath, hashes: TypedData.Hashes, features: TrezorProto.Features)
        throws(DeviceError) -> TrezorProto.EthereumTypedDataSignature
    {
        context.progress("Compare the hashes, then confirm on your Trezor...")
        do {
            return try call(TrezorDevice.signTypedHashRequest(path: path, hashes: hashes),
                            expecting: TrezorProto.EthereumTypedDataSignature.self)
        } catch .notSupported {
            throw .notSupported("hashed EIP-712 signing (EthereumSignTypedHash) on the \(features.productName), which has only the full flow; use --mode full")
        }
    }

    /// EthereumSignTypedData (464) and the struct/value request loop (465-468), as trezorlib's `sign_typed_data`.
    func signTypedDataFull(path: DerivationPath, flow: TrezorEIP712) throws(DeviceError) -> TrezorProto.EthereumTypedDataSignature {
        context.progress("Review each field, then confirm on your Trezor...")
        var reply = try call(TrezorWireMessage(flow.request(path: path)))
        while true {
            switch reply.messageType {
            case .ethereumTypedDataStructRequest:
                let ack = try answerOrCancel { () throws(DeviceError) in
                    try flow.structAck(for: try reply.decode(TrezorProto.EthereumTypedDataStructRequest.self))
                }
                reply = try call(TrezorWireMessage(ack))
            case .ethereumTypedDataValueRequest:
                let ack = try answerOrCancel { () throws(DeviceError) in
                    try flow.valueAck(for: try reply.decode(TrezorProto.EthereumTypedDataValueRequest.self))
                }
                reply = try call(TrezorWireMessage(ack))
            case .ethereumTypedDataSignature:
                return try reply.decode(TrezorProto.EthereumTypedDataSignature.self)
            default:
                device.channel.abort()
                throw .protocolError("EthereumSignTypedData was answered with \(reply.typeName)")
            }
        }
    }

    /// Builds the answer to a device request; if that fails the device is still waiting, so it gets a Cancel.
    private func answerOrCancel<Answer>(_ build: () throws(DeviceError) -> Answer) throws(DeviceError) -> Answer {
        do {
            return try build()
        } catch {
            device.channel.abort()
            throw error
        }
    }

    /// EthereumAddress.address (EIP-55 checked), or the raw `_old_address` of firmware before 1.8.0 / 2.1.0.
    static func ethereumAddress(of reply: TrezorProto.EthereumAddress) throws(DeviceError) -> EthereumAddress {
        if let text = reply.address {
            guard EthereumAddress.isValidChecksum(text), let address = try? EthereumAddress(parsing: text) else {
                throw .protocolError("the Trezor returned \"\(text)\", not an EIP-55 checksummed address")
            }
            return address
        }
        if let raw = reply.oldAddress, let address = try? EthereumAddress(bytes: raw) {
            return address
        }
        throw .protocolError("the Trezor's EthereumAddress carries no address")
    }

    static func publicKey(of node: TrezorProto.HDNodeType) throws(DeviceError) -> PublicKey {
        do {
            return try PublicKey(serialized: node.publicKey)
        } catch {
            throw .protocolError("the Trezor returned an unusable public key: \(error.message)")
        }
    }
}
