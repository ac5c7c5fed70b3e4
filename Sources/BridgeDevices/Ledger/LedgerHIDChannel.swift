/// APDUs over a HID link with Ledger framing: what a real Ledger on USB, and the in-process simulated Ledger, speak.
public final class LedgerHIDChannel: APDUChannel {
    public let link: any DeviceLink
    public let framing: LedgerHIDFraming
    /// How long one blocking receive may take before the deadline and cancellation are checked again.
    static let pollInterval: Duration = .milliseconds(50)

    public init(link: any DeviceLink, channel: UInt16 = LedgerHIDFraming.defaultChannel) {
        self.link = link
        self.framing = LedgerHIDFraming(channel: channel)
    }

    public func exchange(_ command: APDUCommand, deadline: ContinuousClock.Instant, isCancelled: @Sendable () -> Bool)
        throws(DeviceError) -> APDUResponse
    {
        for frame in framing.frames(for: command.bytes) { try link.send(frame) }
        var reassembler = LedgerHIDReassembler(channel: framing.channel)
        while true {
            let frame = try receiveFrame(deadline: deadline, isCancelled: isCancelled)
            if let payload = try reassembler.consume(frame) {
                return try APDUResponse(parsing: payload)
            }
        }
    }

    /// Sends a ping frame and waits for its echo: a cheap liveness check that does not disturb the open app.
    public func ping(deadline: ContinuousClock.Instant) throws(DeviceError) {
        let ping = framing.pingFrame()
        try link.send(ping)
        let echo = try receiveFrame(deadline: deadline, isCancelled: { false })
        guard echo == ping else { throw .protocolError("ping answered with a different frame") }
    }

    private func receiveFrame(deadline: ContinuousClock.Instant, isCancelled: @Sendable () -> Bool) throws(DeviceError) -> [UInt8] {
        let clock = ContinuousClock()
        let start = clock.now
        while true {
            if isCancelled() { throw .cancelled }
            let remaining = deadline - clock.now
            guard remaining > .zero else { throw .timedOut(deadline - start) }
            if let frame = try link.receive(timeout: min(remaining, Self.pollInterval)) { return frame }
        }
    }
}
