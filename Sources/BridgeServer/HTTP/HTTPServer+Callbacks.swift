import BridgeApprovals
import BridgeCore
import CMicroHTTPD
import FoundationEssentials
import Glibc
import Synchronization

/// What the C callbacks of one server share; reached through libmicrohttpd's `cls` pointer.
final class HTTPServerContext: Sendable {
    let handler: any HTTPHandler
    let accessLog: AccessLog?
    let maximumBodyBytes: Int
    /// Requests whose headers are complete and that are not yet completed (answered or aborted):
    /// ``HTTPServer/stop(drainTimeout:)`` waits for this to reach zero, and beyond `maxQueuedRequests` new ones get 503.
    let inFlight = Atomic<Int>(0)
    let maxQueuedRequests: Int
    /// Set while stopping: responses then close their connection instead of keeping it alive.
    let stopping = Atomic<Bool>(false)
    /// Per-address connection counts and header deadlines.
    let connections: ConnectionGuard
    let trustedProxies: IPAllowList

    /// Where requests with a body run when the server has blocking threads (nil: on the worker thread).
    let blockingPool = Mutex<BlockingWorkerPool?>(nil)
    /// Responses whose body is still being written (``HTTPBodyStream``).
    let streams = HTTPStreamRegistry()

    init(handler: any HTTPHandler, accessLog: AccessLog?, configuration: HTTPServerConfiguration) {
        self.handler = handler
        self.accessLog = accessLog
        self.maximumBodyBytes = configuration.maximumBodyBytes
        self.maxQueuedRequests = configuration.maxQueuedRequests
        self.trustedProxies = configuration.trustedProxies
        self.connections = ConnectionGuard(maximumPerAddress: configuration.maxConnectionsPerIP,
                                           headerTimeout: .seconds(configuration.headerTimeoutSeconds),
                                           exempt: configuration.trustedProxies)
    }
}

/// One request being read, behind libmicrohttpd's per-request `con_cls` pointer, created by the URI callback as soon
/// as the request line is in. Only the connection's worker thread touches it, one callback at a time.
final class RequestInProgress: @unchecked Sendable {
    // @unchecked: the fields are touched by the connection's worker thread, one callback at a time; a request handed
    // to the blocking pool is not touched by the worker thread until the pool resumes its connection, and the answer
    // crosses over in `deferred`, behind its own lock.
    let started = ContinuousClock.now
    /// What the request target exactly as sent (path and query, still percent-encoded) calls for: nil when it is fine,
    /// else 414 or 404 (see ``HTTPServerContext/refusal(_:connection:queued:)``). Checked on its bytes in the URI
    /// callback, so no String is made of it.
    let targetRefusal: HTTPRefusal?
    /// Set at the first access-handler call, when the headers are complete.
    var head: RequestHead?
    /// Counted in ``HTTPServerContext/inFlight`` (uncounted on completion).
    var counted = false
    var body: [UInt8] = []
    var exceedsLimit = false
    var responded = false
    /// The request answered (for the access log), and the answer made elsewhere (the blocking pool, an
    /// ``HTTPReply``), which the worker thread makes into the response once the connection is resumed.
    var request: HTTPRequest?
    let deferred = Mutex<HTTPReply.ResponseMaker?>(nil)

    init(rawTarget: UnsafePointer<CChar>?) {
        guard let rawTarget else {
            targetRefusal = .notFound  // no target at all: no route has that path
            return
        }
        let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(rawTarget).assumingMemoryBound(to: UInt8.self),
                                        count: strlen(rawTarget))
        if bytes.count > HTTPServerConfiguration.maximumTargetBytes {
            targetRefusal = .targetTooLong
        } else {
            targetRefusal = HTTPServerContext.isCanonicalTarget(bytes) ? nil : .notFound
        }
    }
}

/// What the headers said, read once when they are complete.
struct RequestHead {
    var query: HTTPFields
    var headers: HTTPFields
    /// Names and values of every header, in bytes (431 beyond ``HTTPServerConfiguration/maximumHeaderBytes``).
    var headerBytes: Int
    /// A query name or value held a NUL byte (`%00`), which C strings would silently cut.
    var queryHasNUL: Bool
    /// `Content-Length` or `Transfer-Encoding` on more than one line: another parser in front may frame the body by
    /// another line than libmicrohttpd (which takes the first), so it is refused like the two together.
    var repeatsFraming: Bool
}

/// A libmicrohttpd connection handle that may cross to a pool thread, which only passes it to
/// `MHD_resume_connection` (documented as callable from any thread).
private struct SuspendedConnection: @unchecked Sendable {
    let pointer: OpaquePointer
}

/// The connection's record, which the notifier keeps in libmicrohttpd's `socket_context` while it is open.
private func connectionRecord(_ connection: OpaquePointer) -> ConnectionRecord? {
    walletbridge_mhd_socket_context(connection).map { Unmanaged<ConnectionRecord>.fromOpaque($0).takeUnretainedValue() }
}

/// libmicrohttpd's URI callback: the request line is in (the headers may still be arriving). Allocates the request's
/// state with the raw target, which the access handler needs to refuse `%2F` and similar paths that unescaping hides.
let httpURILog: walletbridge_mhd_uri_log = { _, uri, _ in
    let progress = RequestInProgress(rawTarget: uri)
    return Unmanaged.passRetained(progress).toOpaque()
}

/// libmicrohttpd's connection notifier: per-address limits and header deadlines (``ConnectionGuard``).
let httpConnectionNotify: MHD_NotifyConnectionCallback = { cls, connection, socketContext, event in
    guard let cls, let connection, let socketContext else { return }
    let context = Unmanaged<HTTPServerContext>.fromOpaque(cls).takeUnretainedValue()
    // MHD_CONNECTION_NOTIFY_STARTED = 0, MHD_CONNECTION_NOTIFY_CLOSED = 1 (microhttpd.h; not imported by name).
    switch event.rawValue {
    case 0:
        // libmicrohttpd's worker threads are its own; each batch-schedules itself at its connections' start (see
        // BlockingWorkerPool: woken by every request, they must not preempt the group commit's committer).
        NativeThread.setScheduling(.batch)
        let peer = walletbridge_mhd_client_address(connection).map { SocketAddress.text(of: $0) } ?? ""
        let record = context.connections.connectionOpened(socket: walletbridge_mhd_connection_fd(connection), peer: peer,
                                                          at: ConnectionGuard.now())
        socketContext.pointee = Unmanaged.passRetained(record).toOpaque()
    case 1:
        guard let stored = socketContext.pointee else { return }
        socketContext.pointee = nil
        context.connections.connectionClosed(Unmanaged<ConnectionRecord>.fromOpaque(stored).takeRetainedValue())
    default:
        break
    }
}

/// libmicrohttpd's access handler. It is called several times per request: the first call only sees the headers,
/// each body chunk comes in a further call (consumed by setting `*upload_data_size = 0`), and the last call
/// (`*upload_data_size == 0`) queues the response.
let httpAccessHandler: MHD_AccessHandlerCallback = { cls, connection, url, method, _, uploadData, uploadDataSize, requestState in
    guard let cls, let connection, let url, let method, let uploadDataSize, let requestState else { return .NO }
    let context = Unmanaged<HTTPServerContext>.fromOpaque(cls).takeUnretainedValue()

    if requestState.pointee == nil {
        // No URI callback ran (it always does with this daemon's options): the unescaped path is all there is.
        requestState.pointee = Unmanaged.passRetained(RequestInProgress(rawTarget: url)).toOpaque()
    }
    guard let stateAddress = requestState.pointee else { return .NO }
    let progress = Unmanaged<RequestInProgress>.fromOpaque(stateAddress).takeUnretainedValue()

    guard progress.head != nil else {
        // The headers are complete: the deadline is met, and the request either queues or is refused now.
        if let record = connectionRecord(connection) { context.connections.headersComplete(record) }
        progress.head = context.readHead(connection)
        progress.counted = true
        let queued = context.inFlight.add(1, ordering: .acquiringAndReleasing).oldValue
        if let refusal = context.refusal(progress, connection: connection, queued: queued) {
            return context.refuse(refusal, on: connection, progress: progress, method: method, url: url)
        }
        return .YES
    }

    let chunkSize = uploadDataSize.pointee
    if chunkSize > 0 {
        if !progress.exceedsLimit, let uploadData {
            if progress.body.count + chunkSize > context.maximumBodyBytes {
                // Chunked uploads declare no length: keep reading, drop the bytes, answer 413 at the end.
                progress.exceedsLimit = true
                progress.body = []
            } else {
                uploadData.withMemoryRebound(to: UInt8.self, capacity: chunkSize) {
                    progress.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: chunkSize))
                }
            }
        }
        uploadDataSize.pointee = 0
        return .YES
    }
    guard !progress.responded else {
        // A request answered elsewhere (the blocking pool, an HTTPReply): libmicrohttpd calls again once its
        // connection is resumed.
        if let makeResponse = progress.deferred.withLock({ $0.take() }), let request = progress.request {
            return context.finish(request, makeResponse(), on: connection, progress: progress)
        }
        return .YES
    }
    if progress.exceedsLimit {
        return context.refuse(.payloadTooLarge, on: connection, progress: progress, method: method, url: url)
    }
    return context.respond(to: connection, progress: progress, method: method, url: url)
}

/// Called once per request when it is done (answered, failed or aborted by the client or a timeout): frees the
/// request's state and re-arms the connection's header deadline for the next request.
let httpRequestCompleted: MHD_RequestCompletedCallback = { cls, connection, requestState, _ in
    guard let cls else { return }
    let context = Unmanaged<HTTPServerContext>.fromOpaque(cls).takeUnretainedValue()
    if let connection, let record = connectionRecord(connection) {
        context.connections.requestCompleted(record, at: ConnectionGuard.now())
    }
    guard let requestState, let stateAddress = requestState.pointee else { return }
    let progress = Unmanaged<RequestInProgress>.fromOpaque(stateAddress).takeRetainedValue()
    requestState.pointee = nil
    if progress.counted { context.inFlight.subtract(1, ordering: .acquiringAndReleasing) }
}

extension HTTPServerContext {
    /// Why a request whose headers just completed is refused before it reaches a handler, if it is. In order: the
    /// queue is full (503), the target is too long (414), its path is not the one canonical form of a route (404: a
    /// `%2F`, `%00`, empty or dot segment; each route has one path), the headers are too large (431), both
    /// `Content-Length` and `Transfer-Encoding` (400, a request-smuggling shape), a declared body over the limit (413,
    /// before it is read), a query holding NUL (400).
    ///
    /// Two cases never get here, so they do not take the service's shape: a head larger than libmicrohttpd's
    /// connection pool (its own HTML 414/431, sent once), and a `Content-Length` that is not a 64-bit decimal (e.g.
    /// `99999999999999999999` or `abc`), which libmicrohttpd 0.9.75 refuses in `parse_connection_headers` (413 or 400,
    /// HTML) and, because `MHD_connection_handle_idle` then overwrites that error's state with
    /// `MHD_CONNECTION_HEADERS_PROCESSED`, sends with its header block twice (src/microhttpd/connection.c, v0.9.75;
    /// unchanged in v0.9.76). No callback runs in between; it closes the connection. HTTPHardeningTests records both
    /// as known issues.
    func refusal(_ progress: RequestInProgress, connection: OpaquePointer, queued: Int) -> HTTPRefusal? {
        guard let head = progress.head else { return nil }
        if queued >= maxQueuedRequests { return .overloaded }
        if let refusal = progress.targetRefusal { return refusal }
        if head.headerBytes > HTTPServerConfiguration.maximumHeaderBytes { return .headersTooLarge }
        if head.headers["content-length"] != nil, head.headers["transfer-encoding"] != nil {
            return .malformed("Content-Length and Transfer-Encoding together are refused")
        }
        if head.repeatsFraming { return .malformed("Content-Length or Transfer-Encoding given more than once") }
        if let declared = head.headers["content-length"], let length = Int(declared), length > maximumBodyBytes {
            progress.exceedsLimit = true
            return .payloadTooLarge
        }
        if head.queryHasNUL { return .malformed("a query parameter contains a NUL byte (%00)") }
        return nil
    }

    /// A raw request target whose path (before `?`) is `/` or `/segment(/segment)*[/]` with no empty, `.` or `..`
    /// segment, and hides no `/`, `.` or NUL in a percent escape (unescaping would hide them). One pass, no copies:
    /// every request goes through it, on the bytes libmicrohttpd hands the URI callback.
    static func isCanonicalTarget(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.first == UInt8(ascii: "/") else { return false }
        var index = 1
        var segmentStart = 1
        func segmentIsValid(_ end: Int) -> Bool {
            let length = end - segmentStart
            if length == 0 { return end == 1 && (end >= bytes.count || bytes[end] == UInt8(ascii: "?")) }
            if length <= 2, bytes[segmentStart] == UInt8(ascii: "."),
               length == 1 || bytes[segmentStart + 1] == UInt8(ascii: ".") { return false }
            return true
        }
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "?") { break }
            if byte == UInt8(ascii: "/") {
                guard segmentIsValid(index) else { return false }
                segmentStart = index + 1
            } else if byte == UInt8(ascii: "%"), index + 2 < bytes.count {
                let high = bytes[index + 1], low = bytes[index + 2] | 0x20  // lower-cased hex letter
                if (high == UInt8(ascii: "2") && (low == UInt8(ascii: "f") || low == UInt8(ascii: "e")))
                    || (high == UInt8(ascii: "0") && low == UInt8(ascii: "0")) { return false }
            }
            index += 1
        }
        // A trailing slash passes here: the router answers it only for a folder route (`/console/`).
        return index == segmentStart || segmentIsValid(index)
    }

    /// Answers a refused request once, in its path's error shape, and closes the connection when a body may still
    /// be coming (its bytes would otherwise be read as the next request).
    func refuse(_ refusal: HTTPRefusal, on connection: OpaquePointer, progress: RequestInProgress,
                method: UnsafePointer<CChar>, url: UnsafePointer<CChar>) -> MHD_Result {
        progress.responded = true
        progress.exceedsLimit = true
        let request = makeRequest(connection, progress: progress, method: method, url: url, body: [])
        var response = refusal.response(for: request.path)
        if refusal.status == 503 { response.headers.append(("Retry-After", "1")) }
        return finish(request, response, on: connection, progress: progress)
    }

    /// Builds the ``HTTPRequest``, asks the handler, queues the response and logs it. A request with a body is first
    /// offered to the handler without blocking (``HTTPHandler/handleWithoutBlocking(_:reply:)``): taken for later,
    /// its connection is suspended until the reply comes. Otherwise, with a blocking pool, it is handed to the pool
    /// and its connection suspended until the answer is ready. Either way this worker thread goes on serving other
    /// connections meanwhile.
    func respond(to connection: OpaquePointer, progress: RequestInProgress, method: UnsafePointer<CChar>,
                 url: UnsafePointer<CChar>) -> MHD_Result {
        progress.responded = true
        let request = makeRequest(connection, progress: progress, method: method, url: url, body: progress.body)
        progress.body = []
        guard Self.runsOnBlockingPool(request) else {
            return finish(request, handler.handle(request), on: connection, progress: progress)
        }
        progress.request = request
        let suspended = SuspendedConnection(pointer: connection)
        let resume: @Sendable (@escaping HTTPReply.ResponseMaker) -> Void = { makeResponse in
            progress.deferred.withLock { $0 = makeResponse }
            MHD_resume_connection(suspended.pointer)
        }
        let reply = HTTPReply(deliver: resume)
        switch handler.handleWithoutBlocking(request, reply: reply) {
        case .now(let response):
            return finish(request, response, on: connection, progress: progress)
        case .later:
            MHD_suspend_connection(connection)
            reply.connectionSuspended()
            return .YES
        case .needsBlockingThread:
            break
        }
        guard let pool = blockingPool.withLock({ $0 }) else {
            return finish(request, handler.handle(request), on: connection, progress: progress)
        }
        MHD_suspend_connection(connection)
        let handler = handler
        let submitted = pool.submit {
            let response = handler.handle(request)
            resume { response }
        }
        if !submitted {
            // The pool is shutting down: answer on this thread, through the same resume path.
            let response = handler.handle(request)
            resume { response }
        }
        return .YES
    }

    private func makeRequest(_ connection: OpaquePointer, progress: RequestInProgress, method: UnsafePointer<CChar>,
                             url: UnsafePointer<CChar>, body: [UInt8]) -> HTTPRequest {
        let head = progress.head ?? readHead(connection)
        let peer = connectionRecord(connection)?.peer
            ?? walletbridge_mhd_client_address(connection).map { SocketAddress.text(of: $0) } ?? ""
        let client = ForwardedClient.address(peer: peer, forwardedFor: head.headers["x-forwarded-for"],
                                             trustedProxies: trustedProxies)
        return HTTPRequest(method: Self.methodName(method), path: String(cString: url), queryFields: head.query,
                           headerFields: head.headers, body: body, clientAddress: client, peerAddress: peer)
    }

    /// The request's method as a String: the usual ones as constants (no String made of the bytes every request).
    static func methodName(_ method: UnsafePointer<CChar>) -> String {
        // Literals, so that strcmp gets static C strings and the answer is a constant.
        if strcmp(method, "GET") == 0 { return "GET" }
        if strcmp(method, "POST") == 0 { return "POST" }
        if strcmp(method, "PATCH") == 0 { return "PATCH" }
        if strcmp(method, "HEAD") == 0 { return "HEAD" }
        return String(cString: method)
    }

    /// Requests that may wait for a durable commit: anything with a body. Reads (GET, HEAD) stay on the worker thread.
    static func runsOnBlockingPool(_ request: HTTPRequest) -> Bool {
        request.method != "GET" && request.method != "HEAD"
    }

    /// Queues `response` for `request` and logs it.
    func finish(_ request: HTTPRequest, _ response: HTTPResponse, on connection: OpaquePointer,
                progress: RequestInProgress) -> MHD_Result {
        var response = response
        if progress.exceedsLimit || stopping.load(ordering: .acquiring) {
            // Do not keep a connection alive whose unread body is still coming, or that a stop will cut.
            response.headers.append(("Connection", "close"))
        }
        let result = queue(response, on: connection)
        accessLog?.record(request: request, status: response.status, bytes: response.body.count,
                          duration: ContinuousClock.now - progress.started)
        return result
    }

    private func queue(_ response: HTTPResponse, on connection: OpaquePointer) -> MHD_Result {
        let mhdResponse: OpaquePointer?
        if let stream = response.stream {
            // MHD_SIZE_UNKNOWN: chunked for HTTP/1.1. The stream stays retained until libmicrohttpd's free callback.
            let retained = Unmanaged.passRetained(stream).toOpaque()
            mhdResponse = MHD_create_response_from_callback(UInt64.max, 4096, httpStreamReader, retained, httpStreamFree)
            if mhdResponse == nil {
                Unmanaged<HTTPBodyStream>.fromOpaque(retained).release()
            } else {
                stream.attach(connection, registry: streams)
            }
        } else {
            // RESPMEM_MUST_COPY: libmicrohttpd copies the bytes and never writes through the pointer, so the body is
            // lent as it is (a mutable view of it would copy it first, since the response still holds it).
            mhdResponse = response.body.withUnsafeBytes { buffer in
                MHD_create_response_from_buffer(buffer.count, UnsafeMutableRawPointer(mutating: buffer.baseAddress),
                                                .RESPMEM_MUST_COPY)
            }
        }
        guard let mhdResponse else { return .NO }
        defer { MHD_destroy_response(mhdResponse) }
        for header in response.headers where !Self.isContentLength(header.name) {
            // libmicrohttpd refuses header text with line breaks; such a header is dropped rather than sent. Passed
            // through withCString: the implicit conversion made a heap copy of each short (inline) string.
            _ = header.name.withCString { name in
                header.value.withCString { value in MHD_add_response_header(mhdResponse, name, value) }
            }
        }
        return MHD_queue_response(connection, UInt32(response.status), mhdResponse)
    }

    /// libmicrohttpd writes Content-Length itself, so a handler's own is dropped. Compared in place, without a
    /// lower-cased copy of every header name of every response.
    static func isContentLength(_ name: String) -> Bool {
        let expected = "content-length".utf8
        guard name.utf8.count == expected.count else { return false }
        return zip(name.utf8, expected).allSatisfy { asciiLowercased($0) == $1 }
    }

    /// The query and headers, with their sizes; the first value wins for a repeated name, except `X-Forwarded-For`,
    /// whose lines are joined.
    func readHead(_ connection: OpaquePointer) -> RequestHead {
        // One iteration over both kinds (libmicrohttpd walks the same list for each kind asked), into collectors that
        // live on this stack while it runs (no object allocated per request).
        var head = HeadCollector()
        _ = withUnsafeMutablePointer(to: &head) { walletbridge_mhd_query_and_headers(connection, collectConnectionValue, $0) }
        return RequestHead(query: head.query.values, headers: head.headers.values, headerBytes: head.headers.bytes,
                           queryHasNUL: head.query.sawNUL, repeatsFraming: head.headers.repeatsFraming)
    }
}

/// `byte` with an ASCII capital letter made small; every other byte as it is. HTTP's names (header fields, methods)
/// are ASCII tokens whose case does not count.
func asciiLowercased(_ byte: UInt8) -> UInt8 {
    (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 : byte
}

/// Receives libmicrohttpd's key/value iteration of one kind, with lengths (a value may hold NUL bytes).
private struct ValueCollector {
    let lowercasingNames: Bool
    var values = HTTPFields()
    var bytes = 0
    var sawNUL = false
    var repeatsFraming = false

    init(lowercasingNames: Bool) {
        self.lowercasingNames = lowercasingNames
        // Room for a usual request's headers (or query) at once, rather than growing from empty on every request.
        values.reserveCapacity(fields: 8, bytes: 256)
    }

    /// Keeps one name and value as bytes (header names lower-cased as they are copied): a value becomes a String
    /// only if it is read.
    mutating func collect(name: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer) {
        bytes += name.count + value.count
        if containsNUL(name) || containsNUL(value) { sawNUL = true }
        guard let earlier = values.addIfAbsent(name: name, lowercasingName: lowercasingNames, value: value),
              lowercasingNames else { return }
        let name = values.name(at: earlier)
        if name == "x-forwarded-for" {
            // Several X-Forwarded-For lines are one list in order (RFC 9110, 5.3): HAProxy's `option forwardfor` adds
            // its own line after any the client sent, so keeping only the first would believe the client's.
            values[name] = values.value(at: earlier) + ", " + String(decoding: value, as: UTF8.self)
        } else if name == "content-length" || name == "transfer-encoding" {
            repeatsFraming = true
        }
    }
}

/// The query's and the headers' collectors, filled by one iteration.
private struct HeadCollector {
    var query = ValueCollector(lowercasingNames: false)
    var headers = ValueCollector(lowercasingNames: true)
}

private let collectConnectionValue: MHD_KeyValueIteratorN = { cls, kind, key, keySize, value, valueSize in
    guard let cls, let key else { return .YES }
    let head = cls.assumingMemoryBound(to: HeadCollector.self)
    let name = UnsafeRawBufferPointer(start: key, count: keySize)
    let value = UnsafeRawBufferPointer(start: value, count: value == nil ? 0 : valueSize)
    if kind == .HEADER_KIND {
        head.pointee.headers.collect(name: name, value: value)
    } else {
        head.pointee.query.collect(name: name, value: value)
    }
    return .YES
}

/// Whether `bytes` holds a 0 byte: memchr, which scans a word at a time (an API key is 64 bytes of every request).
private func containsNUL(_ bytes: UnsafeRawBufferPointer) -> Bool {
    guard let start = bytes.baseAddress, !bytes.isEmpty else { return false }
    return memchr(start, 0, bytes.count) != nil
}
