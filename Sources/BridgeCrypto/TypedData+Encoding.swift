import BridgeCore

// ethereum/EIPs EIPS/eip-712.md: "Definition of encodeType", "Definition of encodeData", "Definition of hashStruct",
// "Specification of the eth_signTypedData JSON RPC"; value rules as in MetaMask eth-sig-util `encodeField` (V4) and
// eth-account `encode_typed_data`.
extension TypedData {
    /// encodeType(typeName): `Name(type1 name1,...)` followed by every struct it references, sorted by name.
    public func encodeType(_ typeName: String) throws(CryptoError) -> String {
        try structType(typeName).encodedType
    }

    /// typeHash(typeName) = keccak256(encodeType(typeName)).
    public func typeHash(_ typeName: String) throws(CryptoError) -> [UInt8] {
        try structType(typeName).typeHash
    }

    /// encodeData(typeName, value): typeHash followed by the 32-byte encoding of each member, in definition order.
    /// Members of `value` that the type does not define are ignored.
    public func encodeData(_ typeName: String, _ value: JSONValue) throws(CryptoError) -> [UInt8] {
        let type = try structType(typeName)
        var encoder = TypedDataEncoder(schema: schema)
        do {
            try encoder.appendEncodedData(type, value)
        } catch {
            throw error.cryptoError(root: typeName)
        }
        return encoder.buffer
    }

    /// hashStruct(typeName, value) = keccak256(encodeData(typeName, value)).
    public func hashStruct(_ typeName: String, _ value: JSONValue) throws(CryptoError) -> [UInt8] {
        var encoder = TypedDataEncoder(schema: schema)
        return try encoder.hashStruct(try structType(typeName), value, root: typeName)
    }

    /// The domain separator, hashStruct(EIP712Domain, domain).
    public func domainHash() throws(CryptoError) -> [UInt8] {
        var encoder = TypedDataEncoder(schema: schema)
        return try domainHash(using: &encoder)
    }

    /// hashStruct(primaryType, message), or nil when primaryType is `EIP712Domain` (only the domain is signed).
    public func messageHash() throws(CryptoError) -> [UInt8]? {
        var encoder = TypedDataEncoder(schema: schema)
        return try messageHash(using: &encoder)
    }

    /// keccak256(0x19 0x01 || domainHash || messageHash): the 32 bytes that get signed. Without a message hash when
    /// primaryType is `EIP712Domain`, as eth-sig-util and eth-account do.
    public func digest() throws(CryptoError) -> [UInt8] {
        try hashes().digest
    }

    /// The domain hash, message hash and digest, computed together.
    public func hashes() throws(CryptoError) -> Hashes {
        var encoder = TypedDataEncoder(schema: schema)
        let domainHash = try domainHash(using: &encoder)
        let messageHash = try messageHash(using: &encoder)
        // EIP-191 version 0x01 ("structured data"): 0x19 0x01 || domainSeparator || hashStruct(message).
        var hasher = Keccak256()
        hasher.update([0x19, 0x01] as [UInt8])
        hasher.update(domainHash)
        if let messageHash { hasher.update(messageHash) }
        return Hashes(domainHash: domainHash, messageHash: messageHash, digest: hasher.finalize())
    }

    private func domainHash(using encoder: inout TypedDataEncoder) throws(CryptoError) -> [UInt8] {
        try encoder.hashStruct(try structType(TypedData.domainTypeName), .object(domain), root: "domain")
    }

    private func messageHash(using encoder: inout TypedDataEncoder) throws(CryptoError) -> [UInt8]? {
        guard primaryType != TypedData.domainTypeName else { return nil }
        return try encoder.hashStruct(try structType(primaryType), message, root: "message")
    }

    private func structType(_ typeName: String) throws(CryptoError) -> TypedDataSchema.StructType {
        guard let type = schema.structs[typeName] else {
            throw .invalidTypedData("\"\(typeName)\" is not a struct type defined in types")
        }
        return type
    }
}

/// Why a value could not be encoded, and where: `path` is built on the way out of the recursion, so the happy path
/// never formats a field name.
struct TypedDataValueError: Error {
    /// Path components, innermost first: `.name` for a struct member, `[i]` for an array element.
    var path: [String] = []
    let reason: String

    init(_ reason: String) { self.reason = reason }

    func adding(_ component: String) -> TypedDataValueError {
        var copy = self
        copy.path.append(component)
        return copy
    }

    /// The public error, e.g. `message.to[1].wallet: "0x12" has 2 hex digits after 0x, expected 40`.
    func cryptoError(root: String) -> CryptoError {
        .invalidTypedData(root + path.reversed().joined() + ": " + reason)
    }

    /// A JSON value for an error message: compact JSON, cut short if long.
    static func show(_ value: JSONValue) -> String {
        let text = value.serialized(.compact)
        let limit = 80
        guard text.utf8.count > limit else { return text }
        return "\(text.prefix(limit))… (\(text.utf8.count) characters)"
    }
}

/// Writes EIP-712 encodings into one growing buffer. A nested struct, array or dynamic value is encoded at the end
/// of the buffer, hashed, and replaced by its 32-byte hash, so a whole message costs no allocations beyond the
/// hashes themselves.
struct TypedDataEncoder {
    let schema: TypedDataSchema
    private(set) var buffer: [UInt8] = []

    init(schema: TypedDataSchema) {
        self.schema = schema
        buffer.reserveCapacity(1024)
    }

    /// hashStruct of `value`, returned on its own.
    mutating func hashStruct(_ type: TypedDataSchema.StructType, _ value: JSONValue, root: String) throws(CryptoError) -> [UInt8] {
        buffer.removeAll(keepingCapacity: true)
        do {
            try appendEncodedData(type, value)
        } catch {
            throw error.cryptoError(root: root)
        }
        return keccak256(from: 0)
    }

    /// Appends encodeData(type, value) = typeHash || the encoding of each member.
    mutating func appendEncodedData(_ type: TypedDataSchema.StructType, _ value: JSONValue) throws(TypedDataValueError) {
        guard case .object(let object) = value else {
            throw TypedDataValueError("expected an object for struct \(type.name), got \(TypedDataValueError.show(value))")
        }
        buffer.append(contentsOf: type.typeHash)
        for member in type.members {
            guard let memberValue = object[member.name] else {
                throw TypedDataValueError("missing (\(type.name) defines \(member.name) as \(member.type))")
                    .adding("." + member.name)
            }
            do {
                try appendEncodedValue(member.type, memberValue)
            } catch {
                throw error.adding("." + member.name)
            }
        }
    }

    /// Appends the 32-byte encoding of one member or array element.
    mutating func appendEncodedValue(_ type: TypedDataType, _ value: JSONValue) throws(TypedDataValueError) {
        switch type {
        case .address:
            guard case .string(let text) = value else { throw expected("an 0x address string", for: type, got: value) }
            appendZeros(12)
            do {
                try EthereumAddress.decode(text, appendingTo: &buffer)
            } catch {
                if case .invalidAddress(let why) = error { throw TypedDataValueError(why + " (type address)") }
                throw TypedDataValueError(error.message)
            }

        case .bool:
            guard case .bool(let flag) = value else { throw expected("true or false", for: type, got: value) }
            appendZeros(31)
            buffer.append(flag ? 1 : 0)

        case .string:
            guard case .string(let text) = value else { throw expected("a string", for: type, got: value) }
            appendKeccak256(of: text)

        case .bytes:
            // Dynamic bytes are hashed: keccak256(content).
            let start = buffer.count
            try appendHex(value, for: type)
            appendKeccak256(from: start)

        case .fixedBytes(let count):
            let start = buffer.count
            try appendHex(value, for: type)
            guard buffer.count - start == count else {
                throw TypedDataValueError(
                    "\(TypedDataValueError.show(value)) is \(buffer.count - start) bytes, but \(type) takes exactly \(count)")
            }
            appendZeros(32 - count)  // bytesN is left-aligned (right-padded), as in the ABI

        case .integer(let bits, let signed):
            try FixedWidthInteger256(value, bits: bits, signed: signed).append(to: &buffer)

        case .structure(let name):
            guard let structType = schema.structs[name] else {
                throw TypedDataValueError("struct \(name) is not defined in types")
            }
            if value.isNull {
                // eth-sig-util V4 and eth-account both encode a null struct as 32 zero bytes, not as an error.
                appendZeros(32)
                return
            }
            let start = buffer.count
            try appendEncodedData(structType, value)
            appendKeccak256(from: start)

        case .array(let element, let length):
            guard case .array(let elements) = value else { throw expected("an array", for: type, got: value) }
            if let length, elements.count != length {
                throw TypedDataValueError("\(type) needs exactly \(length) elements, got \(elements.count)")
            }
            // keccak256 of the concatenated element encodings; struct elements contribute their hashStruct (V4).
            let start = buffer.count
            for (index, elementValue) in elements.enumerated() {
                do {
                    try appendEncodedValue(element, elementValue)
                } catch {
                    throw error.adding("[\(index)]")
                }
            }
            appendKeccak256(from: start)
        }
    }

    /// Appends the bytes of a `0x`-prefixed, even-length hex string.
    private mutating func appendHex(_ value: JSONValue, for type: TypedDataType) throws(TypedDataValueError) {
        guard case .string(let text) = value else { throw expected("a 0x-hex string", for: type, got: value) }
        var utf8 = text.utf8[...]
        guard utf8.starts(with: "0x".utf8) || utf8.starts(with: "0X".utf8) else {
            throw TypedDataValueError("\(TypedDataValueError.show(value)) does not start with 0x (\(type) takes 0x-hex)")
        }
        utf8 = utf8.dropFirst(2)
        guard utf8.count % 2 == 0 else {
            throw TypedDataValueError("\(TypedDataValueError.show(value)) has an odd number of hex digits (\(type))")
        }
        var high: UInt8 = 0
        for (position, char) in utf8.enumerated() {
            guard let nibble = Hex.nibble(char) else {
                throw TypedDataValueError("\(TypedDataValueError.show(value)) has a non-hex character at position \(position + 2) (\(type))")
            }
            if position % 2 == 0 {
                high = nibble << 4
            } else {
                buffer.append(high | nibble)
            }
        }
    }

    private func expected(_ what: String, for type: TypedDataType, got value: JSONValue) -> TypedDataValueError {
        TypedDataValueError("expected \(what) for \(type), got \(TypedDataValueError.show(value))")
    }

    private mutating func appendZeros(_ count: Int) {
        buffer.append(contentsOf: repeatElement(0, count: count))
    }

    private mutating func appendKeccak256(of text: String) {
        var hasher = Keccak256()
        // Strings parsed from JSON are native UTF-8, so this is the fast path; the fallback copies.
        if text.utf8.withContiguousStorageIfAvailable({ hasher.update(UnsafeRawBufferPointer($0)) }) == nil {
            hasher.update(Array(text.utf8))
        }
        buffer.append(contentsOf: hasher.finalize())
    }

    /// Replaces buffer[start...] by its keccak256.
    private mutating func appendKeccak256(from start: Int) {
        let hash = keccak256(from: start)
        buffer.removeLast(buffer.count - start)
        buffer.append(contentsOf: hash)
    }

    private func keccak256(from start: Int) -> [UInt8] {
        buffer.withUnsafeBytes { bytes in
            var hasher = Keccak256()
            hasher.update(UnsafeRawBufferPointer(rebasing: bytes[start...]))
            return hasher.finalize()
        }
    }
}
