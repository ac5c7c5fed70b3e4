import BridgeCore
import FoundationEssentials
import Glibc

/// Where log lines go: one call per complete line (without the trailing newline), and a `flush` for sinks that
/// batch their writes.
public struct LogSink: Sendable {
    public let write: @Sendable (String) -> Void
    /// Writes out whatever the sink still holds; a no-op for sinks that write each line at once.
    public let flush: @Sendable () -> Void

    public init(flush: @escaping @Sendable () -> Void = {}, _ write: @escaping @Sendable (String) -> Void) {
        self.write = write
        self.flush = flush
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
        return LogSink(flush: { batcher.flush() }) { line in batcher.append(line) }
    }

    /// Drops every line.
    public static let discard = LogSink { _ in }
}
