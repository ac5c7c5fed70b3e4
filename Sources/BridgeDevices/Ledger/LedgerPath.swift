import BridgeCrypto

extension DerivationPath {
    /// The BIP-32 path as Ledger apps take it: `count(1) | count x uint32 BE` (hardened = index | 0x80000000).
    /// `44'/60'/0'/0/0` -> `05 8000002c 8000003c 80000000 00000000 00000000` (app-ethereum doc/ethapp.adoc;
    /// ledgerjs hw-app-eth `splitPath`).
    public func ledgerEncoded(maximumDepth: Int = 10) throws(DeviceError) -> [UInt8] {
        guard indexes.count <= maximumDepth else {
            throw .badArgument("Path \(self) has \(indexes.count) levels; the Ledger app takes at most \(maximumDepth)")
        }
        var bytes = [UInt8(indexes.count)]
        for index in indexes {
            bytes += [UInt8(index >> 24), UInt8(truncatingIfNeeded: index >> 16), UInt8(truncatingIfNeeded: index >> 8),
                      UInt8(truncatingIfNeeded: index)]
        }
        return bytes
    }

    /// Parses the Ledger encoding (the simulator's side); `bytes` must hold exactly one path.
    public init(ledgerEncoded bytes: ArraySlice<UInt8>) throws(DeviceError) {
        guard let count = bytes.first, bytes.count == 1 + 4 * Int(count) else {
            throw .protocolError("malformed BIP-32 path of \(bytes.count) bytes")
        }
        var indexes: [UInt32] = []
        var offset = bytes.startIndex + 1
        for _ in 0..<count {
            indexes.append(UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8
                | UInt32(bytes[offset + 3]))
            offset += 4
        }
        self.init(indexes: indexes)
    }
}
