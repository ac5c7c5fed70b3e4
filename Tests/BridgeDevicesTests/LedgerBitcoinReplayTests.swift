import BridgeCore
import BridgeCrypto
import BridgeDevices
import BridgeSimulator
import Testing
import TestVectors

/// Replays of the Bitcoin app 2.x transcripts: the operations must send exactly the recorded bytes (the official
/// ledger-bitcoin client's, P2=01, or hw-app-acre's ledgerjs fork, P2=00) and decode the recorded answers.
@Suite("Ledger Bitcoin app 2.x replayed from recorded transcripts")
struct LedgerBitcoinReplayTests {
    static let recordedFile = "recorded_btc_app_2_4_6.json"
    static let transcriptsFile = "btc_app_transcripts.json"

    /// Every entry of recorded_btc_app_2_4_6.json, each replayed by a test below.
    static let recordedNames: Set = [
        "btc_get_app_and_version", "btc_get_master_fingerprint", "btc_get_extended_pubkey_m84h_0h_0h",
        "btc_get_extended_pubkey_m44h_0h_0h", "btc_get_wallet_address_wpkh_default_index0",
        "btc_sign_message_hello_world_m84h_0h_0h_0_0_approved", "btc_sign_message_hello_world_m84h_0h_0h_0_0_rejected",
        "btc_wrong_app_eth_get_address",
    ]
    /// The protocol-2 entries of btc_app_transcripts.json. The `btc_legacy_*` entries are the 1.x app (CLA E0,
    /// E0 40 / E0 4E), which WalletBridge does not speak: protocol 2.x only, so they are not replayed here.
    static let protocol2Names: Set = [
        "btc_new_get_xpub_fingerprint_and_wallet_address", "btc_new_sign_message_test_m84h_1h_0h_0_0",
        "btc_new_sign_message_test_m44h_0h_0h_0_0",
    ]

    static func entries(_ file: String) throws -> [JSONValue] {
        try #require(try TestVectors.json("ledger/" + file).arrayValue)
    }

    static func entry(_ file: String, _ name: String) throws -> JSONValue {
        try #require(try entries(file).first { $0["name"]?.stringValue == name }, "no entry \(name) in \(file)")
    }

    static func exchanges(_ entry: JSONValue) throws -> [RecordedExchange] {
        try entry.array("exchanges").map { RecordedExchange(command: try $0.hex("command_hex"), response: try $0.hex("response_hex")) }
    }

    static func channel(_ entry: JSONValue) throws -> ReplayAPDUChannel {
        ReplayAPDUChannel(name: try entry.string("name"), exchanges: try exchanges(entry))
    }

    static var deadline: ContinuousClock.Instant { .now + .seconds(30) }

    /// The error `body` throws, if any.
    static func thrown<T>(_ body: () throws(DeviceError) -> T) -> DeviceError? {
        do {
            _ = try body()
            return nil
        } catch {
            return error
        }
    }

    /// The Speculos seed's key at `path`, for checks independent of the device's answers.
    static func speculosKey(_ path: String) throws -> ExtendedKey {
        let mnemonic = try Mnemonic(phrase: try #require(
            try TestVectors.json("ledger/speculos_seed_known_answers.json")["seed"]).string("mnemonic"))
        return try ExtendedKey.master(seed: mnemonic.seed()).derived(try DerivationPath(parsing: path))
    }

    // MARK: Coverage

    @Test func everyRecordedEntryIsReplayed() throws {
        #expect(Set(try Self.entries(Self.recordedFile).map { try $0.string("name") }) == Self.recordedNames)
    }

    @Test func everyProtocol2TranscriptIsReplayed() throws {
        let names = try Self.entries(Self.transcriptsFile).map { try $0.string("name") }
        #expect(Set(names.filter { !$0.hasPrefix("btc_legacy_") }) == Self.protocol2Names)
    }

    // MARK: recorded_btc_app_2_4_6.json (ledger-bitcoin 0.4.2, P2 = 01)

    @Test func appAndVersion() throws {
        // No LedgerGetAppAndVersion operation exists yet, so B0 01 is decoded here:
        // 01 | nameLength | name | versionLength | version | flagsLength | flags (ledger.md section 3).
        let entry = try Self.entry(Self.recordedFile, "btc_get_app_and_version")
        let channel = try Self.channel(entry)
        let response = try channel.exchange(try APDUCommand(cla: 0xB0, ins: 0x01), deadline: Self.deadline, isCancelled: { false })
        #expect(channel.isFinished)
        let data = try response.requireOK(LedgerBitcoin.statusContext)
        let expected = try #require(entry["expected"])
        let decoded = try #require(Self.decodeAppAndVersion(data))
        #expect(decoded.format == (try expected.int("format")))
        #expect(decoded.name == (try expected.string("app_name")))
        #expect(decoded.version == (try expected.string("app_version")))
        #expect(Hex.encode(decoded.flags) == (try expected.string("flags_hex")))
        #expect(LedgerBitcoin.appName == (try expected.string("app_name")))
    }

    /// B0 01 reply: `format | nameLength | name | versionLength | version | flagsLength | flags`; nil if malformed.
    static func decodeAppAndVersion(_ data: [UInt8]) -> (format: Int, name: String, version: String, flags: [UInt8])? {
        var rest = data[...]
        func field() -> [UInt8]? {
            guard let length = rest.popFirst().map(Int.init), rest.count >= length else { return nil }
            defer { rest = rest.dropFirst(length) }
            return Array(rest.prefix(length))
        }
        guard let format = rest.popFirst(), let name = field(), let version = field(), let flags = field(), rest.isEmpty else {
            return nil
        }
        return (Int(format), String(decoding: name, as: UTF8.self), String(decoding: version, as: UTF8.self), flags)
    }

    @Test func masterFingerprint() throws {
        let entry = try Self.entry(Self.recordedFile, "btc_get_master_fingerprint")
        let channel = try Self.channel(entry)
        let fingerprint = try channel.run(try LedgerBitcoinGetMasterFingerprint(), deadline: Self.deadline)
        #expect(channel.isFinished)
        #expect(fingerprint == 0xF5AC_C2FD)
        #expect(Hex.encode([24, 16, 8, 0].map { UInt8(truncatingIfNeeded: fingerprint >> $0) })
            == (try #require(entry["expected"]).string("master_fingerprint")))
    }

    @Test(arguments: ["btc_get_extended_pubkey_m84h_0h_0h", "btc_get_extended_pubkey_m44h_0h_0h"])
    func extendedPublicKey(name: String) throws {
        let entry = try Self.entry(Self.recordedFile, name)
        let input = try #require(entry["input"])
        let path = try DerivationPath(parsing: try input.string("path"))
        let channel = try Self.channel(entry)
        let xpub = try channel.run(
            try LedgerBitcoinGetExtendedPublicKey(path: path, display: input["display"]?.boolValue ?? true),
            deadline: Self.deadline)
        #expect(channel.isFinished)
        #expect(xpub == (try #require(entry["expected"]).string("xpub")))
        #expect(xpub == (try Self.speculosKey(path.description).neutered.xpub(network: .main)))
    }

    @Test func walletAddressOfTheDefaultWpkhPolicy() throws {
        let entry = try Self.entry(Self.recordedFile, "btc_get_wallet_address_wpkh_default_index0")
        let input = try #require(entry["input"])
        let expected = try #require(entry["expected"])
        let policyInput = try #require(input["wallet_policy"])
        let policy = try WalletPolicy(
            name: try policyInput.string("name"), descriptorTemplate: try policyInput.string("descriptor_template"),
            keys: try policyInput.array("keys_info").compactMap(\.stringValue))
        let channel = try Self.channel(entry)
        let address = try channel.run(
            try LedgerBitcoinGetWalletAddress(
                policy: policy, hmac: nil, change: try input.int("change") == 1, index: UInt32(try input.int("address_index")),
                display: input["display"]?.boolValue ?? true),
            deadline: Self.deadline)
        #expect(channel.isFinished)
        #expect(address == (try expected.string("address")))
        #expect(channel.replayed - 1 == (try expected.int("client_command_round_trips")))
    }

    @Test func defaultWalletAddressFromThePath() throws {
        // The composite for `address --coin btc`: account xpub, fingerprint, then the address, stitched from the
        // three recorded entries (same app session, same P2).
        let names = ["btc_get_extended_pubkey_m84h_0h_0h", "btc_get_master_fingerprint", "btc_get_wallet_address_wpkh_default_index0"]
        let exchanges = try names.flatMap { try Self.exchanges(try Self.entry(Self.recordedFile, $0)) }
        let channel = ReplayAPDUChannel(name: "default wpkh address", exchanges: exchanges)
        let expected = try #require(try Self.entry(Self.recordedFile, names[2])["expected"])
        let result = try channel.run(
            try LedgerBitcoinGetDefaultWalletAddress(path: try DerivationPath(parsing: try expected.string("derivation_path"))),
            deadline: Self.deadline)
        #expect(channel.isFinished)
        #expect(result.address == (try expected.string("address")))
        #expect(Hex.encode(result.publicKey.compressed) == (try expected.string("public_key")))
        #expect(result.masterFingerprint == 0xF5AC_C2FD)
        #expect(result.policy.id == (try expected.hex("wallet_id")))
        #expect(BitcoinAddress.address(for: result.publicKey, script: .p2wpkh) == result.address)
    }

    @Test func signMessageApproved() throws {
        let entry = try Self.entry(Self.recordedFile, "btc_sign_message_hello_world_m84h_0h_0h_0_0_approved")
        let input = try #require(entry["input"])
        let expected = try #require(entry["expected"])
        let message = try input.hex("message_hex")
        let channel = try Self.channel(entry)
        let signature = try channel.run(
            try LedgerBitcoinSignMessage(path: try DerivationPath(parsing: try input.string("path")), message: message),
            deadline: Self.deadline)
        #expect(channel.isFinished)
        #expect(channel.replayed - 1 == (try expected.int("client_command_round_trips")))
        #expect(Int(signature.header) == (try expected.int("header")))
        #expect(signature.recoveryID == (try expected.int("recovery_id")))
        #expect(signature.r == (try expected.hex("r")))
        #expect(signature.s == (try expected.hex("s")))
        #expect(signature.base64 == (try expected.string("signature_base64")))
        #expect(BitcoinMessage.digest(message) == (try expected.hex("signed_digest")))
        #expect(BitcoinMessage.verify(signature: signature.bytes, message: message, address: try expected.string("p2wpkh_address")))
        #expect(!BitcoinMessage.verify(signature: signature.bytes, message: Array("hello worle".utf8),
                                       address: try expected.string("p2wpkh_address")))
    }

    @Test func signMessageRejectedOnTheDevice() throws {
        let entry = try Self.entry(Self.recordedFile, "btc_sign_message_hello_world_m84h_0h_0h_0_0_rejected")
        let input = try #require(entry["input"])
        let channel = try Self.channel(entry)
        let operation = try LedgerBitcoinSignMessage(
            path: try DerivationPath(parsing: try input.string("path")), message: try input.hex("message_hex"))
        #expect(Self.thrown { () throws(DeviceError) in try channel.run(operation, deadline: Self.deadline) } == .rejectedOnDevice)
        #expect(channel.isFinished)
    }

    @Test func ethereumCommandToTheBitcoinApp() throws {
        let entry = try Self.entry(Self.recordedFile, "btc_wrong_app_eth_get_address")
        let exchange = try #require(try Self.exchanges(entry).first)
        // The Ethereum operations live elsewhere; replay the recorded E0 02 as they would send it and map its 6E00.
        struct RecordedCommand: APDUOperation {
            let command: APDUCommand
            func start() throws(DeviceError) -> APDUCommand { command }
            func handle(_ response: APDUResponse) throws(DeviceError) -> APDUStep<[UInt8]> {
                .finished(try response.requireOK(LedgerStatusWord.Context(app: "Ethereum", openApp: "Bitcoin")))
            }
        }
        let channel = try Self.channel(entry)
        let operation = RecordedCommand(command: try APDUCommand(parsing: exchange.command))
        #expect(Self.thrown { () throws(DeviceError) in try channel.run(operation, deadline: Self.deadline) }
            == .wrongApp(expected: "Ethereum", open: "Bitcoin"))
        #expect(channel.isFinished)

        // And the Bitcoin operations read the same 6E00 (from the Ethereum app) as the wrong app.
        let response = try APDUResponse(parsing: exchange.response)
        var fingerprint = try LedgerBitcoinGetMasterFingerprint()
        #expect(Self.thrown { () throws(DeviceError) in try fingerprint.handle(response) } == .wrongApp(expected: "Bitcoin", open: nil))
        var xpub = try LedgerBitcoinGetExtendedPublicKey(path: try DerivationPath(parsing: "m/84'/0'/0'"))
        xpub.statusContext = LedgerStatusWord.Context(app: "Bitcoin", openApp: "Ethereum")
        #expect(Self.thrown { () throws(DeviceError) in try xpub.handle(response) } == .wrongApp(expected: "Bitcoin", open: "Ethereum"))
    }

    // MARK: btc_app_transcripts.json, protocol 2 entries (hw-app-acre's ledgerjs fork, P2 = 00)

    @Test func acreXpubFingerprintAndWalletAddress() throws {
        let entry = try Self.entry(Self.transcriptsFile, "btc_new_get_xpub_fingerprint_and_wallet_address")
        let channel = try Self.channel(entry)
        let legacy = LedgerBitcoin.legacyProtocolVersion
        // ledgerjs getWalletPublicKey: the full path's xpub, then the default-wallet address, then (a second call) the account xpub.
        let leafXpub = try channel.run(
            try LedgerBitcoinGetExtendedPublicKey(path: try DerivationPath(parsing: "m/84'/1'/0'/0/0"), protocolVersion: legacy),
            deadline: Self.deadline)
        #expect(leafXpub == (try Self.speculosKey("m/84'/1'/0'/0/0").neutered.xpub(network: .test)))
        #expect(leafXpub.hasPrefix("tpubDGB3r44m"))

        let result = try channel.run(
            try LedgerBitcoinGetDefaultWalletAddress(path: try DerivationPath(parsing: "m/84'/1'/0'/0/0"), protocolVersion: legacy),
            deadline: Self.deadline)
        // The address app-bitcoin-new tests/test_get_wallet_address.py expects for this policy (also in the entry's notes).
        #expect(result.address == "tb1qzdr7s2sr0dwmkwx033r4nujzk86u0cy6fmzfjk")
        #expect(result.masterFingerprint == 0xF5AC_C2FD)
        #expect(result.accountXpub == (try Self.speculosKey("m/84'/1'/0'").neutered.xpub(network: .test)))
        #expect(Hex.encode(result.policy.id) == "893198490079bb0667594bfa902274b1cd28d7ed9df140121dc69021bead679f")
        #expect(BitcoinAddress.address(for: result.publicKey, script: .p2wpkh, network: .test) == result.address)

        let accountXpub = try channel.run(
            try LedgerBitcoinGetExtendedPublicKey(path: try DerivationPath(parsing: "m/84'/1'/0'"), protocolVersion: legacy),
            deadline: Self.deadline)
        #expect(accountXpub == result.accountXpub)
        #expect(channel.isFinished)
    }

    @Test(arguments: [
        ("btc_new_sign_message_test_m84h_1h_0h_0_0", "m/84'/1'/0'/0/0", BitcoinScriptType.p2wpkh, BitcoinNetwork.test),
        ("btc_new_sign_message_test_m44h_0h_0h_0_0", "m/44'/0'/0'/0/0", .p2pkh, .main),
    ])
    func acreSignMessage(name: String, path: String, script: BitcoinScriptType, network: BitcoinNetwork) throws {
        let entry = try Self.entry(Self.transcriptsFile, name)
        let message = Array(try entry.string("message").utf8)
        let channel = try Self.channel(entry)
        let signature = try channel.run(
            try LedgerBitcoinSignMessage(
                path: try DerivationPath(parsing: path), message: message, protocolVersion: LedgerBitcoin.legacyProtocolVersion),
            deadline: Self.deadline)
        #expect(channel.isFinished)
        #expect(signature.header == 0x1F)
        if let expected = entry["expected"] {
            #expect(signature.recoveryID == (try expected.int("v")))
            #expect(signature.r == (try expected.hex("r")))
            #expect(signature.s == (try expected.hex("s")))
        }
        let address = BitcoinAddress.address(for: try Self.speculosKey(path).publicKey, script: script, network: network)
        #expect(BitcoinMessage.verify(signature: signature.bytes, message: message, address: address, network: network))
    }
}

@Suite("Ledger Bitcoin client commands and operations, driven directly")
struct LedgerBitcoinClientCommandTests {
    static func thrown<T>(_ body: () throws(DeviceError) -> T) -> DeviceError? {
        LedgerBitcoinReplayTests.thrown(body)
    }

    static func protocolErrorText(_ error: DeviceError?) -> String? {
        if case .protocolError(let text)? = error { return text }
        return nil
    }

    static func proofRequest(root: [UInt8], size: Int, index: Int) -> [UInt8] {
        [0x41] + root + LedgerBitcoinVarint.encode(size) + LedgerBitcoinVarint.encode(index)
    }

    @Test func repeatedRequestsGetIdenticalAnswers() throws {
        let chunks = LedgerBitcoinSignMessage.chunks(of: Array(repeating: 0x61, count: 200))
        var commands = LedgerBitcoinClientCommands()
        commands.addKnownList(chunks)
        let tree = MerkleTree(elements: chunks)
        let proofRequest = Self.proofRequest(root: tree.root, size: chunks.count, index: 2)
        let first = try commands.respond(to: proofRequest)
        #expect(try commands.respond(to: proofRequest) == first)
        // Four leaves: leaf 2's proof is leaf 3, then node(leaf 0, leaf 1).
        #expect(first == tree.leafHashes[2] + [0x02, 0x02] + tree.leafHashes[3]
            + MerkleTree.nodeHash(tree.leafHashes[0], tree.leafHashes[1]))
        let preimageRequest = [0x40, 0x00] + tree.leafHashes[3]
        let preimage = try commands.respond(to: preimageRequest)
        #expect(preimage == [9, 9, 0x00] + chunks[3])
        #expect(try commands.respond(to: preimageRequest) == preimage)
        #expect(commands.queuedElementCount == 0)

        // Through the operation: the same interruption twice gives the same CONTINUE APDU.
        var operation = try LedgerBitcoinSignMessage(path: try DerivationPath(parsing: "m/84'/0'/0'/0/0"), message: Array(repeating: 0x61, count: 200))
        _ = try operation.start()
        let interruption = APDUResponse(data: proofRequest, statusWord: 0xE000)
        guard case .send(let once) = try operation.handle(interruption), case .send(let twice) = try operation.handle(interruption) else {
            Issue.record("the interruption did not produce a CONTINUE")
            return
        }
        #expect(once == twice)
        #expect(once.bytes == [0xF8, 0x01, 0x00, 0x01, UInt8(first.count)] + first)
    }

    @Test func longPreimageOverflowsIntoGetMoreElements() throws {
        let preimage = (0..<300).map { UInt8(truncatingIfNeeded: $0) }
        var commands = LedgerBitcoinClientCommands()
        commands.addKnownPreimage(preimage)
        let answer = try commands.respond(to: [0x40, 0x00] + Hash.sha256(preimage))
        // varint(300) = FD 2C 01, then 255 - 3 - 1 = 251 bytes; the other 49 queue as 1-byte elements.
        #expect(answer.count == 255)
        #expect(Array(answer.prefix(4)) == [0xFD, 0x2C, 0x01, 251])
        #expect(Array(answer.dropFirst(4)) == Array(preimage.prefix(251)))
        #expect(commands.queuedElementCount == 49)
        let more = try commands.respond(to: [0xA0])
        #expect(more == [49, 1] + preimage.suffix(49))
        #expect(commands.queuedElementCount == 0)
        #expect(Self.protocolErrorText(Self.thrown { () throws(DeviceError) in try commands.respond(to: [0xA0]) })?
            .contains("no queued elements") == true)
    }

    @Test func deepProofOverflowsIntoGetMoreElements() throws {
        // 300 chunks (19,200 bytes): a depth-9 tree, so proofs carry 9 hashes and only 6 fit in one answer.
        let message = (0..<(300 * 64)).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let chunks = LedgerBitcoinSignMessage.chunks(of: message)
        #expect(chunks.count == 300)
        var commands = LedgerBitcoinClientCommands()
        commands.addKnownList(chunks)
        let tree = MerkleTree(elements: chunks)
        // Read every chunk as the device does: proof (+ more elements), check it against the root, then the preimage.
        for index in [0, 1, 127, 255, 256, 299] {
            let answer = try commands.respond(to: Self.proofRequest(root: tree.root, size: 300, index: index))
            let leafHash = Array(answer.prefix(32))
            let proofLength = Int(answer[32])
            let sent = Int(answer[33])
            #expect(answer.count == 34 + 32 * sent)
            #expect(answer.count <= 255)
            var proof = stride(from: 34, to: answer.count, by: 32).map { Array(answer[$0..<$0 + 32]) }
            while proof.count < proofLength {
                let more = try commands.respond(to: [0xA0])
                #expect(more[1] == 32)
                proof += stride(from: 2, to: more.count, by: 32).map { Array(more[$0..<$0 + 32]) }
                #expect(Int(more[0]) == (more.count - 2) / 32)
            }
            #expect(MerkleTree.root(fromLeafHash: leafHash, index: index, count: 300, proof: proof) == tree.root)
            let preimage = try commands.respond(to: [0x40, 0x00] + leafHash)
            #expect(Array(preimage.dropFirst(2)) == [0x00] + chunks[index])
        }
        // A new proof request while elements are still queued is refused, as ledger-bitcoin does.
        _ = try commands.respond(to: Self.proofRequest(root: tree.root, size: 300, index: 0))
        #expect(Self.protocolErrorText(Self.thrown { () throws(DeviceError) in
            try commands.respond(to: Self.proofRequest(root: tree.root, size: 300, index: 1))
        }) != nil)
    }

    @Test func merkleLeafIndex() throws {
        let elements: [[UInt8]] = [[1], [2], [3]]
        var commands = LedgerBitcoinClientCommands()
        commands.addKnownList(elements)
        let tree = MerkleTree(elements: elements)
        #expect(try commands.respond(to: [0x42] + tree.root + MerkleTree.leafHash([3])) == [0x01, 0x02])
        #expect(try commands.respond(to: [0x42] + tree.root + MerkleTree.leafHash([4])) == [0x00, 0x00])
    }

    @Test func yieldIsAnsweredEmptyAndKept() throws {
        var commands = LedgerBitcoinClientCommands()
        #expect(try commands.respond(to: [0x10, 0xAA, 0xBB]) == [])
        #expect(commands.yielded == [[0xAA, 0xBB]])
    }

    @Test func unknownCommandsAndDataAreProtocolErrors() throws {
        var commands = LedgerBitcoinClientCommands()
        commands.addKnownList([[0x01]])
        let unknownCommand = Self.protocolErrorText(Self.thrown { () throws(DeviceError) in try commands.respond(to: [0x55, 0x00]) })
        #expect(unknownCommand?.contains("0x55") == true)
        let hash = [UInt8](repeating: 0xAB, count: 32)
        let unknownHash = Self.protocolErrorText(Self.thrown { () throws(DeviceError) in try commands.respond(to: [0x40, 0x00] + hash) })
        #expect(unknownHash?.contains(Hex.encode(hash)) == true)
        let unknownRoot = Self.protocolErrorText(Self.thrown { () throws(DeviceError) in
            try commands.respond(to: Self.proofRequest(root: hash, size: 1, index: 0))
        })
        #expect(unknownRoot?.contains(Hex.encode(hash)) == true)
        let root = MerkleTree(elements: [[0x01]]).root
        #expect(Self.thrown { () throws(DeviceError) in try commands.respond(to: Self.proofRequest(root: root, size: 2, index: 1)) } != nil)
        #expect(Self.thrown { () throws(DeviceError) in try commands.respond(to: [0x40, 0x01] + hash) } != nil)
        #expect(Self.thrown { () throws(DeviceError) in try commands.respond(to: [0x40, 0x00] + hash.prefix(31)) } != nil)
        #expect(Self.thrown { () throws(DeviceError) in try commands.respond(to: []) } != nil)

        // Through an operation: E000 with an unknown command fails the operation.
        var operation = try LedgerBitcoinGetMasterFingerprint()
        let error = Self.thrown { () throws(DeviceError) in try operation.handle(APDUResponse(data: [0x77], statusWord: 0xE000)) }
        #expect(Self.protocolErrorText(error)?.contains("0x77") == true)
        #expect(error?.code == .protocolError)
    }

    @Test func commandBytes() throws {
        let path = try DerivationPath(parsing: "m/84'/0'/0'")
        #expect(try LedgerBitcoinGetExtendedPublicKey(path: path, display: true).start().bytes
            == [0xE1, 0x00, 0x00, 0x01, 0x0E, 0x01, 0x03] + [0x80, 0, 0, 0x54, 0x80, 0, 0, 0, 0x80, 0, 0, 0])
        #expect(try LedgerBitcoinGetMasterFingerprint(protocolVersion: 0).start().bytes == [0xE1, 0x05, 0x00, 0x00, 0x00])
        // SIGN_MESSAGE of "test": path | varint 04 | sha256(00 || "test").
        let sign = try LedgerBitcoinSignMessage(path: try DerivationPath(parsing: "m/84'/1'/0'/0/0"), message: Array("test".utf8),
                                                protocolVersion: 0)
        #expect(Hex.encode(try sign.start().bytes)
            == "e11000003605800000548000000180000000000000000000000004dbebd10e61bc8c28591273feafbbef95d544f874693301d8f7f8e54c6e30058e")
    }

    @Test func argumentsTheAppWouldRefuse() throws {
        let policy = try WalletPolicy(descriptorTemplate: "wpkh(@0/**)", keys: ["[f5acc2fd/84'/0'/0']xpub"])
        #expect(throws: DeviceError.self) { try LedgerBitcoinGetWalletAddress(policy: policy, hmac: [0], change: false, index: 0) }
        #expect(throws: DeviceError.self) {
            try LedgerBitcoinGetWalletAddress(policy: policy, change: false, index: DerivationPath.hardenedOffset)
        }
        #expect(throws: DeviceError.self) {
            try LedgerBitcoinGetExtendedPublicKey(path: DerivationPath(indexes: Array(repeating: 0, count: 9)))
        }
        for bad in ["m/84'/0'/0'", "m/84'/0'/0'/2/0", "m/84'/0'/0/0/0", "m/84'/0'/0'/0/1'", "m/84'/0'/0'/0/0/0"] {
            #expect(throws: DeviceError.self) { try LedgerBitcoinGetDefaultWalletAddress(path: try DerivationPath(parsing: bad)) }
        }
        let change = try LedgerBitcoinDefaultAddressPath(path: try DerivationPath(parsing: "m/49'/1'/0'/1/15"))
        #expect(change.change && change.index == 15 && change.script == .p2shP2wpkh)
        #expect(change.accountPath == (try DerivationPath(parsing: "m/49'/1'/0'")))
    }

    @Test func malformedResultsAreProtocolErrors() throws {
        var fingerprint = try LedgerBitcoinGetMasterFingerprint()
        #expect(Self.thrown { () throws(DeviceError) in try fingerprint.handle(APDUResponse(data: [1, 2, 3], statusWord: 0x9000)) }?
            .code == .protocolError)
        var xpub = try LedgerBitcoinGetExtendedPublicKey(path: try DerivationPath(parsing: "m/84'/0'/0'"))
        #expect(Self.thrown { () throws(DeviceError) in try xpub.handle(APDUResponse(data: Array("xpubNotAKey".utf8), statusWord: 0x9000)) }?
            .code == .protocolError)
        var sign = try LedgerBitcoinSignMessage(path: try DerivationPath(parsing: "m/84'/0'/0'/0/0"), message: [1])
        #expect(Self.thrown { () throws(DeviceError) in try sign.handle(APDUResponse(data: [0x1F], statusWord: 0x9000)) }?
            .code == .protocolError)
    }
}
