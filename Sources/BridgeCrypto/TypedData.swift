import BridgeCore

/// EIP-712 typed structured data, as `eth_signTypedData_v4` takes it: `types` (including `EIP712Domain`),
/// `primaryType`, `domain` and `message`.
///
/// Initialising checks the type definitions and precomputes every struct's encodeType and typeHash; the values in
/// `domain` and `message` are checked when they are hashed (``hashes()``), where each error names the offending field.
/// Encoding follows MetaMask's eth-sig-util (`SignTypedDataVersion.V4`) and eth-account's `encode_typed_data`.
public struct TypedData: Sendable {
    /// The struct type of `message`; `EIP712Domain` means the domain alone is signed.
    public let primaryType: String
    /// The domain separator's values, typed by `types.EIP712Domain`.
    public let domain: JSONObject
    /// The values being signed, typed by `primaryType` (an empty object when `primaryType` is `EIP712Domain` and the
    /// document has no message).
    public let message: JSONValue

    /// The validated struct definitions with their precomputed encodeType and typeHash.
    let schema: TypedDataSchema

    /// The name of the domain struct type, which every document must define.
    // ethereum/EIPs EIPS/eip-712.md, "Definition of domainSeparator".
    static let domainTypeName = "EIP712Domain"

    /// Reads an already parsed `eth_signTypedData_v4` document.
    public init(json: JSONValue) throws(CryptoError) {
        guard let document = json.objectValue else {
            throw .invalidTypedData("the document is a \(json.typeName); expected an object with types, primaryType, domain and message")
        }
        guard let typesValue = document["types"] else { throw .invalidTypedData("\"types\" is missing") }
        guard let types = typesValue.objectValue else {
            throw .invalidTypedData("\"types\" is a \(typesValue.typeName); expected an object of struct definitions")
        }
        schema = try TypedDataSchema(types: types)

        guard let primaryTypeValue = document["primaryType"] else { throw .invalidTypedData("\"primaryType\" is missing") }
        guard let primaryType = primaryTypeValue.stringValue else {
            throw .invalidTypedData("\"primaryType\" is a \(primaryTypeValue.typeName); expected the name of a struct type")
        }
        guard schema.structs[primaryType] != nil else {
            throw .invalidTypedData("primaryType \"\(primaryType)\" is not defined in types")
        }
        self.primaryType = primaryType

        guard let domainValue = document["domain"] else { throw .invalidTypedData("\"domain\" is missing") }
        guard let domain = domainValue.objectValue else {
            throw .invalidTypedData("\"domain\" is a \(domainValue.typeName); expected an object")
        }
        self.domain = domain

        switch document["message"] {
        case .object(let object)?:
            message = .object(object)
        case nil where primaryType == TypedData.domainTypeName:
            // A domain-only document signs no message, so it need not carry one.
            message = .object(JSONObject())
        case nil:
            throw .invalidTypedData("\"message\" is missing")
        case let other?:
            throw .invalidTypedData("\"message\" is a \(other.typeName); expected an object")
        }
    }

    /// Parses and reads an `eth_signTypedData_v4` JSON text. Throws `JSONParseError` for malformed JSON and
    /// ``CryptoError`` for JSON that is not valid typed data.
    public init(jsonText: String) throws {
        try self.init(json: JSONValue(parsing: jsonText))
    }

    /// The three values a signer needs: device APIs take the first two, software signs the third.
    public struct Hashes: Sendable {
        /// hashStruct(EIP712Domain, domain): the domain separator.
        public let domainHash: [UInt8]
        /// hashStruct(primaryType, message); nil when primaryType is `EIP712Domain`.
        public let messageHash: [UInt8]?
        /// keccak256(0x19 0x01 || domainHash || messageHash), the value that is signed.
        public let digest: [UInt8]
    }
}
