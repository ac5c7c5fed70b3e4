import BridgeCore
import BridgeCrypto
import BridgeDevices
import BridgeSimulator
import Testing
import TestVectors

/// Replays vector transcripts through the Ledger operations.
enum LedgerReplay {
    /// The entry called `name` in the transcript file `file`.
    static func entry(_ file: String, _ name: String) throws -> JSONValue {
        let entries = try TestVectors.json(file).arrayValue ?? []
        return try #require(entries.first { $0["name"]?.stringValue == name }, "no entry \(name) in \(file)")
    }

    /// A strict replay channel over the entry's exchanges.
    static func channel(_ file: String, _ name: String) throws -> ReplayAPDUChannel {
        try channel(name, try entry(file, name))
    }

    static func channel(_ name: String, _ entry: JSONValue) throws -> ReplayAPDUChannel {
        let exchanges = try entry.array("exchanges").map { exchange in
            RecordedExchange(command: try exchange.hex("command_hex"), response: try exchange.hex("response_hex"))
        }
        return ReplayAPDUChannel(name: name, exchanges: exchanges)
    }

    @discardableResult
    static func run<Operation: APDUOperation>(_ operation: Operation, on channel: ReplayAPDUChannel) throws(DeviceError)
        -> Operation.Output
    {
        try channel.run(operation, deadline: .now + .seconds(10))
    }

    /// Expects `body` to throw ``DeviceError/protocolError(_:)`` with a message containing `mentioning`.
    static func expectProtocolError(_ mentioning: String, sourceLocation: SourceLocation = #_sourceLocation,
                                    _ body: () throws -> Void) {
        let error = #expect(throws: DeviceError.self, sourceLocation: sourceLocation) { try body() }
        guard case .protocolError(let why)? = error else {
            Issue.record("expected a protocol error, got \(String(describing: error))", sourceLocation: sourceLocation)
            return
        }
        #expect(why.contains(mentioning), "\(why)", sourceLocation: sourceLocation)
    }

    /// Expects `body` to throw ``DeviceError/settingsRefuse(message:hint:)`` whose hint names `setting`.
    static func expectSettingsRefuse(naming setting: String, sourceLocation: SourceLocation = #_sourceLocation,
                                     _ body: () throws -> Void) {
        let error = #expect(throws: DeviceError.self, sourceLocation: sourceLocation) { try body() }
        guard case .settingsRefuse(_, let hint)? = error else {
            Issue.record("expected settingsRefuse, got \(String(describing: error))", sourceLocation: sourceLocation)
            return
        }
        #expect(hint.contains("\"\(setting)\""), "\(hint)", sourceLocation: sourceLocation)
    }

    /// The struct names of a typed-data document in the order its `types` object lists them.
    static func typeOrder(_ document: JSONValue) throws -> [String] {
        try #require(document["types"]?.objectValue?.keys)
    }
}

/// A raw command, for the transcript where a Bitcoin APDU reaches the Ethereum app.
private struct RawCommand: APDUOperation {
    let command: [UInt8]
    let context: LedgerStatusWord.Context

    mutating func start() throws(DeviceError) -> APDUCommand { try APDUCommand(parsing: command) }

    mutating func handle(_ response: APDUResponse) throws(DeviceError) -> APDUStep<[UInt8]> {
        .finished(try response.requireOK(context))
    }
}

@Suite("Ethereum app 1.22.0 transcripts (ledger/recorded_eth_app_1_22_0.json)")
struct LedgerEthereumRecordedTests {
    static let file = "ledger/recorded_eth_app_1_22_0.json"

    static let entryNames = [
        "eth_get_app_and_version",
        "eth_get_app_configuration",
        "eth_get_address_m44h_60h_0h_0_0",
        "eth_get_address_m44h_60h_0h_0_0_chaincode",
        "eth_get_address_m44h_60h_1h_0_5",
        "eth_get_address_m44h_60h_1h_0_5_chaincode",
        "eth_get_address_display_approved",
        "eth_get_address_display_rejected",
        "eth_get_address_display_chaincode_chainid1_approved",
        "eth_personal_sign_short_approved",
        "eth_personal_sign_400_bytes_approved",
        "eth_personal_sign_short_rejected",
        "eth_sign_eip712_hashed_mail_blind_signing_disabled",
        "eth_sign_eip712_full_mail_blind_signing_disabled",
        "eth_get_app_configuration_blind_signing_enabled",
        "eth_sign_eip712_hashed_mail_rejected_at_blind_signing_warning",
        "eth_sign_eip712_hashed_mail_approved",
        "eth_sign_eip712_full_mail_approved",
        "eth_sign_eip712_full_mail_rejected",
        "eth_sign_eip712_full_batch_array_of_structs_bytes_approved",
        "eth_get_app_configuration_raw_messages_enabled_blind_disabled",
        "eth_sign_eip712_full_mail_raw_messages_setting_approved",
        "eth_wrong_app_btc_get_master_fingerprint",
    ]

    @Test func everyEntryIsReplayed() throws {
        let names = try TestVectors.json(Self.file).arrayValue?.map { try $0.string("name") } ?? []
        #expect(names == Self.entryNames)
    }

    /// Builds the operation from the entry's `input`, replays the recording, and checks the decoded result (or the
    /// error) against `expected`.
    @Test(arguments: entryNames)
    func replay(name: String) throws {
        let entry = try LedgerReplay.entry(Self.file, name)
        let input = try #require(entry["input"])
        let expected = try #require(entry["expected"])
        let channel = try LedgerReplay.channel(name, entry)
        let statusWord = try expected.string("sw")

        let outcome: Result<Decoded, DeviceError>
        do {
            outcome = .success(try Self.run(name: name, input: input, expected: expected, on: channel))
        } catch let error as DeviceError {
            outcome = .failure(error)
        }

        switch (statusWord, outcome) {
        case ("9000", .success(let decoded)):
            try Self.check(decoded, against: expected)
        case ("6985", .failure(let error)):
            #expect(error == .rejectedOnDevice)
        case ("6a80", .failure(let error)):
            #expect(error.code == .deviceSettingsRefuse)
            let mode = try input.string("mode")
            #expect(error.hint.contains(mode.hasPrefix("hashed") ? "\"Blind signing\"" : "\"Raw messages\""))
        case ("6e00", .failure(let error)):
            #expect(error == .wrongApp(expected: "Bitcoin", open: "Ethereum"))
        default:
            Issue.record("\(name): expected status \(statusWord), got \(outcome)")
        }
        #expect(channel.isFinished, "\(name): only \(channel.replayed) of \(channel.exchanges.count) exchanges replayed")
    }

    /// What an operation decoded, in a form to compare with `expected`.
    enum Decoded {
        case app(AppInfo)
        case configuration(LedgerEthereumConfiguration)
        case address(LedgerEthereumAddress)
        case signature(EthereumSignature)
        case raw([UInt8])
    }

    static func run(name: String, input: JSONValue, expected: JSONValue, on channel: ReplayAPDUChannel) throws -> Decoded {
        if name == "eth_get_app_and_version" {
            return .app(try LedgerReplay.run(LedgerGetAppAndVersion(), on: channel))
        }
        if name.hasPrefix("eth_get_app_configuration") {
            return .configuration(try LedgerReplay.run(LedgerEthereumGetConfiguration(), on: channel))
        }
        if name == "eth_wrong_app_btc_get_master_fingerprint" {
            // The Ethereum app is open and a Bitcoin client asks for its fingerprint (E1 05).
            let operation = RawCommand(command: [0xE1, 0x05, 0x00, 0x00, 0x00],
                                       context: LedgerStatusWord.Context(app: "Bitcoin", openApp: "Ethereum"))
            return .raw(try LedgerReplay.run(operation, on: channel))
        }
        let path = try DerivationPath(parsing: try input.string("path"))
        if name.hasPrefix("eth_get_address") {
            let chainID = input["chain_id"]?.numberValue?.int64Value.map(UInt64.init)
            let operation = LedgerEthereumGetAddress(
                path: path, display: input["display"]?.boolValue ?? false,
                returnChainCode: input["return_chain_code"]?.boolValue ?? false, chainID: chainID)
            return .address(try LedgerReplay.run(operation, on: channel))
        }
        if name.hasPrefix("eth_personal_sign") {
            let message = try input.hex("message_hex")
            #expect(PersonalMessage.hash(message) == (try Hex.decode(expected["signed_digest"]?.stringValue
                ?? expected.string("signed_digest_if_approved"))))
            return .signature(try LedgerReplay.run(LedgerEthereumSignPersonalMessage(path: path, message: message), on: channel))
        }
        let document = try #require(input["typed_data"])
        let typedData = try TypedData(json: document)
        let hashes = try typedData.hashes()
        if let domainSeparator = expected["domain_separator"]?.stringValue ?? input["domain_separator"]?.stringValue {
            #expect(Hex.encode(hashes.domainHash) == domainSeparator)
        }
        if let messageHash = expected["message_hash"]?.stringValue ?? input["message_hash"]?.stringValue {
            #expect(hashes.messageHash.map(Hex.encode) == messageHash)
        }
        switch try input.string("mode") {
        case let mode where mode.hasPrefix("hashed"):
            let operation = LedgerEthereumSignTypedDataHashed(
                path: path, domainHash: try input.hex("domain_separator"), messageHash: try input.hex("message_hash"))
            return .signature(try LedgerReplay.run(operation, on: channel))
        case let mode where mode.hasPrefix("full"):
            // The recording lists the struct definitions in document order; the default order gives the same here.
            let operation = LedgerEthereumSignTypedDataFull(
                path: path, typedData: typedData, structOrder: try LedgerReplay.typeOrder(document))
            return .signature(try LedgerReplay.run(operation, on: channel))
        case let mode:
            Issue.record("\(name): unknown input.mode \(mode)")
            return .raw([])
        }
    }

    static func check(_ decoded: Decoded, against expected: JSONValue) throws {
        switch decoded {
        case .app(let app):
            #expect(app.name == (try expected.string("app_name")))
            #expect(app.version == (try expected.string("app_version")))
            #expect(app.flags == (try expected.hex("flags_hex")))
        case .configuration(let configuration):
            #expect(Int(configuration.flags) == (try expected.int("flags")))
            #expect(configuration.version == (try expected.string("version")))
            #expect(configuration.blindSigningEnabled == expected["blind_signing_enabled"]?.boolValue)
            #expect(configuration.supportsFullTypedData)
        case .address(let account):
            #expect(account.address.checksummed == (try expected.string("address")))
            #expect(account.publicKey.uncompressed == (try expected.hex("public_key")))
            #expect(account.chainCode == expected["chain_code"]?.stringValue.flatMap { Hex.decode($0) })
        case .signature(let signature):
            #expect(Int(signature.v) == (try expected.int("v")))
            #expect(signature.r == (try expected.hex("r")))
            #expect(signature.s == (try expected.hex("s")))
            #expect(signature.bytes == (try expected.hex("signature_rsv_hex")))
            let signer = try signature.recoverSigner(digest: try expected.hex("signed_digest"))
            #expect(signer.checksummed == (try expected.string("signer_address")))
        case .raw(let data):
            Issue.record("unexpected success with \(Hex.encode(data))")
        }
    }
}

@Suite("Ethereum transcripts from ledgerjs and ledger-live (ledger/eth_app_transcripts.json)")
struct LedgerEthereumTranscriptTests {
    static let file = "ledger/eth_app_transcripts.json"
    /// m/44'/60'/0'/0'/0, the path of the ledgerjs Eth.test.ts recordings.
    static let ledgerjsPath = DerivationPath(indexes: [0x8000_002C, 0x8000_003C, 0x8000_0000, 0x8000_0000, 0])

    /// Entries about transactions and ERC-20 token info are not replayed: WalletBridge signs messages and typed data
    /// for transfer approvals, never transactions (E0 04 / E0 0A are not implemented).
    static let skipped: Set<String> = [
        "eth_sign_tx_legacy_no_chainid", "eth_sign_tx_eip1559", "eth_sign_tx_eip2930_two_chunks",
        "eth_provide_erc20_then_sign_eip1559", "eth_sign_tx_legacy_three_chunks", "eth_sign_tx_large_chainid_v_truncated",
        "eth_sign_tx_5byte_chainid", "eth_provide_erc20_token_info", "eth_clear_sign_eip1559_eth_transfer",
    ]
    static let replayed: Set<String> = [
        "eth_get_app_configuration", "eth_get_address_no_display_no_chaincode", "eth_get_address_with_chaincode",
        "eth_sign_personal_message_test", "eth_sign_eip712_hashed_v0", "eth_sign_eip712_full_permit",
    ]

    @Test func everyEntryIsReplayedOrSkippedForAReason() throws {
        let names = try TestVectors.json(Self.file).arrayValue?.map { try $0.string("name") } ?? []
        #expect(Set(names) == Self.replayed.union(Self.skipped))
        #expect(names.count == Self.replayed.count + Self.skipped.count)
    }

    @Test func configuration() throws {
        let channel = try LedgerReplay.channel(Self.file, "eth_get_app_configuration")
        let configuration = try LedgerReplay.run(LedgerEthereumGetConfiguration(), on: channel)
        #expect(configuration == LedgerEthereumConfiguration(flags: 0x01, major: 1, minor: 1, patch: 6))
        #expect(configuration.version == "1.1.6")
        #expect(configuration.blindSigningEnabled)
        #expect(!configuration.supportsHashedTypedData)
        #expect(channel.isFinished)
    }

    @Test func addressWithoutChainCode() throws {
        let name = "eth_get_address_no_display_no_chaincode"
        let expected = try #require(try LedgerReplay.entry(Self.file, name)["expected"])
        let channel = try LedgerReplay.channel(Self.file, name)
        let account = try LedgerReplay.run(LedgerEthereumGetAddress(path: Self.ledgerjsPath), on: channel)
        #expect(account.address.checksummed == (try expected.string("address")))
        #expect(account.publicKey.uncompressed == (try expected.hex("publicKey")))
        #expect(account.chainCode == nil)
        #expect(channel.isFinished)
    }

    @Test func addressWithChainCode() throws {
        let name = "eth_get_address_with_chaincode"
        let expected = try #require(try LedgerReplay.entry(Self.file, name)["expected"])
        let channel = try LedgerReplay.channel(Self.file, name)
        let operation = LedgerEthereumGetAddress(path: try DerivationPath(parsing: "m/44'/60'/0'/0/0"), returnChainCode: true)
        let account = try LedgerReplay.run(operation, on: channel)
        #expect(account.address.checksummed == (try expected.string("address")))
        #expect(account.publicKey.uncompressed == (try expected.hex("publicKey")))
        #expect(account.chainCode == (try expected.hex("chainCode")))
        #expect(channel.isFinished)
    }

    @Test func personalMessage() throws {
        let name = "eth_sign_personal_message_test"
        let expected = try #require(try LedgerReplay.entry(Self.file, name)["expected"])
        let channel = try LedgerReplay.channel(Self.file, name)
        let operation = LedgerEthereumSignPersonalMessage(path: Self.ledgerjsPath, message: Array("test".utf8))
        let signature = try LedgerReplay.run(operation, on: channel)
        #expect(Int(signature.v) == (try expected.int("v")))
        #expect(signature.r == (try expected.hex("r")))
        #expect(signature.s == (try expected.hex("s")))
        // The notes name the signer (seed not stated).
        let signer = try PersonalMessage.recoverSigner(message: Array("test".utf8), signature: signature)
        #expect(signer.checksummed == "0x4EB83f1742C954aAD5f8D7330eC22f69bd5941c1")
        #expect(channel.isFinished)
    }

    @Test func hashedTypedData() throws {
        let name = "eth_sign_eip712_hashed_v0"
        let entry = try LedgerReplay.entry(Self.file, name)
        let expected = try #require(entry["expected"])
        // The entry carries no typed data: the two hashes are the ones ledgerjs sent (after the 21-byte path).
        let command = try #require(try entry.array("exchanges").first).hex("command_hex")
        let domainHash = Array(command[26..<58])
        let messageHash = Array(command[58..<90])
        let channel = try LedgerReplay.channel(name, entry)
        let operation = LedgerEthereumSignTypedDataHashed(path: Self.ledgerjsPath, domainHash: domainHash, messageHash: messageHash)
        let signature = try LedgerReplay.run(operation, on: channel)
        #expect(Int(signature.v) == (try expected.int("v")))
        #expect(signature.r == (try expected.hex("r")))
        #expect(signature.s == (try expected.hex("s")))
        let digest = Keccak256.hash([0x19, 0x01] + domainHash + messageHash)
        #expect(try signature.recoverSigner(digest: digest).checksummed == "0xCeDE624C137774056BAdfDcab203810fDa1Cbc2B")
        #expect(channel.isFinished)
    }

    /// ledger-live's USDC permit: B0 01 first (the client checks the app), then the full flow on the same channel.
    @Test(arguments: [true, false])
    func fullTypedDataPermit(documentOrder: Bool) throws {
        let name = "eth_sign_eip712_full_permit"
        let entry = try LedgerReplay.entry(Self.file, name)
        let expected = try #require(entry["expected"])
        let document = try #require(entry["typed_data"])
        let typedData = try TypedData(json: document)
        let hashes = try typedData.hashes()
        #expect(hashes.domainHash == (try expected.hex("domainSeparator")))
        #expect(hashes.messageHash == (try expected.hex("hashStruct")))

        let channel = try LedgerReplay.channel(name, entry)
        let app = try LedgerReplay.run(LedgerGetAppAndVersion(), on: channel)
        #expect(app == AppInfo(name: "Ethereum", version: "1.0.0", flags: [0x00]))
        let operation = LedgerEthereumSignTypedDataFull(
            path: try DerivationPath(parsing: "m/44'/60'/0'/0/0"), typedData: typedData,
            structOrder: documentOrder ? try LedgerReplay.typeOrder(document) : nil)
        let signature = try LedgerReplay.run(operation, on: channel)
        #expect(Int(signature.v) == (try expected.int("v")))
        #expect(signature.r == (try expected.hex("r")))
        #expect(signature.s == (try expected.hex("s")))
        // Signed by the Speculos seed at m/44'/60'/0'/0/0 (the notes).
        #expect(try signature.recoverSigner(digest: hashes.digest).checksummed == "0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D")
        #expect(channel.isFinished)
    }
}

@Suite("Ethereum operations fed by hand, without a channel")
struct LedgerEthereumStateMachineTests {
    static let path = DerivationPath(indexes: [0x8000_002C, 0x8000_003C, 0x8000_0000, 0, 0])
    /// The Speculos-seed reply to E0 02 at m/44'/60'/0'/0/0 (recorded_eth_app_1_22_0.json).
    static let publicKeyHex =
        "04ef5b152e3f15eb0c50c9916161c2309e54bd87b9adce722d69716bcdef85f547678e15ab40a78919c7284e67a17ee9a96e8b9886b60f767d93023bac8dbc16e4"
    static let addressText = "Dad77910DbDFdE764fC21FCD4E74D71bBACA6D8D"
    /// A recorded signature reply, v | r | s.
    static let signatureHex =
        "1c61f1d466907425f0726675f8aa32a6d5e4e209b88a82e7100c9936c1984e877b58b65f5b99d31f0f9e29e1c8166564f0027142e8467e3a4a453e0a9b2788a464"

    static func addressReply(_ text: String = addressText, extra: [UInt8] = []) throws -> APDUResponse {
        APDUResponse(data: [0x41] + (try #require(Hex.decode(publicKeyHex))) + [UInt8(text.utf8.count)] + Array(text.utf8) + extra,
                     statusWord: 0x9000)
    }

    static func expectProtocolError(_ mentioning: String, sourceLocation: SourceLocation = #_sourceLocation,
                                    _ body: () throws -> Void) {
        LedgerReplay.expectProtocolError(mentioning, sourceLocation: sourceLocation, body)
    }

    @Test func getAddressDecodesByHand() throws {
        var operation = LedgerEthereumGetAddress(path: Self.path, display: true, returnChainCode: true, chainID: 0x0102)
        #expect(Hex.encode(try operation.start().bytes)
            == "e00201011d058000002c8000003c800000000000000000000000" + "0000000000000102")
        let chainCode = [UInt8](repeating: 0xAB, count: 32)
        guard case .finished(let account) = try operation.handle(try Self.addressReply(extra: chainCode)) else {
            Issue.record("expected the result")
            return
        }
        #expect(account.address.checksummed == "0x" + Self.addressText)
        #expect(account.chainCode == chainCode)
    }

    @Test func getAddressAcceptsAnyCaseOfTheRightDigits() throws {
        var operation = LedgerEthereumGetAddress(path: Self.path)
        _ = try operation.start()
        guard case .finished(let account) = try operation.handle(try Self.addressReply(Self.addressText.lowercased())) else {
            Issue.record("expected the result")
            return
        }
        #expect(account.address.checksummed == "0x" + Self.addressText)
    }

    @Test func getAddressRefusesMalformedReplies() throws {
        var missingChainCode = LedgerEthereumGetAddress(path: Self.path, returnChainCode: true)
        _ = try missingChainCode.start()
        Self.expectProtocolError("ends inside its chain code") { _ = try missingChainCode.handle(try Self.addressReply()) }

        var unexpectedChainCode = LedgerEthereumGetAddress(path: Self.path)
        _ = try unexpectedChainCode.start()
        Self.expectProtocolError("unexpected bytes") {
            _ = try unexpectedChainCode.handle(try Self.addressReply(extra: [UInt8](repeating: 0, count: 32)))
        }

        var wrongAddress = LedgerEthereumGetAddress(path: Self.path)
        _ = try wrongAddress.start()
        Self.expectProtocolError("but its public key gives 0xDad7") {
            _ = try wrongAddress.handle(try Self.addressReply("cba98362e199c41e1864d0923af9646d3a648451"))
        }

        var shortAddress = LedgerEthereumGetAddress(path: Self.path)
        _ = try shortAddress.start()
        Self.expectProtocolError("address of 38 characters") {
            _ = try shortAddress.handle(try Self.addressReply(String(Self.addressText.dropLast(2))))
        }

        var compressedKey = LedgerEthereumGetAddress(path: Self.path)
        _ = try compressedKey.start()
        Self.expectProtocolError("public key of 33 bytes") {
            _ = try compressedKey.handle(APDUResponse(data: [0x21] + [UInt8](repeating: 2, count: 33), statusWord: 0x9000))
        }

        var empty = LedgerEthereumGetAddress(path: Self.path)
        _ = try empty.start()
        Self.expectProtocolError("ends inside its public key length") { _ = try empty.handle(APDUResponse(statusWord: 0x9000)) }
    }

    @Test func getAddressRefusesPathsTooDeepForTheApp() {
        var operation = LedgerEthereumGetAddress(path: DerivationPath(indexes: Array(repeating: 1, count: 11)))
        #expect(throws: DeviceError.self) { try operation.start() }
    }

    @Test func configurationOfTheWrongLength() throws {
        var operation = LedgerEthereumGetConfiguration()
        #expect(try operation.start().bytes == [0xE0, 0x06, 0x00, 0x00, 0x00])
        Self.expectProtocolError("is 3 bytes; expected 4") {
            _ = try operation.handle(APDUResponse(data: [0x01, 0x01, 0x16], statusWord: 0x9000))
        }
    }

    @Test func personalMessageChunksAndFinishes() throws {
        let message = [UInt8](repeating: 0x61, count: 300)
        var operation = LedgerEthereumSignPersonalMessage(path: Self.path, message: message)
        let first = try operation.start()
        #expect(first.p1 == 0x00)
        #expect(first.data.count == 150)
        #expect(Array(first.data[21..<25]) == [0x00, 0x00, 0x01, 0x2C])
        guard case .send(let second) = try operation.handle(APDUResponse(statusWord: 0x9000)) else {
            Issue.record("expected a second chunk")
            return
        }
        #expect(second.p1 == 0x80)
        #expect(second.data.count == 150)
        guard case .send(let third) = try operation.handle(APDUResponse(statusWord: 0x9000)) else {
            Issue.record("expected a third chunk")
            return
        }
        #expect(third.data.count == 300 - 125 - 150)
        guard case .finished(let signature) = try operation.handle(
            APDUResponse(data: try #require(Hex.decode(Self.signatureHex)), statusWord: 0x9000))
        else {
            Issue.record("expected the signature")
            return
        }
        #expect(signature.v == 28)
    }

    @Test func personalMessageOfZeroBytesIsOneAPDU() throws {
        var operation = LedgerEthereumSignPersonalMessage(path: Self.path, message: [])
        #expect(Hex.encode(try operation.start().bytes) == "e008000019058000002c8000003c80000000000000000000000000000000")
    }

    @Test func personalMessageRefusesMalformedReplies() throws {
        var operation = LedgerEthereumSignPersonalMessage(path: Self.path, message: Array("hi".utf8))
        _ = try operation.start()
        Self.expectProtocolError("is 64 bytes; expected 65") {
            _ = try operation.handle(APDUResponse(data: [UInt8](repeating: 1, count: 64), statusWord: 0x9000))
        }
        var badV = LedgerEthereumSignPersonalMessage(path: Self.path, message: Array("hi".utf8))
        _ = try badV.start()
        var reply = try #require(Hex.decode(Self.signatureHex))
        reply[0] = 0x25
        Self.expectProtocolError("v = 37") { _ = try badV.handle(APDUResponse(data: reply, statusWord: 0x9000)) }

        var chunked = LedgerEthereumSignPersonalMessage(path: Self.path, message: [UInt8](repeating: 0, count: 200))
        _ = try chunked.start()
        Self.expectProtocolError("should be only a status word") {
            _ = try chunked.handle(APDUResponse(data: [0x00], statusWord: 0x9000))
        }
    }

    @Test func replyBeforeStartIsAProtocolError() {
        var operation = LedgerEthereumSignPersonalMessage(path: Self.path, message: [])
        Self.expectProtocolError("before its first command") { _ = try operation.handle(APDUResponse(statusWord: 0x9000)) }
    }

    @Test func rejectionAndWrongAppStatusWords() throws {
        var operation = LedgerEthereumSignPersonalMessage(path: Self.path, message: [0x00])
        _ = try operation.start()
        #expect(throws: DeviceError.rejectedOnDevice) { try operation.handle(APDUResponse(statusWord: 0x6985)) }
        var config = LedgerEthereumGetConfiguration()
        _ = try config.start()
        #expect(throws: DeviceError.wrongApp(expected: "Ethereum", open: nil)) { try config.handle(APDUResponse(statusWord: 0x6E00)) }
        var address = LedgerEthereumGetAddress(path: Self.path)
        _ = try address.start()
        #expect(throws: DeviceError.locked) { try address.handle(APDUResponse(statusWord: 0x5515)) }
    }

    @Test func hashedTypedDataSettingsAndArguments() throws {
        var operation = LedgerEthereumSignTypedDataHashed(
            path: Self.path, domainHash: [UInt8](repeating: 1, count: 32), messageHash: [UInt8](repeating: 2, count: 32))
        let command = try operation.start()
        #expect(command.bytes.prefix(5) == [0xE0, 0x0C, 0x00, 0x00, 0x55])
        LedgerReplay.expectSettingsRefuse(naming: "Blind signing") { _ = try operation.handle(APDUResponse(statusWord: 0x6A80)) }
        var short = LedgerEthereumSignTypedDataHashed(path: Self.path, domainHash: [1], messageHash: [UInt8](repeating: 2, count: 32))
        #expect(throws: DeviceError.self) { try short.start() }
    }
}
