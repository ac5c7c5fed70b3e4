import BridgeCore
import BridgeCrypto
import Testing
import TestVectors

/// trezor/ethereum/sign_typed_data.json: each case's `data` must give its domain_separator_hash and message_hash
/// (null or empty = domain only), and the device's signature must recover to the device's address from our digest.
@Suite("EIP-712 typed data: Trezor firmware fixtures")
struct TrezorTypedDataTests {
    static func cases() throws -> [JSONValue] {
        try TestVectors.json("trezor/ethereum/sign_typed_data.json").array("tests")
    }

    static let caseNames = [
        "bare_minimum", "full_domain_empty_message", "basic_data", "basic_data_with_show_message_hash", "complex_data",
        "struct_list_v4", "structs_arrays_v4", "array_of_structs", "injective_testcase",
    ]

    static func testCase(_ name: String) throws -> JSONValue {
        try #require(try cases().first { $0["name"]?.stringValue == name }, "no case \(name)")
    }

    /// keccak256(0x19 0x01 || domainHash || messageHash?).
    static func digest(domainHash: [UInt8], messageHash: [UInt8]?) -> [UInt8] {
        Keccak256.hash([0x19, 0x01] + domainHash + (messageHash ?? []))
    }

    @Test("every case is covered: the MetaMask-v4 ones here, struct_list_non_v4 below")
    func caseList() throws {
        let names = try Self.cases().compactMap { $0["name"]?.stringValue }
        #expect(Set(names) == Set(Self.caseNames + ["struct_list_non_v4"]))
        #expect(names.count == Self.caseNames.count + 1)
    }

    @Test("domain separator, message hash and the device signature", arguments: caseNames)
    func metamaskV4(name: String) throws {
        let testCase = try Self.testCase(name)
        let parameters = try #require(testCase["parameters"])
        #expect(parameters["metamask_v4_compat"]?.boolValue == true)
        let typedData = try TypedData(json: try #require(parameters["data"]))
        let hashes = try typedData.hashes()

        #expect(hashes.domainHash == (try parameters.hex("domain_separator_hash")))
        let expectedMessageHash = parameters["message_hash"]?.stringValue.flatMap { $0.isEmpty ? nil : Hex.decode($0) }
        #expect(hashes.messageHash == expectedMessageHash)
        if parameters["message_hash"]?.isNull == true || parameters["message_hash"]?.stringValue == "" {
            #expect(typedData.primaryType == "EIP712Domain")
        } else {
            #expect(expectedMessageHash?.count == 32)
        }
        #expect(hashes.digest == Self.digest(domainHash: hashes.domainHash, messageHash: hashes.messageHash))

        let result = try #require(testCase["result"])
        let signature = try EthereumSignature(hex: try result.string("sig"))
        #expect(try signature.recoverSigner(digest: hashes.digest).checksummed == (try result.string("address")))
    }

    /// With metamask_v4_compat = false, Trezor encodes an array of structs as keccak256 of the concatenated member
    /// encodings of the elements (encodeData without the typeHash) instead of their hashStruct
    /// (trezor-firmware core/src/apps/ethereum/sign_typed_data.py, get_and_encode_data; MetaMask/eth-sig-util PR 107).
    /// TypedData follows V4, so this case checks that V4 differs, and rebuilds the legacy hash from encodeData.
    @Test("struct_list_non_v4: the V4 hash differs; the legacy one is rebuilt from the public building blocks")
    func legacyStructArray() throws {
        let testCase = try Self.testCase("struct_list_non_v4")
        let parameters = try #require(testCase["parameters"])
        #expect(parameters["metamask_v4_compat"]?.boolValue == false)
        let typedData = try TypedData(json: try #require(parameters["data"]))
        let expectedMessageHash = try parameters.hex("message_hash")

        let hashes = try typedData.hashes()
        #expect(hashes.domainHash == (try parameters.hex("domain_separator_hash")))
        #expect(hashes.messageHash != expectedMessageHash)
        // The same data with V4 semantics is the struct_list_v4 case.
        #expect(hashes.messageHash == (try Self.testCase("struct_list_v4")["parameters"]?.hex("message_hash")))

        // Mail(Person from, Person[] to, string contents)
        let message = typedData.message
        let from = try #require(message["from"])
        let recipients = try #require(message["to"]?.arrayValue)
        let contents = try #require(message["contents"]?.stringValue)
        var legacyArray = [UInt8]()
        for recipient in recipients { legacyArray += try typedData.encodeData("Person", recipient).dropFirst(32) }
        let legacyMessageHash = Keccak256.hash(
            try typedData.typeHash("Mail") + typedData.hashStruct("Person", from) + Keccak256.hash(legacyArray)
                + Keccak256.hash(Array(contents.utf8)))
        #expect(legacyMessageHash == expectedMessageHash)

        let result = try #require(testCase["result"])
        let signature = try EthereumSignature(hex: try result.string("sig"))
        let legacyDigest = Self.digest(domainHash: hashes.domainHash, messageHash: legacyMessageHash)
        #expect(try signature.recoverSigner(digest: legacyDigest).checksummed == (try result.string("address")))
    }
}
