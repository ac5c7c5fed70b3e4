/// Trezor protocol v1 ("codec v1") framing over 64-byte packets: the first packet is `?##`, the type (u16 BE), the
/// payload length (u32 BE) and the first 55 payload bytes; every further packet is `?` and the next 63 bytes; all
/// zero-padded to 64.
///
/// trezor/trezor-firmware common/protob/protocol.md and python/src/trezorlib/protocol_v1.py `write`;
/// trezor/trezord-go wire/v1.go; ../shared/reference/trezor.md section 2.
public enum TrezorV1Framing {
    public static let packetSize = 64
    /// `?`: starts every packet.
    public static let packetMagic: UInt8 = 0x3F
    /// `##`: follows the `?` of a message's first packet.
    public static let headerMagic: [UInt8] = [0x23, 0x23]
    /// `?##` + type (2) + length (4).
    public static let headerSize = 9

    /// `?##` + type u16 BE + length u32 BE + payload, cut into 63-byte pieces each prefixed `?`, zero-padded to 64.
    /// An empty message is still one packet.
    public static func packets(for message: TrezorWireMessage) -> [[UInt8]] {
        let length = UInt32(truncatingIfNeeded: message.payload.count)
        var stream: [UInt8] = headerMagic
        stream += [UInt8(message.type >> 8), UInt8(message.type & 0xFF)]
        stream += [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
        stream += message.payload
        var packets: [[UInt8]] = []
        packets.reserveCapacity(stream.count / (packetSize - 1) + 1)
        var offset = 0
        while offset < stream.count {
            let end = min(offset + packetSize - 1, stream.count)
            var packet: [UInt8] = [packetMagic]
            packet.reserveCapacity(packetSize)
            packet += stream[offset..<end]
            packet += repeatElement(0, count: packetSize - packet.count)
            packets.append(packet)
            offset = end
        }
        return packets
    }
}
