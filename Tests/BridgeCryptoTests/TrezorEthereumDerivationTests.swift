import BridgeCore
import BridgeCrypto
import TestVectors
import Testing

/// The Trezor firmware's Ethereum fixtures (../shared/vectors/trezor/ethereum), reproduced from their mnemonics by
/// BIP-39 + BIP-32 + EIP-55 + EIP-191 alone: no device involved.
@Suite("Trezor Ethereum fixtures by derivation")
struct TrezorEthereumDerivationTests {
    @Test func addresses() throws {
        let fixture = try TestVectors.json("trezor/ethereum/getaddress.json")
        let root = try TrezorFixtures.master(fixture)
        let tests = try fixture.array("tests")
        #expect(tests.count == 6)
        for test in tests {
            let path = try #require(test["parameters"]).string("path")
            let key = try root.derived(DerivationPath(parsing: path))
            let expected = try #require(test["result"]).string("address")
            #expect(EthereumAddress(publicKey: key.publicKey).checksummed == expected, "\(path)")
        }
    }

    @Test func publicKeys() throws {
        let fixture = try TestVectors.json("trezor/ethereum/getpublickey.json")
        let root = try TrezorFixtures.master(fixture)
        for test in try fixture.array("tests") {
            let path = try #require(test["parameters"]).string("path")
            let result = try #require(test["result"])
            let key = try root.derived(DerivationPath(parsing: path))
            #expect(key.xpub() == (try result.string("xpub")), "\(path)")
            #expect(key.publicKey.compressed == (try result.hex("public_key")), "\(path)")
            #expect(key.chainCode == (try result.hex("chain_code")), "\(path)")
            #expect(Int(key.parentFingerprint) == (try result.int("fingerprint")), "\(path)")
            #expect(Int(key.childNumber) == (try result.int("child_num")), "\(path)")
        }
    }

    @Test func personalMessageSignatures() throws {
        let fixture = try TestVectors.json("trezor/ethereum/signmessage.json")
        let root = try TrezorFixtures.master(fixture)
        let tests = try fixture.array("tests")
        #expect(tests.count >= 8)
        for test in tests {
            let parameters = try #require(test["parameters"])
            let result = try #require(test["result"])
            let path = try parameters.string("path")
            let key = try #require(try root.derived(DerivationPath(parsing: path)).privateKey)
            let message = Array(try parameters.string("msg").utf8)
            let signature = try PersonalMessage.sign(message, with: key)
            #expect(Hex.encode(signature.bytes) == (try result.string("sig")), "\(path) \(message.count) bytes")
            #expect(EthereumAddress(publicKey: key.publicKey).checksummed == (try result.string("address")))
        }
    }

    @Test func personalMessageVerification() throws {
        let fixture = try TestVectors.json("trezor/ethereum/verifymessage.json")
        for test in try fixture.array("tests") {
            let parameters = try #require(test["parameters"])
            let signature = try EthereumSignature(hex: try parameters.string("sig"))
            let message = Array(try parameters.string("msg").utf8)
            let signer = try PersonalMessage.recoverSigner(message: message, signature: signature)
            #expect(signer.checksummed == (try parameters.string("address")))
            // One changed byte in the message gives another signer: recovery alone never proves the signer.
            var tampered = message
            tampered[0] ^= 0x01
            #expect(try PersonalMessage.recoverSigner(message: tampered, signature: signature) != signer)
        }
    }
}
