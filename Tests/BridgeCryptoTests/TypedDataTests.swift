import BridgeCore
import BridgeCrypto
import Testing
import TestVectors

@Suite("EIP-712 typed data: eip712.json")
struct TypedDataTests {
    static func vectorCase(_ name: String) throws -> JSONValue {
        let cases = try TestVectors.json("crypto/eip712.json").array("cases")
        return try #require(cases.first { $0["name"]?.stringValue == name }, "no case \(name) in eip712.json")
    }

    static let caseNames = ["mail", "scalar_types", "array_types", "nested_structs"]

    @Test("the vector file has exactly the cases tested here")
    func caseList() throws {
        let cases = try TestVectors.json("crypto/eip712.json").array("cases")
        #expect(cases.compactMap { $0["name"]?.stringValue } == Self.caseNames)
    }

    @Test("encodeType and typeHash of every listed type", arguments: caseNames)
    func typeEncodings(name: String) throws {
        let testCase = try Self.vectorCase(name)
        let typedData = try TypedData(json: try #require(testCase["typed_data"]))
        let encodeTypes = try #require(testCase["encodeType"]?.objectValue)
        let typeHashes = try #require(testCase["typeHash"]?.objectValue)
        #expect(encodeTypes.count >= 2)
        #expect(Set(encodeTypes.keys) == Set(typeHashes.keys))
        for (typeName, expected) in encodeTypes {
            #expect(try typedData.encodeType(typeName) == expected.stringValue, "\(name).\(typeName)")
            #expect(try typedData.typeHash(typeName) == Hex.decode(typeHashes[typeName]?.stringValue ?? ""), "\(name).\(typeName)")
        }
    }

    @Test("domainHash, messageHash, digest and encodeData", arguments: caseNames)
    func hashes(name: String) throws {
        let testCase = try Self.vectorCase(name)
        let typedData = try TypedData(json: try #require(testCase["typed_data"]))
        let domainHash = try testCase.hex("domainHash")
        let messageHash = try testCase.hex("messageHash")
        let digest = try testCase.hex("digest")

        #expect(try typedData.domainHash() == domainHash)
        #expect(try typedData.messageHash() == messageHash)
        #expect(try typedData.digest() == digest)
        let all = try typedData.hashes()
        #expect(all.domainHash == domainHash)
        #expect(all.messageHash == messageHash)
        #expect(all.digest == digest)

        #expect(try typedData.hashStruct("EIP712Domain", .object(typedData.domain)) == domainHash)
        #expect(try typedData.hashStruct(typedData.primaryType, typedData.message) == messageHash)
        let encoded = try typedData.encodeData(typedData.primaryType, typedData.message)
        #expect(Keccak256.hash(encoded) == messageHash)
        #expect(Array(encoded.prefix(32)) == (try typedData.typeHash(typedData.primaryType)))
        if testCase["encodeData_message"] != nil {
            #expect(encoded == (try testCase.hex("encodeData_message")))
        }
    }

    @Test("signing the digest reproduces the signature and recovers the signer", arguments: caseNames)
    func signature(name: String) throws {
        let testCase = try Self.vectorCase(name)
        let typedData = try TypedData(json: try #require(testCase["typed_data"]))
        let expected = try #require(testCase["signature"])
        let key = try PrivateKey(try testCase.hex("signer_private_key"))

        let signature = try EthereumSignature.sign(digest: try typedData.digest(), with: key)
        #expect(signature.r == (try expected.hex("r")))
        #expect(signature.s == (try expected.hex("s")))
        #expect(Int(signature.v) == (try expected.int("v")))
        #expect(signature.bytes == (try expected.hex("rsv")))

        let signer = try testCase.string("signer_address")
        let parsed = try EthereumSignature(hex: try expected.string("rsv"))
        #expect(try parsed.recoverSigner(digest: try typedData.digest()).checksummed == signer)
        #expect(EthereumAddress(publicKey: key.publicKey).checksummed == signer)
    }

    @Test("reading the JSON text gives the same result as reading the parsed value", arguments: caseNames)
    func fromText(name: String) throws {
        let testCase = try Self.vectorCase(name)
        let json = try #require(testCase["typed_data"])
        let fromText = try TypedData(jsonText: json.serialized(.compact))
        #expect(try fromText.digest() == (try testCase.hex("digest")))
        #expect(fromText.primaryType == json["primaryType"]?.stringValue)
        #expect(.object(fromText.domain) == json["domain"])
        #expect(fromText.message == json["message"])
    }

    // MARK: - Single values, checked word by word

    /// encodeData of `{"v": value}` for a one-member struct `V(type v)`, minus the leading typeHash.
    static func word(_ type: String, _ value: JSONValue) throws -> [UInt8] {
        let typedData = try TypedData(json: [
            "types": ["EIP712Domain": [], "V": [["name": "v", "type": .string(type)]]],
            "primaryType": "V", "domain": [:], "message": ["v": value],
        ])
        let encoded = try typedData.encodeData("V", ["v": value])
        #expect(encoded.count == 64)
        return Array(encoded.dropFirst(32))
    }

    static func hexWord(_ hex: String) -> [UInt8] {
        let bytes = Hex.decode(hex) ?? []
        return [UInt8](repeating: 0, count: 32 - bytes.count) + bytes
    }

    static let allOnes = [UInt8](repeating: 0xFF, count: 32)

    @Test("integers: numbers, decimal and hex strings, limits, two's complement")
    func integers() throws {
        #expect(try Self.word("uint8", 255) == Self.hexWord("ff"))
        #expect(try Self.word("uint8", "255") == Self.hexWord("ff"))
        #expect(try Self.word("uint8", "0xff") == Self.hexWord("ff"))
        #expect(try Self.word("uint8", "0xFF") == Self.hexWord("ff"))
        #expect(try Self.word("uint8", "0") == Self.hexWord(""))
        #expect(try Self.word("uint8", "-0") == Self.hexWord(""))
        #expect(try Self.word("uint16", "00042") == Self.hexWord("2a"))
        #expect(try Self.word("uint72", "18446744073709551616".json) == Self.hexWord("010000000000000000"))
        #expect(try Self.word("uint64", "18446744073709551615".json) == Self.hexWord("ffffffffffffffff"))
        #expect(throws: CryptoError.self) { try Self.word("uint64", "18446744073709551616".json) }
        #expect(try Self.word("uint256", .string(Self.maxUInt256)) == Self.allOnes)
        #expect(try Self.word("uint256", .string("0x" + String(repeating: "f", count: 64))) == Self.allOnes)
        // Leading zeros do not count toward the 256 bits.
        #expect(try Self.word("uint256", .string("0x00" + String(repeating: "f", count: 64))) == Self.allOnes)
        #expect(try Self.word("int8", -128) == Array(Self.allOnes.dropLast()) + [0x80])
        #expect(try Self.word("int8", 127) == Self.hexWord("7f"))
        #expect(try Self.word("int8", -1) == Self.allOnes)
        #expect(try Self.word("int24", -887272) == Array(Self.allOnes.dropLast(3)) + [0xf2, 0x76, 0x18])
        #expect(try Self.word("int256", .string(Self.minInt256)) == [0x80] + [UInt8](repeating: 0, count: 31))
        #expect(try Self.word("int256", .string(String(Self.maxInt256))) == [0x7F] + Array(Self.allOnes.dropFirst()))
        // A 2^64 magnitude crosses a word boundary when negated.
        #expect(try Self.word("int128", "-18446744073709551616".json)
            == Array(Self.allOnes.prefix(24)) + [UInt8](repeating: 0, count: 8))
    }

    @Test("address, bool, bytesN, bytes and string words")
    func otherAtomicTypes() throws {
        #expect(try Self.word("address", "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826")
            == Self.hexWord("cd2a3d9f938e13cd947ec05abc7fe734df8dd826"))
        #expect(try Self.word("address", "0xcd2a3d9f938e13cd947ec05abc7fe734df8dd826")
            == Self.hexWord("cd2a3d9f938e13cd947ec05abc7fe734df8dd826"))
        #expect(try Self.word("bool", true) == Self.hexWord("01"))
        #expect(try Self.word("bool", false) == Self.hexWord("00"))
        #expect(try Self.word("bytes4", "0xa9059cbb") == [0xa9, 0x05, 0x9c, 0xbb] + [UInt8](repeating: 0, count: 28))
        #expect(try Self.word("bytes1", "0x00") == [UInt8](repeating: 0, count: 32))
        #expect(try Self.word("bytes", "0x") == Keccak256.hash([UInt8]()))
        #expect(try Self.word("bytes", "0xDEADbeef") == Keccak256.hash([0xde, 0xad, 0xbe, 0xef]))
        #expect(try Self.word("string", "Grüße") == Keccak256.hash(Array("Grüße".utf8)))
        #expect(try Self.word("uint8[]", []) == Keccak256.hash([UInt8]()))
        #expect(try Self.word("uint8[2]", [1, "0x02"]) == Keccak256.hash(Self.hexWord("01") + Self.hexWord("02")))
        #expect(try Self.word("bool[][1]", [[true]]) == Keccak256.hash(Keccak256.hash(Self.hexWord("01"))))
    }

    @Test("a null struct member encodes as 32 zero bytes, as eth-sig-util V4 and eth-account do")
    func nullStruct() throws {
        let typedData = try TypedData(json: [
            "types": ["EIP712Domain": [], "Outer": [["name": "inner", "type": "Inner"]], "Inner": [["name": "x", "type": "uint8"]]],
            "primaryType": "Outer", "domain": [:], "message": ["inner": nil],
        ])
        let encoded = try typedData.encodeData("Outer", ["inner": nil])
        #expect(Array(encoded.dropFirst(32)) == [UInt8](repeating: 0, count: 32))
    }

    @Test("encodeType lists each referenced struct once, sorted, also through cycles and arrays")
    func encodeTypeOrder() throws {
        let typedData = try TypedData(json: [
            "types": [
                "EIP712Domain": [],
                "Zoo": [["name": "keeper", "type": "Keeper"], ["name": "animals", "type": "Animal[][2]"]],
                "Animal": [["name": "name", "type": "string"], ["name": "zoo", "type": "Zoo"]],
                "Keeper": [["name": "favourite", "type": "Animal"]],
            ],
            "primaryType": "Zoo", "domain": [:], "message": [:],
        ])
        #expect(try typedData.encodeType("Zoo")
            == "Zoo(Keeper keeper,Animal[][2] animals)Animal(string name,Zoo zoo)Keeper(Animal favourite)")
        #expect(try typedData.encodeType("Animal")
            == "Animal(string name,Zoo zoo)Keeper(Animal favourite)Zoo(Keeper keeper,Animal[][2] animals)")
        #expect(try typedData.typeHash("Keeper") == Keccak256.hash(Array(try typedData.encodeType("Keeper").utf8)))
        #expect(try typedData.encodeType("EIP712Domain") == "EIP712Domain()")
    }

    @Test("type strings parse and print back", arguments: [
        "address", "bool", "string", "bytes", "bytes1", "bytes32", "uint8", "uint256", "int8", "int136", "int256",
        "Person", "Person[]", "Person[3]", "uint8[][2][]", "bytes32[1][1]",
    ])
    func typeStrings(text: String) throws {
        #expect(try TypedDataType(parsing: text).description == text)
    }

    @Test("malformed type strings are refused", arguments: [
        "uint", "int", "uint7", "uint264", "uint0", "int08", "bytes0", "bytes33", "bytes01", "uint8[", "uint8]",
        "uint8[0]", "uint8[x]", "[]", "Per son", "1Person", "uint8[-1]",
    ])
    func badTypeStrings(text: String) {
        #expect(throws: CryptoError.self) { try TypedDataType(parsing: text) }
    }

    @Test("array dimensions are capped so hostile types cannot nest without bound")
    func arrayDimensionCap() throws {
        let limit = TypedDataType.maximumArrayDimensions
        let deepest = try TypedDataType(parsing: "uint8" + String(repeating: "[]", count: limit))
        #expect(deepest.description == "uint8" + String(repeating: "[]", count: limit))
        let error = #expect(throws: CryptoError.self) {
            try TypedDataType(parsing: "uint8" + String(repeating: "[1]", count: 100_000))
        }
        #expect(error?.message.contains("more than \(limit) array dimensions") == true)
    }

    @Test("extra message fields are ignored, member order follows the type")
    func extraFields() throws {
        let typedData = try TypedData(json: [
            "types": ["EIP712Domain": [], "V": [["name": "a", "type": "uint8"], ["name": "b", "type": "uint8"]]],
            "primaryType": "V", "domain": [:], "message": ["b": 2, "extra": "ignored", "a": 1],
        ])
        let encoded = try typedData.encodeData("V", typedData.message)
        #expect(Array(encoded.dropFirst(32)) == Self.hexWord("01") + Self.hexWord("02"))
    }

    static let maxUInt256 = "115792089237316195423570985008687907853269984665640564039457584007913129639935"
    static let maxInt256 = "57896044618658097711785492504343953926634992332820282019728792003956564819967"
    static let minInt256 = "-57896044618658097711785492504343953926634992332820282019728792003956564819968"
}

extension String {
    /// The JSON number with this literal text.
    fileprivate var json: JSONValue { .number(JSONNumber(text: self)!) }
}
