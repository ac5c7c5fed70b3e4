import BridgeCore
import BridgeCrypto
import BridgeDevices
import BridgeSimulator
import TestVectors
import Testing

/// The simulated Ledger reproduces the Speculos-seed known answers (speculos_seed_known_answers.json), driven as a
/// host would drive the real apps.
@Suite("Simulated Ledger: Speculos-seed known answers")
struct SimulatedLedgerKnownAnswerTests {
    let answers: JSONValue

    let bitcoin: JSONValue

    init() throws {
        answers = try TestVectors.json("ledger/speculos_seed_known_answers.json")
        bitcoin = try Self.section(answers, "bitcoin")
    }

    static func section(_ value: JSONValue, _ key: String) throws -> JSONValue {
        try #require(value[key], "vector section \(key) is missing")
    }

    func section(_ value: JSONValue, _ key: String) throws -> JSONValue { try Self.section(value, key) }

    @Test func masterFingerprint() throws {
        let device = try SimulatorTest.device(.init(app: .bitcoinTest))
        let response = device.handle(try SimulatorTest.command("e105000100"))
        let fingerprint = try bitcoin.string("master_fingerprint")
        #expect(Hex.encode(response.bytes) == fingerprint + "9000")
    }

    @Test func testnetExtendedPublicKeys() throws {
        let vectors = try section(bitcoin, "xpubs").array("vectors")
        #expect(vectors.count == 13)
        let device = try SimulatorTest.device(.init(app: .bitcoinTest))
        for vector in vectors {
            let path = try vector.string("path")
            let command = try APDUCommand(
                cla: 0xE1, ins: 0x00, p1: 0, p2: 1, data: [0x00] + SimulatorTest.encodedPath(try SimulatorTest.path(path)))
            let response = device.handle(command)
            #expect(response.statusWord == 0x9000, "\(path)")
            #expect(String(decoding: response.data, as: UTF8.self) == (try vector.string("xpub")), "\(path)")
        }
    }

    @Test func defaultWalletAddresses() throws {
        let vectors = try section(bitcoin, "wallet_addresses").array("vectors")
        #expect(vectors.count == 9)
        let device = try SimulatorTest.device(.init(app: .bitcoinTest))
        for vector in vectors {
            let descriptor = try vector.string("descriptor_template")
            var host = BitcoinTestHost()
            let walletID = host.addDefaultPolicy(descriptor: descriptor, key: try vector.string("key"))
            let change = try vector.int("change")
            let index = try vector.int("index")
            let address = try vector.string("address")
            let response = try host.run(
                try walletAddressCommand(walletID: walletID, change: UInt8(change), index: UInt32(index)), on: device)
            #expect(response.statusWord == 0x9000, "\(descriptor) \(change)/\(index)")
            #expect(String(decoding: response.data, as: UTF8.self) == address, "\(descriptor) \(change)/\(index)")
        }
    }

    @Test func bitcoinMessageSignatures() throws {
        let vectors = try section(bitcoin, "sign_message").array("vectors")
        #expect(vectors.count == 4)
        for app in [SimulatedLedger.App.bitcoinTest, .bitcoin] {
            let device = try SimulatorTest.device(.init(app: app))
            for vector in vectors {
                let message = Array(try vector.string("message").utf8)
                let path = try vector.string("path")
                let signature = try vector.string("signature_hex")
                var host = BitcoinTestHost()
                let chunks = stride(from: 0, to: message.count, by: 64).map { Array(message[$0..<min($0 + 64, message.count)]) }
                let root = host.addMerkleTree(chunks)
                // The vectors' coin type 1 is not checked by SIGN_MESSAGE, so the mainnet build signs them too.
                let data = SimulatorTest.encodedPath(try SimulatorTest.path(path))
                    + SimulatorTest.compactSize(message.count) + root
                let response = try host.run(try APDUCommand(cla: 0xE1, ins: 0x10, p1: 0, p2: 1, data: data), on: device)
                #expect(Hex.encode(response.bytes) == signature + "9000", "\(app) \(path)")
            }
        }
    }

    @Test func ethereumAccounts() throws {
        let accounts = try section(answers, "ethereum").array("accounts")
        #expect(accounts.count == 4)
        let device = try SimulatorTest.device()
        for account in accounts {
            let path = try SimulatorTest.path(try account.string("path"))
            let response = device.handle(try APDUCommand(cla: 0xE0, ins: 0x02, p1: 0, p2: 1, data: SimulatorTest.encodedPath(path)))
            let address = try account.string("address")
            let expected = "41" + (try account.string("publicKey_uncompressed")) + "28"
                + Hex.encode(Array(address.dropFirst(2).utf8)) + (try account.string("chainCode")) + "9000"
            #expect(Hex.encode(response.bytes) == expected, "\(address)")
        }
    }

    private func walletAddressCommand(walletID: [UInt8], change: UInt8, index: UInt32) throws -> APDUCommand {
        let indexBytes = (0..<4).map { UInt8(truncatingIfNeeded: index >> (24 - 8 * $0)) }
        return try APDUCommand(
            cla: 0xE1, ins: 0x03, p1: 0, p2: 1,
            data: [0x00] + walletID + [UInt8](repeating: 0, count: 32) + [change] + indexBytes)
    }
}

extension BitcoinTestHost {
    /// Registers a default single-key policy in v2 form (`02 | name "" | varint len | sha256(template) | 01 |
    /// keysRoot`, doc/wallet.md) and returns its wallet id.
    mutating func addDefaultPolicy(descriptor: String, key: String) -> [UInt8] {
        let template = Array(descriptor.utf8)
        addPreimage(template)
        let keysRoot = addMerkleTree([Array(key.utf8)])
        let serialized = [0x02, 0x00, UInt8(template.count)] + Hash.sha256(template) + [0x01] + keysRoot
        addPreimage(serialized)
        return Hash.sha256(serialized)
    }
}
