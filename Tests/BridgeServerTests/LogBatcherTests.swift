@testable import BridgeServer
import Foundation
import Synchronization
import BridgeApprovals
import Testing

/// The access log's batching: lines come out whole, in order, on flush, on a full batch and on the timer.
@Suite("Log batcher")
struct LogBatcherTests {
    /// A pipe whose read end is non-blocking, so "nothing written yet" can be asserted.
    private final class Pipe {
        let readEnd: Int32
        let writeEnd: Int32

        init() throws {
            var ends: [Int32] = [0, 0]
            guard pipe(&ends) == 0 else { throw POSIXError(.EIO) }
            readEnd = ends[0]
            writeEnd = ends[1]
            _ = fcntl(readEnd, F_SETFL, fcntl(readEnd, F_GETFL) | O_NONBLOCK)
        }

        func available() -> String {
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65_536)
            while true {
                let count = read(readEnd, &chunk, chunk.count)
                if count <= 0 { break }
                bytes += chunk[0..<count]
            }
            return String(decoding: bytes, as: UTF8.self)
        }

        deinit {
            close(readEnd)
            close(writeEnd)
        }
    }

    @Test("The access log's duration_ms is milliseconds with exactly three decimals")
    func accessLogMilliseconds() {
        #expect(AccessLog.milliseconds(.microseconds(412)).text == "0.412")
        #expect(AccessLog.milliseconds(.microseconds(7)).text == "0.007")
        #expect(AccessLog.milliseconds(.milliseconds(12)).text == "12.000")
        #expect(AccessLog.milliseconds(.microseconds(1_234_567)).text == "1234.567")
        #expect(AccessLog.milliseconds(.nanoseconds(999)).text == "0.000")
        #expect(AccessLog.milliseconds(.microseconds(-3)).text == "0.000")
    }

    @Test func linesWaitForAFlushThenComeOutInOrder() throws {
        let pipe = try Pipe()
        let batcher = LogBatcher(fileDescriptor: pipe.writeEnd, interval: .seconds(3600))
        batcher.append("{\"n\":1}")
        batcher.append("{\"n\":2}")
        #expect(pipe.available() == "")
        batcher.flush()
        #expect(pipe.available() == "{\"n\":1}\n{\"n\":2}\n")
        batcher.flush()
        #expect(pipe.available() == "")
    }

    @Test func aFullBatchIsWrittenAtOnce() throws {
        let pipe = try Pipe()
        let batcher = LogBatcher(fileDescriptor: pipe.writeEnd, interval: .seconds(3600), batchBytes: 20)
        batcher.append("0123456789")
        #expect(pipe.available() == "")
        batcher.append("abcdefghij")
        #expect(pipe.available() == "0123456789\nabcdefghij\n")
    }

    @Test func concurrentLinesStayWhole() throws {
        let pipe = try Pipe()
        let batcher = LogBatcher(fileDescriptor: pipe.writeEnd, interval: .seconds(3600), batchBytes: 512)
        var text = ""
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            for line in 0..<50 { batcher.append("thread \(thread) line \(line)") }
        }
        batcher.flush()
        text = pipe.available()
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.count == 200)
        for thread in 0..<4 {
            let own = lines.filter { $0.hasPrefix("thread \(thread) ") }
            #expect(own == (0..<50).map { "thread \(thread) line \($0)" })
        }
    }

    @Test func theTimerWritesWithoutAFlush() async throws {
        let pipe = try Pipe()
        let batcher = LogBatcher(fileDescriptor: pipe.writeEnd, interval: .milliseconds(10))
        batcher.append("tick")
        var seen = ""
        // Waits for the timer (bounded); the assertion is on the bytes, not on the time taken.
        for _ in 0..<500 where seen.isEmpty {
            try await Task.sleep(for: .milliseconds(10))
            seen = pipe.available()
        }
        #expect(seen == "tick\n")
        withExtendedLifetime(batcher) {}
    }

    @Test("A batched access log writes the same bytes as its line, one line each")
    func accessLogBytesMatchItsLine() throws {
        let pipe = try Pipe()
        let batcher = LogBatcher(fileDescriptor: pipe.writeEnd, interval: .seconds(3600))
        let clock = ManualClock(Timestamp(millisecondsSinceEpoch: 1_795_000_000_125))
        let log = AccessLog(sink: .bytes(flush: { batcher.flush() }) { batcher.append($0) }, clock: clock)
        let odd = HTTPRequest(method: "GET", path: "/a\"b\\c\nd\u{1}é", clientAddress: "203.0.113.9")
        let plain = HTTPRequest(method: "PATCH", path: "/wallets/balance", clientAddress: "::1")
        log.record(request: odd, status: 404, bytes: 0, duration: .microseconds(7))
        log.record(request: plain, status: 200, bytes: 1_234_567, duration: .microseconds(1_234_567))
        log.flush()
        let expected = log.line(request: odd, status: 404, bytes: 0, duration: .microseconds(7)) + "\n"
            + log.line(request: plain, status: 200, bytes: 1_234_567, duration: .microseconds(1_234_567)) + "\n"
        #expect(pipe.available() == expected)
        #expect(expected.hasSuffix(#"{"time":"2026-11-18T11:06:40.125Z","client":"::1","method":"PATCH","path":"/wallets/balance","status":200,"duration_ms":1234.567,"bytes":1234567}"# + "\n"))
    }

    @Test func theAccessLogFlushesItsSink() {
        let flushed = Mutex(0)
        let log = AccessLog(sink: LogSink(flush: { flushed.withLock { $0 += 1 } }) { _ in })
        log.flush()
        #expect(flushed.withLock { $0 } == 1)
    }
}
