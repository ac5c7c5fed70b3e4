import BridgeCore

// Read access to the validated schema, for device protocols that send the typed data itself rather than its hashes
// (the Ledger Ethereum app's EIP-712 "full" mode sends every struct definition and every value).
extension TypedData {
    /// One member of a struct type, as `types` defines it.
    public struct StructMember: Sendable, Equatable {
        public let name: String
        public let type: TypedDataType

        public init(name: String, type: TypedDataType) {
            self.name = name
            self.type = type
        }
    }

    /// The name of every struct type defined in `types`, sorted by name. (The document's own order is not kept.)
    public var structTypeNames: [String] {
        schema.structs.keys.sorted()
    }

    /// The members of struct type `name` in definition order, or nil when `types` does not define it.
    public func members(ofStruct name: String) -> [StructMember]? {
        schema.structs[name]?.members.map { StructMember(name: $0.name, type: $0.type) }
    }

    /// enc(value) of EIP-712's encodeData for one member value of type `type`: atomic values as their 32-byte word
    /// (integers in two's complement, sign-extended; addresses and bools left-padded; bytesN right-padded), dynamic
    /// values, structs and arrays as their keccak256. Values are checked exactly as ``hashes()`` checks them, and
    /// integers never pass through floating point.
    public func encodeValue(_ value: JSONValue, as type: TypedDataType) throws(CryptoError) -> [UInt8] {
        var encoder = TypedDataEncoder(schema: schema)
        do {
            try encoder.appendEncodedValue(type, value)
        } catch {
            throw error.cryptoError(root: "value")
        }
        return encoder.buffer
    }
}
