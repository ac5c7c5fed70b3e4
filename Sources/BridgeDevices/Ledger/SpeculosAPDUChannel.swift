/// APDUs over the Speculos TCP protocol: request `len(4, BE) | APDU`, reply `len(4, BE) | data | SW(2)` where the
/// length excludes the status word (LedgerHQ/speculos `speculos/mcu/apdu.py`; ../shared/reference/ledger.md section 6).
/// The link is a byte stream: packets are whatever chunks the socket delivers.
public final class SpeculosAPDUChannel: APDUChannel {
    public let link: any DeviceLink
    static let pollInterval: Duration = .milliseconds(50)

    public init(link: any DeviceLink) {
        self.link = link
    }

    /// The request bytes for `command`.
    public static func encodeRequest(_ command: APDUCommand) -> [UInt8] {
        lengthPrefix(command.bytes.count) + command.bytes
    }

    /// The reply bytes for `response`, as a Speculos-compatible server writes them (in one write).
    public static func encodeReply(_ response: APDUResponse) -> [UInt8] {
        lengthPrefix(response.data.count) + response.bytes
    }

    static func lengthPrefix(_ count: Int) -> [UInt8] {
        let length = UInt32(count)
        return [UInt8(length >> 24), UInt8(truncatingIfNeeded: length >> 16), UInt8(truncatingIfNeeded: length >> 8),
                UInt8(truncatingIfNeeded: length)]
    }

    public func exchange(_ command: APDUCommand, deadline: ContinuousClock.Instant, isCancelled: @Sendable () -> Bool)
        throws(DeviceError) -> APDUResponse
    {
        try link.send(Self.encodeRequest(command))
        var buffer: [UInt8] = []
        let clock = ContinuousClock()
        let start = clock.now
        while true {
            if buffer.count >= 4 {
                let length = Int(buffer[0]) << 24 | Int(buffer[1]) << 16 | Int(buffer[2]) << 8 | Int(buffer[3])
                guard length <= 65_536 else { throw .protocolError("Speculos reply announces \(length) bytes") }
                if buffer.count >= 4 + length + 2 {
                    guard buffer.count == 4 + length + 2 else {
                        throw .protocolError("Speculos reply has \(buffer.count - 6 - length) unexpected trailing bytes")
                    }
                    return try APDUResponse(parsing: Array(buffer[4...]))
                }
            }
            if isCancelled() { throw .cancelled }
            let remaining = deadline - clock.now
            guard remaining > .zero else { throw .timedOut(deadline - start) }
            if let chunk = try link.receive(timeout: min(remaining, Self.pollInterval)) { buffer += chunk }
        }
    }
}
