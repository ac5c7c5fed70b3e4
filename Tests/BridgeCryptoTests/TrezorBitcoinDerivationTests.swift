import BridgeCore
import Testing
import TestVectors

@testable import BridgeCrypto

/// The Trezor fixtures' wallet, shared by the Trezor-based Bitcoin and Ethereum tests.
enum TrezorFixtures {
    /// Master keys by mnemonic, so each file's "setup" is honoured rather than assumed.
    static func master(_ fixture: JSONValue) throws -> ExtendedKey {
        let setup = try #require(fixture["setup"])
        let mnemonic = try Mnemonic(phrase: try setup.string("mnemonic"))
        return try ExtendedKey.master(seed: mnemonic.seed(passphrase: try setup.string("passphrase")))
    }

    /// Only Bitcoin and its testnet: the altcoins in these files use other version bytes, HRPs or hashes
    /// (Groestlcoin's Base58Check uses Groestl, Bcash prints CashAddr, Decred uses BLAKE-256).
    static func network(coin: String) -> BitcoinNetwork? {
        switch coin {
        case "Bitcoin": .main
        case "Testnet": .test
        default: nil
        }
    }

    /// The network and script type of a Bitcoin fixture case, or nil for the cases BridgeCrypto does not cover.
    static func bitcoinCase(_ parameters: JSONValue) throws -> (network: BitcoinNetwork, script: BitcoinScriptType)? {
        guard let network = network(coin: try parameters.string("coin_name")),
              let script = scriptType(parameters["script_type"]?.stringValue)
        else { return nil }
        return (network, script)
    }

    /// Trezor's InputScriptType names for the types BridgeCrypto builds. SPENDTAPROOT is skipped because taproot
    /// (BIP-86: x-only keys, BIP-341 tweak, Bech32m) is outside what WalletBridge supports; unset means SPENDADDRESS.
    static func scriptType(_ name: String?) -> BitcoinScriptType? {
        switch name {
        case nil, "(unset)", "SPENDADDRESS": .p2pkh
        case "SPENDP2SHWITNESS": .p2shP2wpkh
        case "SPENDWITNESS": .p2wpkh
        default: nil
        }
    }
}

@Suite("Trezor Bitcoin fixtures: addresses and xpubs from the mnemonic")
struct TrezorBitcoinDerivationTests {
    @Test func getAddress() throws {
        let fixture = try TestVectors.json("trezor/bitcoin/getaddress.json")
        let master = try TrezorFixtures.master(fixture)
        var checked = 0
        for test in try fixture.array("tests") {
            let parameters = try #require(test["parameters"])
            guard let (network, script) = try TrezorFixtures.bitcoinCase(parameters) else { continue }
            let path = try parameters.string("path")
            let key = try master.derived(DerivationPath(parsing: path))
            let expected = try #require(test["result"]).string("address")
            #expect(BitcoinAddress.address(for: key.publicKey, script: script, network: network) == expected, "\(path) \(script)")
            checked += 1
        }
        // 3 Bitcoin + 3 Testnet P2PKH, 4 Testnet test_show_segwit, 4 native segwit (2 Bitcoin, 2 Testnet).
        #expect(checked == 14)
    }

    @Test func getPublicKey() throws {
        let fixture = try TestVectors.json("trezor/bitcoin/getpublickey.json")
        let master = try TrezorFixtures.master(fixture)
        var checked = 0
        for test in try fixture.array("tests") {
            let parameters = try #require(test["parameters"])
            let result = try #require(test["result"])
            guard let (network, script) = try TrezorFixtures.bitcoinCase(parameters) else { continue }
            let path = try parameters.string("path")
            let key = try master.derived(DerivationPath(parsing: path)).neutered
            let expected = try result.string("xpub")

            if let magic = result["xpub_magic"]?.stringValue {
                // The VECTORS_BITCOIN cases name the version bytes they were serialized with.
                let version = try #require(UInt32(magic.dropFirst(2), radix: 16), "\(magic)")
                #expect(version == network.xpubVersion)
                #expect(key.serialized(version: version) == expected, "\(path)")
                #expect(key.xpub(network: network) == expected, "\(path)")
            } else {
                // VECTORS_SCRIPT_TYPES: ypub/zpub magic by script type (SLIP-0132), plain xpub with ignore_xpub_magic.
                let version = network.extendedPublicKeyVersion(for: script)
                #expect(key.serialized(version: version) == expected, "\(path) \(script)")
                #expect(key.xpub(network: network) == (try result.string("xpub_with_ignore_xpub_magic")))
                #expect(try ExtendedKey(parsing: expected, allowedVersions: ExtendedKey.slip132Versions) == key)
            }
            checked += 1
        }
        // 7 VECTORS_BITCOIN (5 Bitcoin, 2 Testnet) + 4 script-type cases.
        #expect(checked == 11)
    }
}
