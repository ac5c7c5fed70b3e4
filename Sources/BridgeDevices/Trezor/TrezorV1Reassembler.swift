/// Reassembles one protocol-v1 message from 64-byte packets.
///
/// - Packets before a `?##` header are skipped, as trezord-go's `ReadFrom` does ("skip all the previous messages
///   in the bus", trezor/trezord-go wire/v1.go); a Trezor One discards them the same way while idle.
/// - A continuation packet without its `?` is a protocol error (trezorlib `ProtocolError("Missing chunk magic")`,
///   FW python/src/trezorlib/protocol_v1.py `read`).
/// - The payload is cut at the header's length: core firmware reuses its report buffer, so padding may hold stale
///   bytes (FW core/src/trezor/wire/codec/codec_v1.py; ../shared/reference/trezor.md section 2).
public struct TrezorV1Reassembler: Sendable {
    /// The largest payload accepted; a bigger length field is taken as a corrupt header.
    public static let maximumPayloadLength = 16 << 20

    private var type: UInt16 = 0
    private var expectedLength: Int?
    private var payload: [UInt8] = []

    public init() {}

    /// True between a message's first packet and its last.
    public var isInProgress: Bool { expectedLength != nil }

    /// Consumes one packet; returns the message once its last packet arrived, otherwise nil (also for a skipped
    /// junk packet).
    public mutating func append(_ packet: [UInt8]) throws(DeviceError) -> TrezorWireMessage? {
        guard let expected = expectedLength else {
            guard packet.count >= TrezorV1Framing.headerSize, packet[0] == TrezorV1Framing.packetMagic,
                  packet[1] == 0x23, packet[2] == 0x23
            else { return nil }
            type = UInt16(packet[3]) << 8 | UInt16(packet[4])
            let length = Int(packet[5]) << 24 | Int(packet[6]) << 16 | Int(packet[7]) << 8 | Int(packet[8])
            guard length <= Self.maximumPayloadLength else {
                throw .protocolError("Trezor message header claims \(length) bytes, more than the \(Self.maximumPayloadLength) accepted")
            }
            payload = []
            payload.reserveCapacity(min(length, 1 << 16))
            expectedLength = length
            return consume(packet[TrezorV1Framing.headerSize...], expected: length)
        }
        guard let first = packet.first, first == TrezorV1Framing.packetMagic else {
            let got = packet.first.map { "0x" + String($0, radix: 16) } ?? "an empty packet"
            reset()
            throw .protocolError("Trezor continuation packet starts with \(got), not '?' (0x3f)")
        }
        return consume(packet[1...], expected: expected)
    }

    /// Forgets a partly received message.
    public mutating func reset() {
        expectedLength = nil
        payload = []
    }

    private mutating func consume(_ data: ArraySlice<UInt8>, expected: Int) -> TrezorWireMessage? {
        payload += data.prefix(expected - payload.count)
        guard payload.count == expected else { return nil }
        let message = TrezorWireMessage(type: type, payload: payload)
        reset()
        return message
    }
}
