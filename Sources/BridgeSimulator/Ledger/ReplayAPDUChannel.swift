import BridgeCore
import BridgeDevices
import Synchronization

/// One recorded APDU exchange: the command as sent and the response (data + SW) as received.
public struct RecordedExchange: Sendable, Equatable {
    public let command: [UInt8]
    public let response: [UInt8]

    public init(command: [UInt8], response: [UInt8]) {
        self.command = command
        self.response = response
    }
}

/// A strict replay of a recorded transcript: each command must be exactly the next recorded one, or the exchange
/// fails naming the transcript, the exchange number and both byte strings. Tests use it to prove the host sends what
/// the real host libraries sent and decodes what the real devices answered.
public final class ReplayAPDUChannel: APDUChannel {
    public let name: String
    public let exchanges: [RecordedExchange]
    private let position = Mutex(0)

    public init(name: String, exchanges: [RecordedExchange]) {
        self.name = name
        self.exchanges = exchanges
    }

    /// How many recorded exchanges have been replayed.
    public var replayed: Int { position.withLock { $0 } }

    /// True once every recorded exchange has been replayed.
    public var isFinished: Bool { replayed == exchanges.count }

    public func exchange(_ command: APDUCommand, deadline: ContinuousClock.Instant, isCancelled: @Sendable () -> Bool)
        throws(DeviceError) -> APDUResponse
    {
        let result: Result<APDUResponse, DeviceError> = position.withLock { index in
            guard index < exchanges.count else {
                return .failure(.protocolError(
                    "replay \(name): command \(command) after the last of \(exchanges.count) recorded exchanges"))
            }
            let expected = exchanges[index]
            guard expected.command == command.bytes else {
                return .failure(.protocolError(
                    "replay \(name): exchange \(index + 1) of \(exchanges.count) expected command \(Hex.encode(expected.command)), got \(command)"))
            }
            index += 1
            return Result { () throws(DeviceError) in try APDUResponse(parsing: expected.response) }
        }
        return try result.get()
    }
}

/// Wraps a channel and records every exchange, to write new transcripts.
public final class RecordingAPDUChannel: APDUChannel {
    public let inner: any APDUChannel
    private let log = Mutex<[RecordedExchange]>([])

    public init(_ inner: any APDUChannel) {
        self.inner = inner
    }

    /// The exchanges so far, in order.
    public var recorded: [RecordedExchange] { log.withLock { $0 } }

    public func exchange(_ command: APDUCommand, deadline: ContinuousClock.Instant, isCancelled: @Sendable () -> Bool)
        throws(DeviceError) -> APDUResponse
    {
        let response = try inner.exchange(command, deadline: deadline, isCancelled: isCancelled)
        log.withLock { $0.append(RecordedExchange(command: command.bytes, response: response.bytes)) }
        return response
    }
}
