import BridgeCore
import Foundation
import Testing
import TestVectors

@testable import BridgeCrypto

@Suite("BIP-137 Bitcoin signed messages")
struct BitcoinMessageTests {
    @Test func referenceCases() throws {
        let cases = try TestVectors.json("crypto/bitcoin_message.json").array("cases")
        #expect(cases.count == 4)
        for testCase in cases {
            let name = try testCase.string("name")
            let message = try testCase.hex("message_hex")
            #expect(message == Array(try testCase.string("message_text").utf8), "\(name)")
            #expect(BitcoinMessage.preimage(message) == (try testCase.hex("preimage_hex")), "\(name)")
            #expect(BitcoinMessage.digest(message) == (try testCase.hex("digest_sha256d")), "\(name)")

            let key = try PrivateKey(try testCase.hex("private_key"))
            let signature = try BitcoinMessage.sign(message, with: key, script: .p2pkh)
            #expect(signature == (try testCase.hex("signature_hex")), "\(name)")
            #expect(Data(signature).base64EncodedString() == (try testCase.string("signature_base64")), "\(name)")
            #expect(Int(signature[0]) == (try testCase.int("header_byte")))
            #expect(Int(signature[0]) - 31 == (try testCase.int("recovery_id")))

            let address = try testCase.string("address_p2pkh")
            #expect(BitcoinMessage.verify(signature: signature, message: message, address: address), "\(name)")
            let recovered = try BitcoinMessage.recoverPublicKey(signature: signature, message: message)
            #expect(recovered.publicKey == key.publicKey)
            #expect(recovered.script == .p2pkh && recovered.compressed)

            // A changed message or another key's address must not verify.
            #expect(!BitcoinMessage.verify(signature: signature, message: message + [0x20], address: address), "\(name)")
            #expect(!BitcoinMessage.verify(signature: signature, message: message, address: "1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH")
                    || address == "1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH")
            #expect(!BitcoinMessage.verify(signature: signature, message: message, address: "1JAd7XCBzGudGpJQSDSfpmJhiygtLQWaGL")
                    || address == "1JAd7XCBzGudGpJQSDSfpmJhiygtLQWaGL")
            // Mainnet address against testnet is another address.
            #expect(!BitcoinMessage.verify(signature: signature, message: message, address: address, network: .test))
        }
    }

    @Test func compactSizeBoundaries() {
        func prefix(_ count: Int) -> [UInt8] {
            let preimage = BitcoinMessage.preimage([UInt8](repeating: 0x61, count: count))
            return Array(preimage[25..<(preimage.count - count)])
        }
        #expect(prefix(0) == [0x00])
        #expect(prefix(0xFC) == [0xFC])
        #expect(prefix(0xFD) == [0xFD, 0xFD, 0x00])
        #expect(prefix(0xFFFF) == [0xFD, 0xFF, 0xFF])
        #expect(prefix(0x10000) == [0xFE, 0x00, 0x00, 0x01, 0x00])
    }

    @Test func headersNameTheScriptType() throws {
        let key = try PrivateKey([UInt8](repeating: 0, count: 31) + [3])
        let message = Array("header test".utf8)
        for (script, base) in [(BitcoinScriptType.p2pkh, 31), (.p2shP2wpkh, 35), (.p2wpkh, 39)] {
            let signature = try BitcoinMessage.sign(message, with: key, script: script)
            #expect((base...(base + 3)).contains(Int(signature[0])))
            let recovered = try BitcoinMessage.recoverPublicKey(signature: signature, message: message)
            #expect(recovered.script == script)
            let own = BitcoinAddress.address(for: key.publicKey, script: script)
            #expect(BitcoinMessage.verify(signature: signature, message: message, address: own))
            // A segwit header vouches only for its own address type; the compressed-P2PKH header is accepted for
            // all three (Electrum / Trezor no_script_type compatibility).
            for other in BitcoinScriptType.allCases where other != script {
                let otherAddress = BitcoinAddress.address(for: key.publicKey, script: other)
                let verified = BitcoinMessage.verify(signature: signature, message: message, address: otherAddress)
                #expect(verified == (script == .p2pkh), "\(script) header vs \(other) address")
            }
        }
        // Bech32 addresses may be written in capitals.
        let segwit = try BitcoinMessage.sign(message, with: key, script: .p2wpkh)
        let address = BitcoinAddress.address(for: key.publicKey, script: .p2wpkh)
        #expect(BitcoinMessage.verify(signature: segwit, message: message, address: address.uppercased()))
    }

    @Test func uncompressedHeaderUsesTheUncompressedAddress() throws {
        let key = try PrivateKey([UInt8](repeating: 0, count: 31) + [1])
        let message = Array("legacy".utf8)
        var signature = try BitcoinMessage.sign(message, with: key, script: .p2pkh)
        signature[0] -= 4  // 31...34 -> 27...30
        let recovered = try BitcoinMessage.recoverPublicKey(signature: signature, message: message)
        #expect(recovered.script == nil && !recovered.compressed)
        #expect(BitcoinMessage.verify(signature: signature, message: message, address: "1EHNa6Q4Jz2uvNExL497mE43ikXhwF6kZm"))
        #expect(!BitcoinMessage.verify(signature: signature, message: message, address: "1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH"))
    }

    @Test func malformedSignaturesAreRefused() throws {
        let message = Array("x".utf8)
        #expect(throws: CryptoError.invalidLength(what: "A Bitcoin message signature", expected: "65", actual: 64)) {
            try BitcoinMessage.recoverPublicKey(signature: [UInt8](repeating: 1, count: 64), message: message)
        }
        #expect(throws: CryptoError.invalidSignature("Bitcoin message header byte is 43; BIP-137 defines 27...42")) {
            try BitcoinMessage.recoverPublicKey(signature: [43] + [UInt8](repeating: 1, count: 64), message: message)
        }
        #expect(!BitcoinMessage.verify(signature: [], message: message, address: "1BgGZ9tcN4rm9KBzDn7KprQz87SZ26SAMH"))
    }

    /// trezor/bitcoin/signmessage.json: the key comes from the fixture mnemonic, the signature must match byte for byte.
    @Test func trezorFixtures() throws {
        let fixture = try TestVectors.json("trezor/bitcoin/signmessage.json")
        let master = try TrezorFixtures.master(fixture)
        var checked = 0
        for test in try fixture.array("tests") {
            let parameters = try #require(test["parameters"])
            let result = try #require(test["result"])
            // Altcoins (Bcash, Groestlcoin, Decred) hash or encode differently; see TrezorFixtures.
            guard let (network, script) = try TrezorFixtures.bitcoinCase(parameters) else { continue }
            let name = try test.string("name")
            let message: [UInt8]
            if parameters["message_hex"] != nil {
                message = try parameters.hex("message_hex")  // raw bytes, sent unchanged
            } else {
                // trezorlib NFC-normalizes text messages before sending (trezor/README.md), so NFKD and NFC agree.
                message = Array(try parameters.string("message").precomposedStringWithCanonicalMapping.utf8)
            }
            // no_script_type: the firmware writes the compressed-P2PKH header (31 + recid) whatever the address type.
            let noScriptType = parameters["no_script_type"]?.boolValue == true
            let key = try #require(try master.derived(DerivationPath(parsing: try parameters.string("path"))).privateKey)
            let address = try result.string("address")
            #expect(BitcoinAddress.address(for: key.publicKey, script: script, network: network) == address, "\(name)")

            let signature = try BitcoinMessage.sign(message, with: key, script: noScriptType ? .p2pkh : script)
            #expect(Hex.encode(signature) == (try result.string("signature")), "\(name) no_script_type=\(noScriptType)")
            // Both forms verify against the address (the no_script_type one by the Electrum-style leniency).
            #expect(BitcoinMessage.verify(signature: signature, message: message, address: address, network: network), "\(name)")
            checked += 1
        }
        // 6 Bitcoin script-type cases, 2 NFKD/NFC, 1 t1 firmware path, 3 Testnet, 3 long messages.
        #expect(checked == 15)
    }
}
