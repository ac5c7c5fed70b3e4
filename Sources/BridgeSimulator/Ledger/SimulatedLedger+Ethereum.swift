import BridgeCore
import BridgeCrypto
import BridgeDevices

/// The Ethereum app (CLA E0), as app-ethereum 1.22.0 answers in recorded_eth_app_1_22_0.json.
/// Spec: LedgerHQ/app-ethereum doc/ethapp.adoc; ../shared/reference/ledger.md section 4.
extension SimulatedLedger {
    /// Instruction codes (app-ethereum doc/ethapp.adoc, src/apdu_constants.h).
    enum EthereumAPDU {
        static let cla: UInt8 = 0xE0
        static let getPublicAddress: UInt8 = 0x02
        static let signTransaction: UInt8 = 0x04
        static let getAppConfiguration: UInt8 = 0x06
        static let signPersonalMessage: UInt8 = 0x08
        static let signTypedData: UInt8 = 0x0C
        static let typedDataStructDefinition: UInt8 = 0x1A
        static let typedDataStructImplementation: UInt8 = 0x1C
        /// P1 of chunked commands: first chunk / next chunks.
        static let firstChunk: UInt8 = 0x00
        static let nextChunk: UInt8 = 0x80
        /// E0 06 flags: arbitrary-data (blind) signing on; ERC-20 info provided externally (always set).
        static let flagBlindSigning: UInt8 = 0x01
        static let flagExternalTokenInfo: UInt8 = 0x02
        /// BIP-32 paths hold at most 10 levels (ethapp.adoc, "BIP 32 path").
        static let maximumPathDepth = 10
        /// ETHEREUM_SIGNATURE_V_BASE (app-ethereum src/shared_context.h): v of messages is 27 + parity.
        static let messageVBase: UInt8 = 27
        /// Unsupported transaction type (ethapp.adoc, "Status Words").
        static let transactionTypeNotSupported: UInt16 = 0x6501
    }

    /// A personal message arriving over several E0 08 APDUs.
    struct PersonalMessageInProgress: Sendable {
        var path: [UInt32]
        var length: Int
        var message: [UInt8]
    }

    /// A transaction arriving over several E0 04 APDUs.
    struct TransactionInProgress: Sendable {
        var path: [UInt32]
        var bytes: [UInt8]
    }

    func respondAsEthereum(to command: APDUCommand, in state: inout State) throws(APDUFailure) -> APDUResponse {
        guard command.cla == EthereumAPDU.cla else { throw APDUFailure(LedgerStatusWord.claNotSupported) }
        switch command.ins {
        case EthereumAPDU.getPublicAddress:
            return try ethereumAddress(command, approval: state.approval, app: state.app)
        case EthereumAPDU.signTransaction:
            return try ethereumSignTransaction(command, in: &state)
        case EthereumAPDU.getAppConfiguration:
            return ethereumConfiguration(state)
        case EthereumAPDU.signPersonalMessage:
            return try ethereumSignPersonalMessage(command, in: &state)
        case EthereumAPDU.signTypedData:
            switch command.p2 {
            case 0x00: return try ethereumSignHashedTypedData(command, in: &state)
            case 0x01: return try ethereumSignFullTypedData(command, in: &state)
            default: throw APDUFailure(LedgerStatusWord.wrongP1P2)
            }
        case EthereumAPDU.typedDataStructDefinition:
            return try ethereumTypedDataStructDefinition(command, in: &state)
        case EthereumAPDU.typedDataStructImplementation:
            return try ethereumTypedDataStructImplementation(command, in: &state)
        default:
            throw APDUFailure(LedgerStatusWord.insNotSupported)
        }
    }

    /// The path that starts every Ethereum command; an empty or over-deep path is invalid data.
    func ethereumPath(_ reader: inout ByteReader) throws(APDUFailure) -> [UInt32] {
        let path = try reader.ledgerPath(
            maximumDepth: EthereumAPDU.maximumPathDepth, tooDeep: LedgerStatusWord.invalidData,
            truncated: LedgerStatusWord.invalidData)
        guard !path.isEmpty else { throw APDUFailure(LedgerStatusWord.invalidData) }
        return path
    }

    /// v || r || s for a message signature (v = 27 + recovery id).
    func ethereumMessageSignature(_ digest: [UInt8], at path: [UInt32]) throws(APDUFailure) -> APDUResponse {
        let (compact, recoveryID) = try sign(digest, at: path)
        return APDUResponse(data: [EthereumAPDU.messageVBase + UInt8(recoveryID)] + compact, statusWord: LedgerStatusWord.ok)
    }

    /// Shows the review `screens` (the last one approves) and holds the reply until the user decides, as the apps do
    /// (`IO_ASYNCH_REPLY`); a refusal is `refusal` (the apps' 6985). With ``Approval/buttons`` this waits for presses
    /// on ``display`` while the device stays busy, as a real one does.
    func confirm(_ screens: [DeviceScreen], _ approval: Approval, app: App,
                 refusal: UInt16 = LedgerStatusWord.rejected) throws(APDUFailure) {
        guard display.confirm(screens, approval: approval, home: Self.homeScreen(app, model: configuration.model)) else {
            throw APDUFailure(refusal)
        }
    }

    /// The screen between requests: the open app's name and "is ready" (the dashboard shows the model's name).
    static func homeScreen(_ app: App, model: Model) -> DeviceScreen {
        app == .dashboard
            ? DeviceScreen(name: "home", title: model.displayName, lines: ["Dashboard"])
            : DeviceScreen(name: "home", title: app.name, lines: ["is ready"])
    }

    /// E0 02: `41 | uncompressed key | 28 | 40 ASCII hex digits | [chain code]` (app-ethereum
    /// src/features/get_public_key/cmd_get_public_key.c; P1 01 shows the address first).
    private func ethereumAddress(_ command: APDUCommand, approval: Approval, app: App) throws(APDUFailure) -> APDUResponse {
        guard command.p1 <= 1, command.p2 <= 1 else { throw APDUFailure(LedgerStatusWord.wrongP1P2) }
        var reader = ByteReader(command.data)
        let path = try ethereumPath(&reader)
        // The optional chain id only changes how the address is shown (and checksummed for RSK).
        var chainID: UInt64?
        if reader.remaining == 8 { chainID = try reader.u64BigEndian(or: LedgerStatusWord.invalidData) }
        guard reader.isAtEnd else { throw APDUFailure(LedgerStatusWord.invalidData) }
        let key = try key(at: path)
        let addressText = Self.addressText(EthereumAddress(publicKey: key.publicKey), chainID: chainID)
        if command.p1 == 1 {
            try confirm([DeviceScreen(name: "verify_address", title: "Verify Ethereum address", lines: ["0x" + addressText]),
                         DeviceScreen(name: "approve", title: "Approve")], approval, app: app)
        }
        let address = Array(addressText.utf8)
        let uncompressed = key.publicKey.uncompressed
        var data = [UInt8(uncompressed.count)] + uncompressed + [UInt8(address.count)] + address
        if command.p2 == 1 { data += key.chainCode }
        return APDUResponse(data: data, statusWord: LedgerStatusWord.ok)
    }

    /// The 40 address digits without 0x: EIP-55, or EIP-1191 for RSK's chain ids 30 and 31
    /// (LedgerHQ/ethereum-plugin-sdk src/common_utils.c `getEthAddressStringFromBinary`).
    static func addressText(_ address: EthereumAddress, chainID: UInt64?) -> String {
        guard let chainID, chainID == 30 || chainID == 31 else { return String(address.checksummed.dropFirst(2)) }
        let lowercase = Hex.encode(address.bytes)
        let hash = Keccak256.hash(Array("\(chainID)0x\(lowercase)".utf8))
        var digits = ""
        for (position, character) in lowercase.enumerated() {
            let nibble = position % 2 == 0 ? hash[position / 2] >> 4 : hash[position / 2] & 0x0F
            digits.append(nibble >= 8 ? Character(character.uppercased()) : character)
        }
        return digits
    }

    /// E0 06: `flags | major | minor | patch` (app-ethereum
    /// src/features/get_app_configuration/cmd_get_app_configuration.c). "Raw messages" is not reported.
    private func ethereumConfiguration(_ state: State) -> APDUResponse {
        let flags = EthereumAPDU.flagExternalTokenInfo | (state.blindSigning ? EthereumAPDU.flagBlindSigning : 0)
        let parts = version(of: .ethereum).split(separator: ".").map { UInt8($0.prefix { $0.isNumber }) ?? 0 }
        let triple = (parts + [0, 0, 0]).prefix(3)
        return APDUResponse(data: [flags] + triple, statusWord: LedgerStatusWord.ok)
    }

    /// E0 08: P1 00 `path | length(4) | message bytes`, P1 80 more bytes; intermediate chunks answer 9000, the last
    /// one the signature over keccak256("\x19Ethereum Signed Message:\n" + length + message)
    /// (app-ethereum src/features/sign_message/cmd_sign_message.c).
    private func ethereumSignPersonalMessage(_ command: APDUCommand, in state: inout State) throws(APDUFailure) -> APDUResponse {
        guard command.p2 == 0 else { throw APDUFailure(LedgerStatusWord.wrongP1P2) }
        var progress: PersonalMessageInProgress
        switch command.p1 {
        case EthereumAPDU.firstChunk:
            var reader = ByteReader(command.data)
            let path = try ethereumPath(&reader)
            let length = Int(try reader.u32BigEndian(or: LedgerStatusWord.invalidData))
            progress = PersonalMessageInProgress(path: path, length: length, message: reader.rest())
        case EthereumAPDU.nextChunk:
            // A continuation without a first chunk: "App not already in signing state" is invalid data.
            guard case .personalMessage(let started) = state.pending else { throw APDUFailure(LedgerStatusWord.invalidData) }
            progress = started
            progress.message += command.data
        default:
            throw APDUFailure(LedgerStatusWord.wrongP1P2)
        }
        guard progress.message.count <= progress.length else { throw APDUFailure(LedgerStatusWord.invalidData) }
        guard progress.message.count == progress.length else {
            state.pending = .personalMessage(progress)
            return APDUResponse(statusWord: LedgerStatusWord.ok)
        }
        state.pending = .none
        // app-ethereum's personal-sign review: the message (ASCII, else hex), then "Sign message".
        let text = DeviceScreen.messageText(progress.message)
        try confirm([DeviceScreen(name: "review_message", title: "Review message", lines: ["Message", text]),
                     DeviceScreen(name: "sign", title: "Sign message")], state.approval, app: state.app)
        return try ethereumMessageSignature(PersonalMessage.hash(progress.message), at: progress.path)
    }

    /// E0 0C P2 00, hashed EIP-712: `path | domainSeparator | hashStruct(message)`. Needs "Blind signing": 6A80 at
    /// once otherwise (app-ethereum src/features/sign_message_eip712_v0/cmd_sign_message_eip712.c).
    private func ethereumSignHashedTypedData(_ command: APDUCommand, in state: inout State) throws(APDUFailure) -> APDUResponse {
        guard command.p1 == 0 else { throw APDUFailure(LedgerStatusWord.wrongP1P2) }
        state.pending = .none
        var reader = ByteReader(command.data)
        let path = try ethereumPath(&reader)
        let domainHash = try reader.bytes(32, or: LedgerStatusWord.invalidData)
        let messageHash = try reader.bytes(32, or: LedgerStatusWord.invalidData)
        guard reader.isAtEnd else { throw APDUFailure(LedgerStatusWord.invalidData) }
        guard state.blindSigning else { throw APDUFailure(LedgerStatusWord.invalidData) }
        try confirm([DeviceScreen(name: "review_typed_hash", title: "Review typed message",
                             lines: ["Domain hash", Hex.encode(domainHash), "Message hash", Hex.encode(messageHash)]),
                DeviceScreen(name: "sign", title: "Sign typed message")], state.approval, app: state.app)
        return try ethereumMessageSignature(Keccak256.hash([0x19, 0x01] + domainHash + messageHash), at: path)
    }

    /// E0 04: P1 00 `path | tx bytes`, P1 80 more bytes. The app knows the transaction is complete from its RLP
    /// header; intermediate chunks answer 9000, the last `v | r | s` over keccak256 of the received bytes.
    /// v is the y-parity for typed (EIP-2930/1559) transactions, `chainId*2 + 35 + parity` truncated to a byte for
    /// EIP-155 ones and 27 + parity without a chain id (app-ethereum src/features/sign_tx/ui_common_sign_tx.c).
    /// Contract data needs "Blind signing": 6A80 otherwise (ledgerjs hw-app-eth `remapTransactionRelatedErrors`).
    private func ethereumSignTransaction(_ command: APDUCommand, in state: inout State) throws(APDUFailure) -> APDUResponse {
        guard command.p2 == 0 else { throw APDUFailure(LedgerStatusWord.wrongP1P2) }
        var progress: TransactionInProgress
        switch command.p1 {
        case EthereumAPDU.firstChunk:
            var reader = ByteReader(command.data)
            let path = try ethereumPath(&reader)
            progress = TransactionInProgress(path: path, bytes: reader.rest())
        case EthereumAPDU.nextChunk:
            guard case .transaction(let started) = state.pending else { throw APDUFailure(LedgerStatusWord.invalidData) }
            progress = started
            progress.bytes += command.data
        default:
            throw APDUFailure(LedgerStatusWord.wrongP1P2)
        }
        guard let first = progress.bytes.first else { throw APDUFailure(LedgerStatusWord.invalidData) }
        // EIP-2718: a first byte below 0x7F is a transaction type; 0xC0 and above starts a legacy RLP list.
        let isTyped = first <= 0x7F
        if isTyped, first != 0x01, first != 0x02 { throw APDUFailure(EthereumAPDU.transactionTypeNotSupported) }
        let payload = progress.bytes[(isTyped ? 1 : 0)...]
        guard let payloadLength = RLPItem.encodedLength(of: payload), payload.count >= payloadLength else {
            state.pending = .transaction(progress)
            return APDUResponse(statusWord: LedgerStatusWord.ok)
        }
        state.pending = .none
        guard payload.count == payloadLength, let fields = RLPItem.decode(payload)?.listValue else {
            throw APDUFailure(LedgerStatusWord.invalidData)
        }
        // Field layouts: EIP-1559 [chainId, nonce, maxPriorityFee, maxFee, gas, to, value, data, accessList],
        // EIP-2930 [chainId, nonce, gasPrice, gas, to, value, data, accessList], legacy [nonce, gasPrice, gas, to,
        // value, data(, chainId, 0, 0)].
        let dataIndex = isTyped ? (first == 0x02 ? 7 : 6) : 5
        guard fields.count > dataIndex, let contractData = fields[dataIndex].bytesValue else {
            throw APDUFailure(LedgerStatusWord.invalidData)
        }
        if !contractData.isEmpty, !state.blindSigning { throw APDUFailure(LedgerStatusWord.invalidData) }
        // The review: recipient and value (in wei, as the RLP has it), then "Sign transaction".
        let to = fields[dataIndex - 2].bytesValue ?? [], value = fields[dataIndex - 1].bytesValue ?? []
        try confirm([DeviceScreen(name: "review_transaction", title: "Review transaction",
                                  lines: ["To", to.isEmpty ? "contract creation" : "0x" + Hex.encode(to),
                                          "Value (wei)", "0x" + (value.isEmpty ? "0" : Hex.encode(value))]
                                      + (contractData.isEmpty ? [] : ["Data", "present (blind signing)"])),
                     DeviceScreen(name: "sign", title: "Sign transaction")], state.approval, app: state.app)
        let (compact, recoveryID) = try sign(Keccak256.hash(progress.bytes), at: progress.path)
        let parity = UInt8(recoveryID & 1)
        let v: UInt8
        if isTyped {
            v = parity
        } else if fields.count == 9, let chainID = fields[6].bytesValue {
            // Only the low byte survives the truncation, and (c*2) mod 256 depends only on c's low byte.
            v = (chainID.last ?? 0) &* 2 &+ 35 &+ parity
        } else {
            v = EthereumAPDU.messageVBase + parity
        }
        return APDUResponse(data: [v] + compact, statusWord: LedgerStatusWord.ok)
    }
}
