import BridgeCore
import BridgeCrypto
import Testing
import TestVectors

@Suite("EIP-55 Ethereum addresses")
struct EthereumAddressTests {
    static func vectors() throws -> JSONValue { try TestVectors.json("crypto/eip55.json") }

    @Test("every eip55.json case: lowercase -> checksummed, checksummed -> bytes, uppercase accepted")
    func checksumCases() throws {
        let cases = try Self.vectors().array("cases")
        #expect(cases.count == 8)
        for testCase in cases {
            let lowercase = try testCase.string("lowercase")
            let checksummed = try testCase.string("checksummed")
            let bytes = try testCase.hex("lowercase")

            let fromLowercase = try EthereumAddress(parsing: lowercase)
            #expect(fromLowercase.bytes == bytes)
            #expect(fromLowercase.checksummed == checksummed)
            #expect(fromLowercase.description == checksummed)

            let fromChecksummed = try EthereumAddress(parsing: checksummed)
            #expect(fromChecksummed.bytes == bytes)
            #expect(fromChecksummed == fromLowercase)
            #expect(try EthereumAddress(bytes: bytes).checksummed == checksummed)

            let uppercase = "0x" + lowercase.dropFirst(2).uppercased()
            #expect(try EthereumAddress(parsing: uppercase).bytes == bytes)

            #expect(EthereumAddress.isValidChecksum(checksummed))
            #expect(EthereumAddress.isValidChecksum(lowercase) == (lowercase == checksummed), "\(lowercase)")
        }
    }

    @Test("a wrong mixed-case checksum is rejected with the correct form")
    func invalidChecksums() throws {
        let cases = try #require(Self.vectors()["invalid_checksum"]?["cases"]?.arrayValue)
        #expect(cases.count == 4)
        for testCase in cases {
            let address = try testCase.string("address")
            let correct = try testCase.string("correct")
            #expect(!EthereumAddress.isValidChecksum(address))
            let error = #expect(throws: CryptoError.self) { try EthereumAddress(parsing: address) }
            guard case .invalidAddress(let why)? = error else {
                Issue.record("expected invalidAddress, got \(String(describing: error))")
                continue
            }
            #expect(why.contains("checksum"))
            #expect(why.contains(correct), "\(why)")
            #expect(error?.code == .badArgument)
            #expect(try EthereumAddress(parsing: correct).checksummed == correct)
        }
    }

    @Test(
        "malformed text is rejected with a message naming the problem",
        arguments: [
            ("52908400098527886e0f7030069857d2e4169ee7", "does not start with 0x"),
            ("0X52908400098527886e0f7030069857d2e4169ee7", "does not start with 0x"),
            ("", "does not start with 0x"),
            ("0x", "0 hex digits after 0x, expected 40"),
            ("0x52908400098527886e0f7030069857d2e4169ee", "39 hex digits after 0x, expected 40"),
            ("0x52908400098527886e0f7030069857d2e4169ee700", "42 hex digits after 0x, expected 40"),
            ("0x52908400098527886e0f7030069857d2e4169eg7", "\"g\" at position 40, which is not a hex digit"),
            ("0x 2908400098527886e0f7030069857d2e4169ee7", "\" \" at position 2, which is not a hex digit"),
        ])
    func malformed(text: String, problem: String) {
        let error = #expect(throws: CryptoError.self) { try EthereumAddress(parsing: text) }
        guard case .invalidAddress(let why)? = error else {
            Issue.record("expected invalidAddress, got \(String(describing: error))")
            return
        }
        #expect(why.contains(problem), "\(why)")
        #expect(!EthereumAddress.isValidChecksum(text))
    }

    @Test("raw bytes must be 20")
    func wrongByteCount() {
        #expect(throws: CryptoError.invalidLength(what: "An Ethereum address", expected: "20", actual: 19)) {
            try EthereumAddress(bytes: [UInt8](repeating: 0xAB, count: 19))
        }
        #expect(throws: CryptoError.invalidLength(what: "An Ethereum address", expected: "20", actual: 32)) {
            try EthereumAddress(bytes: [UInt8](repeating: 0xAB, count: 32))
        }
    }

    @Test("the address of a public key matches every key/address pair in eip191.json")
    func addressOfPublicKey() throws {
        let cases = try TestVectors.json("crypto/eip191.json").array("cases")
        #expect(!cases.isEmpty)
        for testCase in cases {
            let key = try PrivateKey(try testCase.hex("private_key"))
            let address = EthereumAddress(publicKey: key.publicKey)
            #expect(address.checksummed == (try testCase.string("address")))
        }
    }

    @Test("the key of scalar 1 has the published address")
    func generatorAddress() throws {
        let one = try PrivateKey([UInt8](repeating: 0, count: 31) + [1])
        #expect(EthereumAddress(publicKey: one.publicKey).checksummed == "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf")
    }
}
