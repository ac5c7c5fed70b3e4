import CMicroHTTPD
import Synchronization

/// A response body written after the response's head has gone out (chunked transfer encoding): Server-Sent Events,
/// or an answer that waits for something slow (Speculos's `POST /apdu`, which sends its headers at once and its body
/// when the device answers).
///
/// The handler returns an ``HTTPResponse`` carrying the stream and keeps the stream to ``write(_:)`` to, from any
/// thread, until it calls ``finish()``. While nothing is buffered the connection is suspended (no worker thread
/// waits and nothing polls); a write resumes it. A stopping server finishes every open stream, and a client that
/// goes away makes ``isOpen`` false, so a writer knows to stop.
public final class HTTPBodyStream: Sendable {
    private struct State {
        var buffer: [UInt8] = []
        var finished = false
        /// The connection while it is suspended for want of data.
        var suspended: OpaquePointer?
        /// The connection once the response is queued, until libmicrohttpd frees the response.
        var connection: OpaquePointer?
        var released = false
        /// The server's open streams, which it finishes when it stops.
        var registry: HTTPStreamRegistry?
    }

    // The pointers in State are only handed to libmicrohttpd's suspend/resume, which it documents as thread-safe.
    private let state = Mutex<UnsafeState>(UnsafeState(State()))

    private struct UnsafeState: @unchecked Sendable {
        var value: State
        init(_ value: State) { self.value = value }
    }

    public init() {}

    /// Whether writes still reach the client (false once finished, or once the server dropped the response).
    public var isOpen: Bool { state.withLock { !$0.value.finished && !$0.value.released } }

    /// Queues `bytes` for the client.
    public func write(_ bytes: [UInt8]) {
        let resume: OpaquePointer? = state.withLock { box in
            guard !box.value.finished, !box.value.released else { return nil }
            box.value.buffer += bytes
            return box.value.suspended.take()
        }
        if let resume { MHD_resume_connection(resume) }
    }

    /// Ends the body once what is queued has been sent. Further writes are dropped.
    public func finish() {
        let resume: OpaquePointer? = state.withLock { box in
            box.value.finished = true
            return box.value.suspended.take()
        }
        if let resume { MHD_resume_connection(resume) }
    }

    /// The server queued the response on `connection`.
    func attach(_ connection: OpaquePointer, registry: HTTPStreamRegistry) {
        state.withLock { box in
            box.value.connection = connection
            box.value.registry = registry
        }
        registry.insert(self)
    }

    /// libmicrohttpd asks for up to `capacity` bytes: what is buffered, or the end, or (nothing yet) suspend and 0.
    func read(into destination: UnsafeMutablePointer<CChar>, capacity: Int) -> Int {
        state.withLock { box in
            if !box.value.buffer.isEmpty {
                let count = min(capacity, box.value.buffer.count)
                box.value.buffer.withUnsafeBytes { source in
                    UnsafeMutableRawPointer(destination).copyMemory(from: source.baseAddress!, byteCount: count)
                }
                box.value.buffer.removeFirst(count)
                return count
            }
            if box.value.finished { return -1 }  // MHD_CONTENT_READER_END_OF_STREAM
            guard let connection = box.value.connection else { return -2 }  // MHD_CONTENT_READER_END_WITH_ERROR
            // Suspended under the lock, so a writer that sees `suspended` resumes a connection already suspended.
            MHD_suspend_connection(connection)
            box.value.suspended = connection
            return 0
        }
    }

    /// libmicrohttpd freed the response (sent, or the connection closed): nothing more can be written.
    func release() {
        let registry = state.withLock { box in
            box.value.released = true
            box.value.buffer = []
            box.value.connection = nil
            box.value.suspended = nil
            return box.value.registry.take()
        }
        registry?.remove(self)
    }
}

/// The streams a server has queued and libmicrohttpd has not freed yet: a stopping server finishes them, so their
/// connections resume and end (libmicrohttpd cannot stop with suspended connections).
final class HTTPStreamRegistry: Sendable {
    private let streams = Mutex<[ObjectIdentifier: HTTPBodyStream]>([:])

    func insert(_ stream: HTTPBodyStream) {
        streams.withLock { $0[ObjectIdentifier(stream)] = stream }
    }

    func remove(_ stream: HTTPBodyStream) {
        _ = streams.withLock { $0.removeValue(forKey: ObjectIdentifier(stream)) }
    }

    /// Finishes every open stream.
    func finishAll() {
        for stream in streams.withLock({ Array($0.values) }) { stream.finish() }
    }
}

/// libmicrohttpd's content reader for an ``HTTPBodyStream`` (its `cls`, retained until the free callback).
let httpStreamReader: MHD_ContentReaderCallback = { cls, _, buffer, capacity in
    guard let cls, let buffer else { return -2 }
    let stream = Unmanaged<HTTPBodyStream>.fromOpaque(cls).takeUnretainedValue()
    return stream.read(into: buffer, capacity: capacity)
}

/// libmicrohttpd is done with the response: the stream is released and its retain dropped.
let httpStreamFree: MHD_ContentReaderFreeCallback = { cls in
    guard let cls else { return }
    let stream = Unmanaged<HTTPBodyStream>.fromOpaque(cls).takeRetainedValue()
    stream.release()
}
