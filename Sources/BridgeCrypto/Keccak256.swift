import CNettle
import FoundationEssentials

#if _endian(big)
#error("Keccak256 XORs input bytes into nettle's host-endian lanes and assumes a little-endian host")
#endif

/// Keccak-256 as Ethereum uses it: Keccak[r=1088, c=512] with the original 0x01 padding (not FIPS-202 SHA3-256).
///
/// OpenSSL 3.0 has no Keccak-256 and nettle only pads for SHA-3, so this is the sponge around nettle's
/// Keccak-f[1600] permutation (`nettle_sha3_permute`, nettle/sha3.h); see build-notes.md section 1.
public struct Keccak256: Sendable {
    /// Bytes absorbed per permutation: 1088 bits.
    public static let rate = 136

    private var state = sha3_state()
    private var position = 0

    public init() {}

    /// The Keccak-256 digest of `data`.
    public static func hash(_ data: some ContiguousBytes) -> [UInt8] {
        var hasher = Keccak256()
        hasher.update(data)
        return hasher.finalize()
    }

    /// Absorbs more input.
    public mutating func update(_ data: some ContiguousBytes) {
        data.withUnsafeBytes { update($0) }
    }

    /// Absorbs more input.
    public mutating func update(_ data: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < data.count {
            let start = position
            let take = min(Keccak256.rate - start, data.count - offset)
            withUnsafeMutableBytes(of: &state.a) { lanes in
                if take == Keccak256.rate {
                    // A whole block, lane by lane. nettle keeps lanes as host-endian UInt64 and Keccak's byte order
                    // is little-endian, so on little-endian hosts byte i of the block XORs into byte i of the state.
                    let words = lanes.bindMemory(to: UInt64.self)
                    for lane in 0..<(Keccak256.rate / 8) {
                        words[lane] ^= UInt64(littleEndian: data.loadUnaligned(fromByteOffset: offset + lane * 8, as: UInt64.self))
                    }
                } else {
                    for i in 0..<take { lanes[start + i] ^= data[offset + i] }
                }
            }
            offset += take
            position = start + take
            if position == Keccak256.rate {
                permute()
                position = 0
            }
        }
    }

    /// Pads, squeezes and returns the 32-byte digest.
    public consuming func finalize() -> [UInt8] {
        let end = position
        withUnsafeMutableBytes(of: &state.a) { lanes in
            lanes[end] ^= 0x01
            lanes[Keccak256.rate - 1] ^= 0x80
        }
        permute()
        return withUnsafeBytes(of: &state.a) { Array($0.prefix(32)) }
    }

    private mutating func permute() {
        nettle_sha3_permute(&state)
    }
}
