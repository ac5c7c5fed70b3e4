import BridgeCore
import Testing
import TestVectors

@testable import BridgeCrypto

@Suite("Bitcoin addresses of a public key")
struct BitcoinAddressTests {
    /// Public key of private key 1 (the generator G).
    static let keyOne = Result { () throws(CryptoError) -> PublicKey in
        try PrivateKey([UInt8](repeating: 0, count: 31) + [1]).publicKey
    }

    /// Each Base58Check vector that is the P2PKH of key 1 is reproduced from the key.
    @Test func p2pkhMatchesBase58CheckVectors() throws {
        let vectors = try TestVectors.json("crypto/base58check.json").array("base58check")
        let key = try Self.keyOne.get()
        let byName = Dictionary(uniqueKeysWithValues: try vectors.map { (try $0.string("name"), try $0.string("base58check")) })
        #expect(BitcoinAddress.address(for: key, script: .p2pkh) == byName["p2pkh_key1_compressed"])
        #expect(BitcoinAddress.address(for: key, script: .p2pkh, network: .test) == byName["testnet_p2pkh_key1"])
        #expect(BitcoinAddress.uncompressedP2PKHAddress(for: key) == byName["p2pkh_key1_uncompressed"])
    }

    @Test func p2pkhMatchesMessageVectors() throws {
        for testCase in try TestVectors.json("crypto/bitcoin_message.json").array("cases") {
            let key = try PublicKey(serialized: try testCase.hex("public_key_compressed"))
            #expect(BitcoinAddress.address(for: key, script: .p2pkh) == (try testCase.string("address_p2pkh")))
            #expect(try PrivateKey(try testCase.hex("private_key")).publicKey == key)
        }
    }

    /// BIP-173's first segwit vector is the P2WPKH of key 1 (program = HASH160 of its compressed key).
    @Test func p2wpkhMatchesTheSegwitVector() throws {
        let segwit = try #require(try TestVectors.json("crypto/bech32.json")["segwit_addresses"]).array("valid")
        let first = try #require(segwit.first)
        let key = try Self.keyOne.get()
        #expect(try first.hex("program_hex") == Hash.hash160(key.compressed))
        #expect(BitcoinAddress.address(for: key, script: .p2wpkh) == (try first.string("address")).lowercased())
    }

    /// P2SH-P2WPKH is checked against the Trezor fixtures in TrezorBitcoinDerivationTests; here its structure.
    @Test func p2shP2wpkhWrapsTheWitnessProgram() throws {
        let key = try Self.keyOne.get()
        let address = BitcoinAddress.address(for: key, script: .p2shP2wpkh)
        let decoded = try Base58.decodeCheck(address)
        #expect(decoded == [0x05] + Hash.hash160([0x00, 0x14] + Hash.hash160(key.compressed)))
        #expect(address.hasPrefix("3"))
        #expect(BitcoinAddress.address(for: key, script: .p2shP2wpkh, network: .test).hasPrefix("2"))
    }

    @Test(arguments: [
        (UInt32?(44), BitcoinScriptType.p2pkh), (49, .p2shP2wpkh), (84, .p2wpkh), (86, .p2pkh), (0, .p2pkh), (nil, .p2pkh),
    ])
    func defaultScriptForPurpose(purpose: UInt32?, expected: BitcoinScriptType) {
        #expect(BitcoinScriptType(defaultForPurpose: purpose) == expected)
    }

    @Test func scriptTypeNamesFollowTheContract() {
        #expect(BitcoinScriptType.allCases.map(\.rawValue) == ["p2pkh", "p2sh-p2wpkh", "p2wpkh"])
        #expect(BitcoinScriptType(rawValue: "p2sh-p2wpkh") == .p2shP2wpkh)
    }

    @Test func networkConstants() {
        #expect(BitcoinNetwork.main.p2pkhVersion == 0x00 && BitcoinNetwork.test.p2pkhVersion == 0x6f)
        #expect(BitcoinNetwork.main.p2shVersion == 0x05 && BitcoinNetwork.test.p2shVersion == 0xc4)
        #expect(BitcoinNetwork.main.bech32HRP == "bc" && BitcoinNetwork.test.bech32HRP == "tb")
        #expect(BitcoinNetwork(rawValue: "test") == .test)
    }
}
