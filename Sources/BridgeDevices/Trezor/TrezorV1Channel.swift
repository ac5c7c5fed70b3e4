/// Protocol-v1 messages over a packet link: writes a ``TrezorWireMessage`` as 64-byte packets, reassembles the reply,
/// and runs whole calls through ``TrezorCallFlow``, honouring the deadline and the cancellation check.
public final class TrezorV1Channel: Sendable {
    public let link: any DeviceLink
    /// How long one blocking receive may take before the deadline and cancellation are checked again.
    static let pollInterval: Duration = .milliseconds(50)
    /// How long to wait for the Failure that answers a Cancel sent on timeout or cancellation.
    static let cancelGrace: Duration = .seconds(2)

    public init(link: any DeviceLink) {
        self.link = link
    }

    /// Sends one message.
    public func write(_ message: TrezorWireMessage) throws(DeviceError) {
        for packet in TrezorV1Framing.packets(for: message) { try link.send(packet) }
    }

    /// Reads one message, polling the link in short slices; `.timedOut` at the deadline, `.cancelled` once
    /// `isCancelled` says so.
    public func read(deadline: ContinuousClock.Instant, timeout: Duration, isCancelled: @Sendable () -> Bool)
        throws(DeviceError) -> TrezorWireMessage
    {
        var reassembler = TrezorV1Reassembler()
        while true {
            if isCancelled() { throw .cancelled }
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { throw .timedOut(timeout) }
            if let packet = try link.receive(timeout: min(remaining, Self.pollInterval)),
               let message = try reassembler.append(packet)
            {
                return message
            }
        }
    }

    /// One call as trezorlib's `_call` makes it: send `request`, answer button, PIN and passphrase requests, and
    /// return the first other message. On timeout or cancellation while the device waits (usually for the user),
    /// sends Cancel and drains the device's Failure so the next call starts clean.
    public func call(_ request: TrezorWireMessage, _ context: TrezorCallContext) throws(DeviceError) -> TrezorWireMessage {
        var flow = TrezorCallFlow(request: request, credentials: context.credentials,
                                  passphraseEntryOnDevice: context.passphraseEntryOnDevice)
        if context.isCancelled() { throw .cancelled }
        try write(request)
        while true {
            let reply: TrezorWireMessage
            do {
                reply = try read(deadline: context.deadline, timeout: context.timeout, isCancelled: context.isCancelled)
            } catch {
                // Timed out or cancelled (both carry the timeout code) while the device waits: stop its workflow.
                if error.code == .timedOut { abort() }
                throw error
            }
            switch flow.next(after: reply) {
            case .send(let message, let progress):
                // Cancelled while the device shows a prompt: Cancel instead of the acknowledgement.
                if context.isCancelled() {
                    abort()
                    throw .cancelled
                }
                if let progress { context.progress(progress) }
                try write(message)
            case .finished(let message):
                return message
            case .failed(let error, let sendCancel):
                if sendCancel { abort() }
                throw error
            }
        }
    }

    /// A typed call: the result must be `Response`, else a protocol error naming what came instead.
    public func call<Response: TrezorMessage>(_ request: some TrezorMessage, expecting: Response.Type, _ context: TrezorCallContext)
        throws(DeviceError) -> Response
    {
        let reply = try call(TrezorWireMessage(request), context)
        guard reply.type == Response.messageType.rawValue else {
            throw .protocolError("\(TrezorWireMessage(request).typeName) was answered with \(reply.typeName), expected \(Response.messageType.name)")
        }
        return try Response(protobuf: reply.payload)
    }

    /// Sends Cancel and reads until the Failure that answers it (or a short grace period ends), ignoring what comes
    /// before it; errors here are dropped: the caller is already failing with its own.
    public func abort() {
        do {
            try write(TrezorWireMessage(TrezorProto.Cancel()))
            let graceEnd = ContinuousClock.now.advanced(by: Self.cancelGrace)
            while true {
                let message = try read(deadline: graceEnd, timeout: Self.cancelGrace, isCancelled: { false })
                if message.messageType == .failure { return }
            }
        } catch {
            return
        }
    }
}
