import BridgeCore
import BridgeCrypto
import BridgeDevices

/// Ethereum: EthereumGetAddress, EthereumGetPublicKey, EthereumSignMessage (EIP-191), EthereumVerifyMessage and the
/// Trezor One's EthereumSignTypedHash (trezor/trezor-firmware legacy/firmware/fsm_msg_ethereum.h;
/// core/src/apps/ethereum/*.py). Path checks (safety checks "Strict") are not simulated: every path is accepted.
extension SimulatedTrezor {
    /// EthereumGetAddress -> EthereumAddress (EIP-55, field 2); an Address screen only with show_display.
    func ethereumGetAddress(_ message: TrezorProto.EthereumGetAddress, _ state: inout State) throws(Refusal) -> Step {
        try withKeys(&state) { [self] state, master throws(Refusal) in
            let key = try derive(master, message.addressN)
            let address = EthereumAddress(publicKey: key.publicKey).checksummed
            let reply = TrezorWireMessage(TrezorProto.EthereumAddress(address: address))
            guard message.showDisplay == true else { return .reply(reply) }
            return confirm(addressScreen(address)) { _ throws(Refusal) in .reply(reply) }
        }
    }

    /// EthereumGetPublicKey -> EthereumPublicKey: the node and its xpub in Bitcoin's mainnet format
    /// (fsm_msgEthereumGetPublicKey "we use Bitcoin-like format for ETH").
    func ethereumGetPublicKey(_ message: TrezorProto.EthereumGetPublicKey, _ state: inout State) throws(Refusal) -> Step {
        try withKeys(&state) { [self] state, master throws(Refusal) in
            let key = try derive(master, message.addressN)
            let xpub = key.xpub(network: .main)
            let reply = TrezorWireMessage(TrezorProto.EthereumPublicKey(node: node(of: key), xpub: xpub))
            guard message.showDisplay == true else { return .reply(reply) }
            let shown = screen(.publicKey, "show_pubkey", title: "Public key", lines: [xpub])
            return confirm(shown) { _ throws(Refusal) in .reply(reply) }
        }
    }

    /// EthereumSignMessage -> EthereumMessageSignature (r || s || v, v = 27/28) over
    /// keccak256("\x19Ethereum Signed Message:\n" + len + message), after the address screen and the message pages.
    func ethereumSignMessage(_ message: TrezorProto.EthereumSignMessage, _ state: inout State) throws(Refusal) -> Step {
        try withKeys(&state) { [self] state, master throws(Refusal) in
            let key = try derive(master, message.addressN)
            let address = EthereumAddress(publicKey: key.publicKey).checksummed
            let signingKey = try privateKey(key)
            return try confirm(signScreens(for: message.message, address: address), &state) { _ throws(Refusal) in
                let signature: EthereumSignature
                do {
                    signature = try PersonalMessage.sign(message.message, with: signingKey)
                } catch {
                    throw Refusal(code: .processError, message: "Signing failed")
                }
                return .reply(TrezorWireMessage(
                    TrezorProto.EthereumMessageSignature(signature: signature.bytes, address: address)))
            }
        }
    }

    /// EthereumVerifyMessage -> Success("Message verified") after the address, message and "signature is valid"
    /// screens, or Failure(DataError, "Invalid signature") (fsm_msgEthereumVerifyMessage; the Trezor One asks no PIN
    /// for it, core unlocks first).
    func ethereumVerifyMessage(_ message: TrezorProto.EthereumVerifyMessage, _ state: inout State) throws(Refusal) -> Step {
        let verify: Continuation = { [self] state throws(Refusal) in
            guard let address = try? EthereumAddress(parsing: message.address) else {
                throw Refusal(code: .dataError, message: "Invalid address")
            }
            guard let signature = try? EthereumSignature(bytes: message.signature),
                  let signer = try? signature.recoverSigner(digest: PersonalMessage.hash(message.message)),
                  signer == address
            else { throw Refusal(code: .dataError, message: "Invalid signature") }
            return try confirm(verifyScreens(for: message.message, address: message.address), &state) { _ throws(Refusal) in
                .reply(TrezorWireMessage(TrezorProto.Success(message: "Message verified")))
            }
        }
        return isCore ? try unlocked(&state, then: verify) : try verify(&state)
    }

    /// EthereumSignTypedHash (Trezor One only): the "Unable to show EIP-712 data" warning (ProtectCall), then the
    /// address, the domain hash and, when set, the message hash (Other each; recorded `ethereum_sign_typed_hash_mail`),
    /// then EthereumTypedDataSignature over keccak256(0x19 0x01 || domain || message).
    func ethereumSignTypedHash(_ message: TrezorProto.EthereumSignTypedHash, _ state: inout State) throws(Refusal) -> Step {
        try unlocked(&state) { [self] state throws(Refusal) in
            guard message.domainSeparatorHash.count == 32, message.messageHash.map({ $0.count == 32 }) ?? true else {
                throw Refusal(code: .dataError, message: "Invalid hash length")
            }
            // The warning comes before the key is derived, so a passphrase prompt would follow it.
            let warning = screen(.protectCall, "warning", title: "Warning",
                                 lines: ["Unable to show EIP-712 data.", "Sign at your own risk."])
            return confirm(warning) { [self] state throws(Refusal) in
                try withSeed(&state) { [self] state, master throws(Refusal) in
                    let key = try derive(master, message.addressN)
                    let address = EthereumAddress(publicKey: key.publicKey).checksummed
                    let signingKey = try privateKey(key)
                    var screens = [
                        screen(.other, "confirm_address", title: "Confirm address", lines: [address]),
                        screen(.other, "confirm_domain_hash", title: "Confirm domain hash",
                               lines: [Hex.encode(message.domainSeparatorHash)]),
                    ]
                    if let hash = message.messageHash {
                        screens.append(screen(.other, "confirm_message_hash", title: "Confirm message hash", lines: [Hex.encode(hash)]))
                    }
                    return try confirm(screens, &state) { [self] _ throws(Refusal) in
                        let digest = Keccak256.hash([0x19, 0x01] + message.domainSeparatorHash + (message.messageHash ?? []))
                        return .reply(try typedDataSignature(digest: digest, key: signingKey, address: address))
                    }
                }
            }
        }
    }

    /// EthereumTypedDataSignature over `digest` (r || s || v).
    func typedDataSignature(digest: [UInt8], key: PrivateKey, address: String) throws(Refusal) -> TrezorWireMessage {
        do {
            let signature = try EthereumSignature.sign(digest: digest, with: key)
            return TrezorWireMessage(TrezorProto.EthereumTypedDataSignature(signature: signature.bytes, address: address))
        } catch {
            throw Refusal(code: .processError, message: "Signing failed")
        }
    }

    // MARK: - Screens and nodes shared with Bitcoin

    /// The address shown with show_display: ButtonRequest Address (fsm_layoutAddress; core `show_address`).
    func addressScreen(_ address: String) -> Screen {
        screen(.address, "show_address", title: "Address", lines: [address])
    }

    /// Signing a message: the address screen, then the message pages (Trezor One: one ButtonRequest per page, printable
    /// ASCII 72 characters a page, anything else as hex 32 bytes a page, legacy/firmware/fsm.c `fsm_layoutPaginated`);
    /// core confirms the address and the message on two "sign_message" screens (`confirm_signverify`).
    func signScreens(for message: [UInt8], address: String) -> [Screen] {
        messageScreens("sign_message", title: "Sign message", message: message, address: address)
    }

    /// Verifying a message: the address, the message pages and "The signature is valid." (Trezor One); core shows
    /// the address and message ("verify_message") and a success screen.
    func verifyScreens(for message: [UInt8], address: String) -> [Screen] {
        let valid = screen(isCore ? .success : .other, "verify_message", title: "Verify message", lines: ["The signature is valid."])
        return messageScreens("verify_message", title: "Verify message", message: message, address: address) + [valid]
    }

    /// The address screen and the message on one screen (core) or page by page (Trezor One).
    private func messageScreens(_ name: String, title: String, message: [UInt8], address: String) -> [Screen] {
        let addressScreen = screen(.other, name, title: title, lines: ["Address:", address])
        guard !isCore else { return [addressScreen, screen(.other, name, title: title, lines: [DeviceScreen.messageText(message)])] }
        return [addressScreen] + Self.pages(message).map { screen(.other, name, title: title, lines: [$0]) }
    }

    /// The Trezor One's message pages: 4 rows of 18 printable ASCII characters, or of 8 bytes shown as hex; an empty
    /// message still has one page (`fsm_layoutPaginated` is a do-while).
    static func pages(_ message: [UInt8]) -> [String] {
        let isASCII = DeviceScreen.isPrintableASCII(message)
        let pageSize = isASCII ? 72 : 32
        let chunks = stride(from: 0, to: max(message.count, 1), by: pageSize).map {
            Array(message[min($0, message.count)..<min($0 + pageSize, message.count)])
        }
        return chunks.map { isASCII ? String(decoding: $0, as: UTF8.self) : Hex.encode($0) }
    }

    /// HDNodeType of `key` without the private key (fingerprint = the parent's, as the firmware reports it).
    func node(of key: ExtendedKey) -> TrezorProto.HDNodeType {
        TrezorProto.HDNodeType(
            depth: UInt32(key.depth), fingerprint: key.parentFingerprint, childNum: key.childNumber,
            chainCode: key.chainCode, publicKey: key.publicKey.compressed)
    }
}
