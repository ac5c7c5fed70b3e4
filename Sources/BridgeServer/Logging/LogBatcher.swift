import BridgeCore
import Dispatch

/// Collects log lines and writes them to a file descriptor in batches: when `batchBytes` are waiting, every
/// `interval` from a timer, and on ``flush()``. Lines keep their order and are never split; like nginx's
/// `access_log ... buffer= flush=`, it trades a little delay for one system call per batch instead of one per line.
public final class LogBatcher: Sendable {
    public static let defaultInterval: Duration = .milliseconds(100)
    public static let defaultBatchBytes = 64 * 1024

    private let fileDescriptor: Int32
    private let batchBytes: Int
    private let pending = SleepingMutex<[UInt8]>([])
    /// Held while a batch is written, so batches reach the file in the order they were taken.
    private let writing = SleepingMutex(())
    private let timer: DispatchSourceTimerBox

    public init(fileDescriptor: Int32, interval: Duration = defaultInterval, batchBytes: Int = defaultBatchBytes) {
        self.fileDescriptor = fileDescriptor
        self.batchBytes = max(1, batchBytes)
        let flushing = WeakBox<LogBatcher>()
        timer = DispatchSourceTimerBox(label: "walletbridge.log-batcher", interval: interval) { flushing.value?.flush() }
        flushing.value = self
        timer.start()
    }

    deinit {
        timer.stop()
        flush()
    }

    /// Adds one line (a newline is appended); writes the batch at once when it has grown to `batchBytes`.
    public func append(_ line: String) {
        appendLine { $0.appendUTF8(line) }
    }

    /// Adds one line given as UTF-8 bytes (a newline is appended), as the form taking a string does.
    public func append(_ line: [UInt8]) {
        appendLine { $0.append(contentsOf: line) }
    }

    /// Lets `write` add a line's bytes to the batch, ends the line, and writes the batch when it is full.
    private func appendLine(_ write: (inout [UInt8]) -> Void) {
        let full = pending.withLock { buffer -> Bool in
            write(&buffer)
            buffer.append(UInt8(ascii: "\n"))
            return buffer.count >= batchBytes
        }
        if full { flush() }
    }

    /// Writes every line appended so far.
    public func flush() {
        writing.withLock { _ in
            let batch = pending.withLock { buffer -> [UInt8] in
                defer { buffer.removeAll(keepingCapacity: true) }
                return buffer
            }
            if !batch.isEmpty { FileDescriptorIO.writeAll(batch, to: fileDescriptor) }
        }
    }
}

/// Lets the timer reach its batcher without keeping it alive.
private final class WeakBox<Value: AnyObject>: @unchecked Sendable {
    // Set once, before the timer starts; read on the timer's queue afterwards.
    weak var value: Value?
}
