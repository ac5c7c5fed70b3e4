import BridgeCore
import BridgeCrypto
import Testing
import TestVectors

@Suite("EIP-191 personal messages")
struct PersonalMessageTests {
    @Test("every eip191.json case: prefix, hash, signature and signer")
    func vectors() throws {
        let cases = try TestVectors.json("crypto/eip191.json").array("cases")
        #expect(cases.count == 7)
        for testCase in cases {
            let name = try testCase.string("name")
            let message = try testCase.hex("message_hex")
            if let text = testCase["message_text"]?.stringValue {
                #expect(Array(text.utf8) == message, "\(name)")
            }
            #expect(PersonalMessage.prefixed(message) == (try testCase.hex("prefixed_message_hex")), "\(name)")
            #expect(PersonalMessage.hash(message) == (try testCase.hex("message_hash")), "\(name)")

            let key = try PrivateKey(try testCase.hex("private_key"))
            let signature = try PersonalMessage.sign(message, with: key)
            #expect(signature.r == (try testCase.hex("r")), "\(name)")
            #expect(signature.s == (try testCase.hex("s")), "\(name)")
            #expect(Int(signature.v) == (try testCase.int("v")), "\(name)")
            #expect(signature.hex == (try testCase.string("signature")), "\(name)")

            let address = try testCase.string("address")
            let parsed = try EthereumSignature(hex: try testCase.string("signature"))
            #expect(try PersonalMessage.recoverSigner(message: message, signature: parsed).checksummed == address, "\(name)")
        }
    }

    @Test("the length is the decimal byte count")
    func lengthPrefix() {
        let message = [UInt8](repeating: 0x61, count: 1000)
        let prefixed = PersonalMessage.prefixed(message)
        #expect(prefixed.prefix(1) == [0x19])
        #expect(Array(prefixed.dropFirst().prefix(29)) == Array("Ethereum Signed Message:\n1000".utf8))
        #expect(prefixed.count == 1 + 25 + 4 + 1000)
    }

    @Test("a signature over another message recovers another address")
    func tampered() throws {
        let key = try PrivateKey([UInt8](repeating: 0, count: 31) + [1])
        let signature = try PersonalMessage.sign(Array("approve 100".utf8), with: key)
        let signer = EthereumAddress(publicKey: key.publicKey)
        #expect(try PersonalMessage.recoverSigner(message: Array("approve 100".utf8), signature: signature) == signer)
        #expect(try PersonalMessage.recoverSigner(message: Array("approve 900".utf8), signature: signature) != signer)
    }
}
