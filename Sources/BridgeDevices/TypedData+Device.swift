import BridgeCore
import BridgeCrypto

/// What both device families need from typed data, with failures as ``DeviceError`` (a bad document is the caller's
/// `badArgument`, never a device failure).
extension TypedData {
    /// The domain hash, message hash and digest the device must sign.
    func deviceHashes() throws(DeviceError) -> Hashes {
        do {
            return try hashes()
        } catch {
            throw .badArgument(error.message)
        }
    }

    /// `value` of atomic `type` as its 32-byte EIP-712 word; the devices send a slice of it (Ledger's and Trezor's
    /// value encodings both start from this word).
    func deviceWord(_ value: JSONValue, as type: TypedDataType, at place: String) throws(DeviceError) -> [UInt8] {
        let word: [UInt8]
        do {
            word = try encodeValue(value, as: type)
        } catch {
            throw .badArgument("EIP-712 value \(place): \(error.message)")
        }
        guard word.count == 32 else { throw .badArgument("EIP-712 value \(place) did not encode to one 32-byte word") }
        return word
    }
}
