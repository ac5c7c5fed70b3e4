import BridgeCore
import BridgeCrypto
import BridgeDevices

/// The Bitcoin app 2.x (app-bitcoin-new; CLA E1, framework CLA F8), as 2.4.6 answers in recorded_btc_app_2_4_6.json
/// and the "Bitcoin Test" build in the hw-app-acre recordings of btc_app_transcripts.json.
/// Spec: LedgerHQ/app-bitcoin-new doc/bitcoin.md; ../shared/reference/ledger.md section 5.
extension SimulatedLedger {
    enum BitcoinAPDU {
        static let cla: UInt8 = 0xE1
        /// The framework's CONTINUE, which carries the host's answer to a client command.
        static let frameworkCLA: UInt8 = 0xF8
        static let continueINS: UInt8 = 0x01
        static let getExtendedPubkey: UInt8 = 0x00
        static let getWalletAddress: UInt8 = 0x03
        static let getMasterFingerprint: UInt8 = 0x05
        static let signMessage: UInt8 = 0x10
        /// P2 is the protocol version; 0 and 1 are accepted (doc/bitcoin.md).
        static let latestProtocolVersion: UInt8 = 1
        /// MAX_BIP32_PATH_STEPS (app-bitcoin-new src/constants.h).
        static let maximumPathDepth = 8
        /// MAX_BIP44_ACCOUNT_RECOMMENDED: accounts above it are not "standard".
        static let maximumStandardAccount: UInt32 = 100
        /// MESSAGE_CHUNK_SIZE: SIGN_MESSAGE cuts the message into 64-byte leaves.
        static let messageChunkSize = 64
        /// Status words (app-bitcoin-new src/boilerplate/sw.h).
        static let wrongDataLength: UInt16 = 0x6A87
        static let incorrectData: UInt16 = 0x6A80
        static let notSupported: UInt16 = 0x6A82
        static let wrongP1P2: UInt16 = 0x6A86
        static let badState: UInt16 = 0xB007
        static let signatureFail: UInt16 = 0xB008
    }

    func respondAsBitcoin(to command: APDUCommand, in state: inout State) throws(APDUFailure) -> APDUResponse {
        if command.cla == BitcoinAPDU.frameworkCLA {
            guard command.ins == BitcoinAPDU.continueINS else { throw APDUFailure(LedgerStatusWord.insNotSupported) }
            // A CONTINUE while no command is interrupted (app-bitcoin-new src/main.c).
            guard case .bitcoin(let resume) = state.pending else { throw APDUFailure(BitcoinAPDU.badState) }
            state.pending = .none
            return run(try resume(command.data), in: &state)
        }
        guard command.cla == BitcoinAPDU.cla else { throw APDUFailure(LedgerStatusWord.claNotSupported) }
        // A new command while one waits for its client-command answer: the interrupted one is abandoned.
        if case .bitcoin = state.pending { throw APDUFailure(BitcoinAPDU.badState) }
        guard command.p1 == 0, command.p2 <= BitcoinAPDU.latestProtocolVersion else {
            throw APDUFailure(BitcoinAPDU.wrongP1P2)
        }
        switch command.ins {
        case BitcoinAPDU.getMasterFingerprint:
            let fingerprint = master.fingerprint
            return APDUResponse(data: (0..<4).map { UInt8(truncatingIfNeeded: fingerprint >> (24 - 8 * $0)) },
                                statusWord: LedgerStatusWord.ok)
        case BitcoinAPDU.getExtendedPubkey:
            return try bitcoinExtendedPublicKey(command, in: state)
        case BitcoinAPDU.getWalletAddress:
            return run(try bitcoinWalletAddress(command, in: state), in: &state)
        case BitcoinAPDU.signMessage:
            return run(try bitcoinSignMessage(command, in: state), in: &state)
        default:
            throw APDUFailure(LedgerStatusWord.insNotSupported)
        }
    }

    /// Sends a step: a client command (SW E000, kept pending until the host's F8 01) or the final reply.
    private func run(_ step: BitcoinStep, in state: inout State) -> APDUResponse {
        switch step {
        case .ask(let request, let resume):
            state.pending = .bitcoin(resume)
            return APDUResponse(data: request, statusWord: LedgerStatusWord.interrupted)
        case .reply(let response):
            return response
        }
    }

    /// Which chain the app build serves: "Bitcoin" mainnet, "Bitcoin Test" testnet.
    static func network(of app: App) -> BitcoinNetwork { app == .bitcoinTest ? .test : .main }

    /// BIP44_COIN_TYPE of the build: 0 for Bitcoin, 1 for Bitcoin Test.
    static func coinType(of app: App) -> UInt32 { app == .bitcoinTest ? 1 : 0 }

    /// GET_EXTENDED_PUBKEY `display | n | path` -> the base58check xpub (tpub on Bitcoin Test) as ASCII. A path
    /// that is not standard needs display=1, else 6A82 (app-bitcoin-new src/handler/get_extended_pubkey.c).
    private func bitcoinExtendedPublicKey(_ command: APDUCommand, in state: State) throws(APDUFailure) -> APDUResponse {
        var reader = ByteReader(command.data)
        let display = try reader.u8(or: BitcoinAPDU.wrongDataLength)
        let path = try reader.ledgerPath(
            maximumDepth: BitcoinAPDU.maximumPathDepth, tooDeep: BitcoinAPDU.incorrectData,
            truncated: BitcoinAPDU.wrongDataLength)
        guard display <= 1 else { throw APDUFailure(BitcoinAPDU.incorrectData) }
        if display == 0, !Self.isSafeForPublicKeyExport(path, coinType: Self.coinType(of: state.app)) {
            throw APDUFailure(BitcoinAPDU.notSupported)
        }
        let xpub = try key(at: path).xpub(network: Self.network(of: state.app))
        if display == 1 {
            try confirm([DeviceScreen(name: "show_public_key", title: "Public key", lines: [xpub]),
                         DeviceScreen(name: "approve", title: "Approve")], state.approval, app: state.app)
        }
        return APDUResponse(data: Array(xpub.utf8), statusWord: LedgerStatusWord.ok)
    }

    /// `is_path_safe_for_pubkey_export` (get_extended_pubkey.c): purpose 44/45/49/84/86 with 3 hardened levels or
    /// 48 with 4 (script type 1' or 2'), the build's coin type, account <= 100, unhardened levels after; plus
    /// Electrum's m/4541509'/1112098098'.
    static func isSafeForPublicKeyExport(_ path: [UInt32], coinType: UInt32) -> Bool {
        let hardened = DerivationPath.hardenedOffset
        if path == [4_541_509 | hardened, 1_112_098_098 | hardened] { return true }
        guard path.count >= 3 else { return false }
        let hardenedCount: Int
        switch path[0] & ~hardened {
        case 44, 45, 49, 84, 86: hardenedCount = 3
        case 48: hardenedCount = 4
        default: return false
        }
        guard path.count >= hardenedCount, path.prefix(hardenedCount).allSatisfy({ $0 >= hardened }),
            path.dropFirst(hardenedCount).allSatisfy({ $0 < hardened }),
            path[1] & ~hardened == coinType, path[2] & ~hardened <= BitcoinAPDU.maximumStandardAccount
        else { return false }
        if path[0] & ~hardened == 48 { return [1, 2].contains(path[3] & ~hardened) }
        return true
    }

    /// SIGN_MESSAGE `n | path | varint length | Merkle root of the 64-byte chunks`: the app reads every chunk
    /// (GET_MERKLE_LEAF_PROOF then GET_PREIMAGE), asks the user, and answers `27 + 4 + parity | r | s` over
    /// SHA256d("\x18Bitcoin Signed Message:\n" || varint(length) || message) (app-bitcoin-new
    /// src/handler/sign_message.c). 2.4.6 reads each chunk once; the "Bitcoin Test" build recorded by hw-app-acre
    /// reads the whole message twice (btc_app_transcripts.json `btc_new_sign_message_*`). A refusal answers the
    /// last F8 01, once the message has been read.
    private func bitcoinSignMessage(_ command: APDUCommand, in state: State) throws(APDUFailure) -> BitcoinStep {
        var reader = ByteReader(command.data)
        let path = try reader.ledgerPath(
            maximumDepth: BitcoinAPDU.maximumPathDepth, tooDeep: BitcoinAPDU.incorrectData,
            truncated: BitcoinAPDU.wrongDataLength)
        let length = try reader.varint(or: BitcoinAPDU.wrongDataLength)
        let root = try reader.bytes(32, or: BitcoinAPDU.wrongDataLength)
        guard length < 1 << 32 else { throw APDUFailure(BitcoinAPDU.incorrectData) }
        let chunkCount = (Int(length) + BitcoinAPDU.messageChunkSize - 1) / BitcoinAPDU.messageChunkSize
        let approval = state.approval, app = state.app
        let reading = MessageReading(
            root: root, length: Int(length), chunkCount: chunkCount, passes: state.app == .bitcoinTest ? 2 : 1)
        return try reading.read(pass: 1, index: 0, message: []) { [self] message throws(APDUFailure) in
            try confirm([DeviceScreen(name: "review_message", title: "Sign message",
                                      lines: ["Path", DerivationPath(indexes: path).description, "Message", DeviceScreen.messageText(message)]),
                         DeviceScreen(name: "sign", title: "Sign message")], approval, app: app)
            let (compact, recoveryID) = try sign(BitcoinMessage.digest(message), at: path)
            // The app looks only at the parity (CX_ECCINFO_PARITY_ODD), never at the overflow bit.
            return .reply(APDUResponse(data: [27 + 4 + UInt8(recoveryID & 1)] + compact, statusWord: LedgerStatusWord.ok))
        }
    }

    /// Reads a SIGN_MESSAGE message chunk by chunk, `passes` times over.
    private struct MessageReading: Sendable {
        let root: [UInt8]
        let length: Int
        let chunkCount: Int
        let passes: Int

        func read(pass: Int, index: Int, message: [UInt8], then finish: @escaping BitcoinStep.Resume) throws(APDUFailure) -> BitcoinStep {
            if index == chunkCount {
                // A host whose chunks do not add up to the announced length is lying ("should never happen").
                guard message.count == length else { throw APDUFailure(BitcoinAPDU.badState) }
                if pass == passes { return try finish(message) }
                return try read(pass: pass + 1, index: 0, message: [], then: finish)
            }
            return BitcoinClientCommand.merkleLeaf(
                root: root, count: chunkCount, index: index, maximumLength: BitcoinAPDU.messageChunkSize,
                failure: BitcoinAPDU.badState
            ) { chunk throws(APDUFailure) in
                guard chunk.count == BitcoinAPDU.messageChunkSize || (index == chunkCount - 1 && !chunk.isEmpty) else {
                    throw APDUFailure(BitcoinAPDU.badState)
                }
                return try read(pass: pass, index: index + 1, message: message + chunk, then: finish)
            }
        }
    }
}
