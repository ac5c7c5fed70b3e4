/// One device operation as a sans-I/O state machine: it says which APDU to send and consumes each response,
/// until it finishes with its output. Drivers (``APDUChannel/run(_:deadline:isCancelled:)``) do the I/O, and tests
/// feed responses directly.
public protocol APDUOperation<Output>: Sendable {
    associatedtype Output: Sendable

    /// The first command.
    mutating func start() throws(DeviceError) -> APDUCommand

    /// Consumes the response to the last command: the next command, or the result.
    mutating func handle(_ response: APDUResponse) throws(DeviceError) -> APDUStep<Output>
}

/// What an ``APDUOperation`` wants next.
public enum APDUStep<Output: Sendable>: Sendable {
    case send(APDUCommand)
    case finished(Output)
}

/// Something that exchanges whole APDUs with a device: HID framing over a link, the Speculos TCP protocol, or
/// a replayed transcript.
public protocol APDUChannel: AnyObject, Sendable {
    /// Sends `command` and returns its response, failing once `deadline` passes or `isCancelled` returns true.
    func exchange(_ command: APDUCommand, deadline: ContinuousClock.Instant, isCancelled: @Sendable () -> Bool)
        throws(DeviceError) -> APDUResponse
}

extension APDUChannel {
    /// Drives `operation` to its end over this channel.
    public func run<Operation: APDUOperation>(
        _ operation: Operation, deadline: ContinuousClock.Instant, isCancelled: @Sendable () -> Bool = { false }
    ) throws(DeviceError) -> Operation.Output {
        var operation = operation
        var command = try operation.start()
        while true {
            let response = try exchange(command, deadline: deadline, isCancelled: isCancelled)
            switch try operation.handle(response) {
            case .send(let next): command = next
            case .finished(let output): return output
            }
        }
    }
}
