import BridgeCore

/// Ledger's USB HID framing: every frame is 64 bytes, `channel(2) | tag(1) | sequence(2)`, then in frame 0 the
/// 2-byte payload length, then payload bytes, zero-padded.
///
/// ledger-live `libs/ledgerjs/packages/devices/src/hid-framing.ts` (`makeBlocks`, `reduceResponse`);
/// ledger-secure-sdk `protocol/src/ledger_protocol.c`; ../shared/reference/ledger.md section 1.3.
public struct LedgerHIDFraming: Sendable {
    public static let frameSize = 64
    /// TAG_APDU: the frame carries (part of) an APDU or a response.
    public static let apduTag: UInt8 = 0x05
    /// TAG_PING: the device echoes the frame.
    public static let pingTag: UInt8 = 0x02
    /// The channel ledgerblue, ledgercomm and ledgerctl use; app-ethereum's ethapp.adoc recommends it.
    public static let defaultChannel: UInt16 = 0x0101

    public let channel: UInt16

    public init(channel: UInt16 = LedgerHIDFraming.defaultChannel) {
        self.channel = channel
    }

    /// The frames that carry `payload` (an APDU from the host, or response data + SW from the device).
    public func frames(for payload: [UInt8]) -> [[UInt8]] {
        let length = UInt16(truncatingIfNeeded: payload.count)
        var stream = [UInt8(length >> 8), UInt8(length & 0xFF)] + payload
        var frames: [[UInt8]] = []
        var sequence: UInt16 = 0
        repeat {
            let take = min(stream.count, Self.frameSize - 5)
            var frame = header(tag: Self.apduTag, sequence: sequence)
            frame.append(contentsOf: stream.prefix(take))
            frame.append(contentsOf: repeatElement(0, count: Self.frameSize - frame.count))
            frames.append(frame)
            stream.removeFirst(take)
            sequence &+= 1
        } while !stream.isEmpty
        return frames
    }

    /// A ping frame; the device answers with the same frame.
    public func pingFrame() -> [UInt8] {
        header(tag: Self.pingTag, sequence: 0) + [UInt8](repeating: 0, count: Self.frameSize - 5)
    }

    private func header(tag: UInt8, sequence: UInt16) -> [UInt8] {
        [UInt8(channel >> 8), UInt8(channel & 0xFF), tag, UInt8(sequence >> 8), UInt8(sequence & 0xFF)]
    }
}

/// Reassembles one payload from HID frames, strictly: every frame must carry the expected channel, the APDU tag
/// and the next sequence number, or reassembly fails with a protocol error naming what was wrong.
public struct LedgerHIDReassembler: Sendable {
    /// The channel frames must carry; nil takes the first frame's channel (the device side, which answers on the
    /// channel the host chose).
    public private(set) var channel: UInt16?
    private var expectedLength: Int?
    private var payload: [UInt8] = []
    private var sequence: UInt16 = 0

    public init(channel: UInt16?) {
        self.channel = channel
    }

    /// True between the first and the last frame of a payload.
    public var isInProgress: Bool { expectedLength != nil }

    /// Consumes one frame; returns the whole payload once its last frame arrived, otherwise nil.
    public mutating func consume(_ frame: [UInt8]) throws(DeviceError) -> [UInt8]? {
        guard frame.count >= 5 else { throw .protocolError("HID frame of \(frame.count) bytes is shorter than its 5-byte header") }
        let frameChannel = UInt16(frame[0]) << 8 | UInt16(frame[1])
        if let channel {
            guard frameChannel == channel else {
                throw .protocolError("HID frame on channel 0x\(Self.hex16(frameChannel)), expected 0x\(Self.hex16(channel))")
            }
        } else {
            channel = frameChannel
        }
        guard frame[2] == LedgerHIDFraming.apduTag else {
            throw .protocolError("HID frame with tag 0x\(Hex.encode([frame[2]])), expected 0x05 (APDU)")
        }
        let frameSequence = UInt16(frame[3]) << 8 | UInt16(frame[4])
        guard frameSequence == sequence else {
            throw .protocolError("HID frame with sequence \(frameSequence), expected \(sequence)")
        }
        var body = frame[5...]
        if sequence == 0 {
            guard body.count >= 2 else { throw .protocolError("first HID frame has no length field") }
            expectedLength = Int(body[body.startIndex]) << 8 | Int(body[body.startIndex + 1])
            body = body.dropFirst(2)
        }
        sequence &+= 1
        guard let expectedLength else { return nil }
        payload.append(contentsOf: body.prefix(expectedLength - payload.count))
        guard payload.count == expectedLength else { return nil }
        defer { reset() }
        return payload
    }

    /// Forgets a partial payload (after an error, or to start over).
    public mutating func reset() {
        expectedLength = nil
        payload = []
        sequence = 0
    }

    static func hex16(_ value: UInt16) -> String { Hex.encode([UInt8(value >> 8), UInt8(value & 0xFF)]) }
}
