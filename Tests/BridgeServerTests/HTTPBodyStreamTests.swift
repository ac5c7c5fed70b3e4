import BridgeCore
import BridgeServer
import Foundation
import Synchronization
import Testing

/// Hands each request a stream the test writes to.
final class StreamingHandler: HTTPHandler {
    let streams = Mutex<[HTTPBodyStream]>([])

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        let stream = HTTPBodyStream()
        streams.withLock { $0.append(stream) }
        return .streaming(stream, contentType: "text/event-stream")
    }

    /// The stream of the `index`th request, once it has arrived.
    func stream(_ index: Int) async throws -> HTTPBodyStream {
        for _ in 0..<500 {
            if let stream = streams.withLock({ $0.count > index ? $0[index] : nil }) { return stream }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw GenericBridgeError(.timedOut, "no request \(index) arrived")
    }
}

@Suite("Streamed response bodies (HTTPBodyStream)")
struct HTTPBodyStreamTests {
    @Test("the head goes out before the body; each write reaches the client as a chunk; finish ends the response")
    func headFirstThenChunks() async throws {
        let handler = StreamingHandler()
        let server = HTTPServer(configuration: HTTPServerConfiguration(), handler: handler)
        let port = try server.start()
        defer { server.stop() }
        let client = try #require(RawHTTPClient(port: port))
        client.write("GET /events HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let stream = try await handler.stream(0)
        let head = await offPool { client.readSome() }
        #expect(head.hasPrefix("HTTP/1.1 200"))
        #expect(head.lowercased().contains("transfer-encoding: chunked"))
        #expect(head.contains("Content-Type: text/event-stream"))
        #expect(!head.contains("data:"), "nothing was written yet: \(head)")

        stream.write(Array("data: one\n\n".utf8))
        let first = await offPool { client.readSome() }
        #expect(first.contains("data: one\n\n"))
        stream.write(Array("data: two\n\n".utf8))
        stream.finish()
        let rest = await offPool {
            var received = ""
            while !received.hasSuffix("0\r\n\r\n") {
                let more = client.readSome()
                if more.isEmpty { break }
                received += more
            }
            return received
        }
        #expect(rest.contains("data: two\n\n"))
        #expect(rest.hasSuffix("0\r\n\r\n"), "the last chunk ends the body: \(rest.debugDescription)")
        #expect(!stream.isOpen)
    }

    @Test("a stopping server ends open streams instead of waiting for them")
    func stopEndsOpenStreams() async throws {
        let handler = StreamingHandler()
        let server = HTTPServer(configuration: HTTPServerConfiguration(), handler: handler)
        let port = try server.start()
        let client = try #require(RawHTTPClient(port: port))
        client.write("GET /events HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let stream = try await handler.stream(0)
        #expect(await offPool { client.readSome() }.hasPrefix("HTTP/1.1 200"))
        let started = ContinuousClock.now
        #expect(await offPool { server.stop(drainTimeout: .seconds(10)) }, "the streamed request completed")
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(!stream.isOpen)
        stream.write(Array("late".utf8))  // dropped, not a crash
    }

    @Test("a client that goes away closes the stream for its writer")
    func clientGoneClosesTheStream() async throws {
        let handler = StreamingHandler()
        let server = HTTPServer(configuration: HTTPServerConfiguration(), handler: handler)
        let port = try server.start()
        defer { server.stop() }
        var client: RawHTTPClient? = try #require(RawHTTPClient(port: port))
        client?.write("GET /events HTTP/1.1\r\nHost: localhost\r\n\r\n")
        let stream = try await handler.stream(0)
        _ = await offPool { [client] in client?.readSome() ?? "" }
        client = nil  // closes the socket
        // libmicrohttpd notices the closed socket on the next write attempt.
        for _ in 0..<200 where stream.isOpen {
            stream.write(Array("data: ping\n\n".utf8))
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(!stream.isOpen)
    }
}
