import BridgeDevices

/// The firmware's side of the Ledger HID framing, without I/O: 64-byte frames from the host in, the reply frames out
/// (ledger-secure-sdk protocol/src/ledger_protocol.c). ``SimulatedLedgerLink`` runs it in process and
/// `HIDGadget.ledger` (BridgeUSBGadget) behind a real USB HID gadget.
///
/// The reply goes out on the channel of the request, ping frames (tag 0x02) are echoed, and a frame with a wrong
/// sequence number while no APDU is being received is dropped ("Ledger Live is well known for sending empty apdu
/// chunk"); a malformed frame mid-APDU drops the partial APDU.
public struct LedgerHIDDeviceSide: Sendable {
    public let device: SimulatedLedger
    private var reassembler = LedgerHIDReassembler(channel: nil)

    public init(device: SimulatedLedger) {
        self.device = device
    }

    /// One frame from the host (shorter ones are zero-padded); the frames to send back, none until an APDU is whole.
    public mutating func accept(_ packet: [UInt8]) -> [[UInt8]] {
        guard packet.count >= 5 else { return [] }
        let frame = Array((packet + [UInt8](repeating: 0, count: max(0, LedgerHIDFraming.frameSize - packet.count)))
            .prefix(LedgerHIDFraming.frameSize))
        switch frame[2] {
        case LedgerHIDFraming.pingTag:
            return [frame]
        case LedgerHIDFraming.apduTag:
            let sequence = UInt16(frame[3]) << 8 | UInt16(frame[4])
            // A stray continuation while idle is dropped, not an error.
            guard reassembler.isInProgress || sequence == 0 else { return [] }
            let channel = UInt16(frame[0]) << 8 | UInt16(frame[1])
            let payload: [UInt8]?
            do {
                payload = try reassembler.consume(frame)
            } catch {
                reassembler = LedgerHIDReassembler(channel: nil)
                return []
            }
            guard let payload else { return [] }
            // Each APDU may come on its own channel: the reply copies it.
            reassembler = LedgerHIDReassembler(channel: nil)
            let response: APDUResponse
            if let command = try? APDUCommand(parsing: payload) {
                response = device.handle(command)
            } else {
                // ISO 7816 "wrong length": the APDU's Lc does not match its body.
                response = APDUResponse(statusWord: 0x6700)
            }
            return LedgerHIDFraming(channel: channel).frames(for: response.bytes)
        default:
            // GET_PROTOCOL_VERSION, ALLOCATE_CHANNEL, ABORT, MTU: no host of ours sends them.
            return []
        }
    }
}
