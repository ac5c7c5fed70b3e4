import BridgeCore
import FoundationEssentials
import Glibc

/// Where log lines go: one call per complete line (without the trailing newline), and a `flush` for sinks that
/// batch their writes.
public struct LogSink: Sendable {
    public let write: @Sendable (String) -> Void
    /// Writes one line given as UTF-8 bytes: the access log's path, which never makes a `String` of its lines.
    public let writeBytes: @Sendable ([UInt8]) -> Void
    /// Writes out whatever the sink still holds; a no-op for sinks that write each line at once.
    public let flush: @Sendable () -> Void

    /// A sink taking lines as strings (a line given as bytes is decoded for it).
    public init(flush: @escaping @Sendable () -> Void = {}, _ write: @escaping @Sendable (String) -> Void) {
        self.write = write
        self.writeBytes = { write(String(decoding: $0, as: UTF8.self)) }
        self.flush = flush
    }

    private init(flush: @escaping @Sendable () -> Void, write: @escaping @Sendable (String) -> Void,
                 writeBytes: @escaping @Sendable ([UInt8]) -> Void) {
        self.write = write
        self.writeBytes = writeBytes
        self.flush = flush
    }

    /// A sink taking lines as UTF-8 bytes (a line given as a string is encoded for it).
    public static func bytes(flush: @escaping @Sendable () -> Void = {},
                             _ writeBytes: @escaping @Sendable ([UInt8]) -> Void) -> LogSink {
        LogSink(flush: flush, write: { writeBytes(Array($0.utf8)) }, writeBytes: writeBytes)
    }

    /// Standard error, one `write(2)` per line so concurrent lines do not interleave.
    public static let standardError = LogSink { line in
        FileDescriptorIO.writeAll(Array((line + "\n").utf8), to: 2)
    }

    /// Standard error in batches (``LogBatcher``): a line reaches the file within `interval`, or at once when
    /// `batchBytes` are waiting, or at ``flush``. For the access log, whose line per request would otherwise cost a
    /// system call per request; a process killed outright loses at most `interval` of lines.
    public static func batchedStandardError(interval: Duration = LogBatcher.defaultInterval,
                                            batchBytes: Int = LogBatcher.defaultBatchBytes) -> LogSink {
        let batcher = LogBatcher(fileDescriptor: 2, interval: interval, batchBytes: batchBytes)
        return LogSink.bytes(flush: { batcher.flush() }) { line in batcher.append(line) }
    }

    /// Drops every line.
    public static let discard = LogSink.bytes { _ in }
}
