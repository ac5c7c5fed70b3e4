import BridgeCore
import BridgeCrypto
import BridgeDevices
import Testing
import TestVectors

@Suite("Ledger Bitcoin wallet policies")
struct WalletPolicyTests {
    static let fingerprint: UInt32 = 0xF5AC_C2FD

    static func entry(_ file: String, _ name: String) throws -> JSONValue {
        let entries = try TestVectors.json("ledger/" + file).arrayValue ?? []
        return try #require(entries.first { $0["name"]?.stringValue == name }, "no entry \(name) in \(file)")
    }

    @Test func recordedDefaultWpkhPolicyV2() throws {
        let entry = try Self.entry("recorded_btc_app_2_4_6.json", "btc_get_wallet_address_wpkh_default_index0")
        let input = try #require(entry["input"]?["wallet_policy"])
        let expected = try #require(entry["expected"])
        let keys = try input.array("keys_info").compactMap(\.stringValue)
        let policy = try WalletPolicy(
            name: try input.string("name"), descriptorTemplate: try input.string("descriptor_template"), keys: keys)
        #expect(policy.serialized == (try expected.hex("wallet_policy_serialized")))
        #expect(policy.id == (try expected.hex("wallet_id")))
        #expect(Hex.encode(policy.id) == "c8e10f12e4083c029b1229f9c34256b910f592d0709e84a40d7ffbfc4673e8e8")

        // The default policy built from the fingerprint and account xpub is the same one.
        let xpub = try Self.entry("recorded_btc_app_2_4_6.json", "btc_get_extended_pubkey_m84h_0h_0h")["expected"]?
            .string("xpub")
        let built = try WalletPolicy.defaultSingleSignature(
            script: .p2wpkh, masterFingerprint: Self.fingerprint, accountPath: try DerivationPath(parsing: "m/84'/0'/0'"),
            accountXpub: try #require(xpub), version: .v2)
        #expect(built == policy)
        #expect(built.keys == ["[f5acc2fd/84'/0'/0']" + (xpub ?? "")])
        #expect(WalletPolicy.defaultHMAC == [UInt8](repeating: 0, count: 32))
    }

    @Test func ledgerjsPolicyV1FromTheAcreTranscript() throws {
        // btc_new_get_xpub_fingerprint_and_wallet_address: the preimage the client sent for the wallet id 8931...679f
        // is the v1 serialization 01 | 00 | 08 "wpkh(@0)" | 01 | keys root, with the key ending in /**.
        let entry = try Self.entry("btc_app_transcripts.json", "btc_new_get_xpub_fingerprint_and_wallet_address")
        let exchanges = try entry.array("exchanges")
        let accountXpub = String(decoding: try exchanges[1].hex("response_hex").dropLast(2), as: UTF8.self)
        let policy = try WalletPolicy.defaultSingleSignature(
            script: .p2wpkh, masterFingerprint: Self.fingerprint, accountPath: try DerivationPath(parsing: "m/84'/1'/0'"),
            accountXpub: accountXpub, version: .v1)
        #expect(policy.descriptorTemplate == "wpkh(@0)")
        #expect(policy.keys == ["[f5acc2fd/84'/1'/0']\(accountXpub)/**"])
        let sentPreimage = try exchanges[4].hex("command_hex").dropFirst(5 + 2)  // F8 header, varint length, b
        #expect(policy.serialized == Array(sentPreimage))
        #expect(Hex.encode(policy.id) == "893198490079bb0667594bfa902274b1cd28d7ed9df140121dc69021bead679f")
        #expect(Hex.encode(policy.keysTree.root) == "ac0efe99ff9d292d0e7bd2eab1b24480f963c52afe2e655d966827d3efbbe340")
    }

    @Test(arguments: [
        (BitcoinScriptType.p2pkh, "m/44'/1'/0'", "pkh(@0/**)", "pkh(@0)"),
        (.p2shP2wpkh, "m/49'/1'/0'", "sh(wpkh(@0/**))", "sh(wpkh(@0))"),
        (.p2wpkh, "m/84'/1'/0'", "wpkh(@0/**)", "wpkh(@0)"),
    ])
    func defaultTemplates(script: BitcoinScriptType, account: String, v2: String, v1: String) throws {
        let path = try DerivationPath(parsing: account)
        let modern = try WalletPolicy.defaultSingleSignature(
            script: script, masterFingerprint: Self.fingerprint, accountPath: path, accountXpub: "tpubX", version: .v2)
        #expect(modern.descriptorTemplate == v2)
        #expect(modern.name.isEmpty)
        #expect(modern.keys == ["[f5acc2fd\(account.dropFirst())]tpubX"])
        #expect(modern.serialized.first == 2)
        let legacy = try WalletPolicy.defaultSingleSignature(
            script: script, masterFingerprint: Self.fingerprint, accountPath: path, accountXpub: "tpubX", version: .v1)
        #expect(legacy.descriptorTemplate == v1)
        #expect(legacy.keys == ["[f5acc2fd\(account.dropFirst())]tpubX/**"])
        #expect(legacy.serialized.first == 1)
    }

    @Test func versionFollowsTheProtocolVersion() {
        #expect(WalletPolicy.Version(protocolVersion: 0) == .v1)
        #expect(WalletPolicy.Version(protocolVersion: 1) == .v2)
    }

    @Test func keyInformationPadsTheFingerprint() throws {
        #expect(WalletPolicy.keyInformation(masterFingerprint: 0x0000_00AB, path: try DerivationPath(parsing: "m/48'/0'/0'/2'"),
                                            xpub: "xpubY") == "[000000ab/48'/0'/0'/2']xpubY")
    }

    @Test func namedPolicySerialization() throws {
        let policy = try WalletPolicy(name: "Cold", descriptorTemplate: "wsh(sortedmulti(1,@0/**,@1/**))", keys: ["A", "B"])
        let template = Array("wsh(sortedmulti(1,@0/**,@1/**))".utf8)
        #expect(policy.serialized == [0x02, 0x04] + Array("Cold".utf8) + [UInt8(template.count)] + Hash.sha256(template)
            + [0x02] + MerkleTree(elements: [[0x41], [0x42]]).root)
    }

    @Test func refusesWhatTheAppWouldNotParse() {
        #expect(throws: DeviceError.self) { try WalletPolicy(descriptorTemplate: "wpkh(@0/**)", keys: []) }
        #expect(throws: DeviceError.self) { try WalletPolicy(descriptorTemplate: "", keys: ["k"]) }
        #expect(throws: DeviceError.self) {
            try WalletPolicy(name: String(repeating: "n", count: 65), descriptorTemplate: "wpkh(@0/**)", keys: ["k"])
        }
        #expect(throws: DeviceError.self) { try WalletPolicy(name: "é", descriptorTemplate: "wpkh(@0/**)", keys: ["k"]) }
    }
}
