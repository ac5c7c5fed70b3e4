import BridgeCore
import CMicroHTTPD
import Foundation
import Synchronization

/// What the C callbacks of one server share; reached through libmicrohttpd's `cls` pointer.
final class HTTPServerContext: Sendable {
    let handler: any HTTPHandler
    let accessLog: AccessLog?
    let maximumBodyBytes: Int
    /// Requests between their first callback and their completion callback (``HTTPServer/stop(drainTimeout:)``
    /// waits for this to reach zero).
    let inFlight = Atomic<Int>(0)
    /// Set while stopping: responses then close their connection instead of keeping it alive.
    let stopping = Atomic<Bool>(false)

    /// Where requests with a body run when the server has blocking threads (nil: on the worker thread).
    let blockingPool = Mutex<BlockingWorkerPool?>(nil)

    init(handler: any HTTPHandler, accessLog: AccessLog?, maximumBodyBytes: Int) {
        self.handler = handler
        self.accessLog = accessLog
        self.maximumBodyBytes = maximumBodyBytes
    }
}

/// One request being read, behind libmicrohttpd's per-request `con_cls` pointer. Only the connection's worker
/// thread touches it, one callback at a time.
final class RequestInProgress: @unchecked Sendable {
    // @unchecked: the fields are touched by the connection's worker thread, one callback at a time; a request handed
    // to the blocking pool is not touched by the worker thread until the pool resumes its connection, and the answer
    // crosses over in `deferred`, behind its own lock.
    let started = ContinuousClock.now
    var body: [UInt8] = []
    var exceedsLimit = false
    var responded = false
    /// A request run on the blocking pool, kept for the access log.
    var offloadedRequest: HTTPRequest?
    /// The pool's answer, queued when libmicrohttpd calls back after the connection is resumed.
    let deferred = Mutex<HTTPResponse?>(nil)
}

/// A libmicrohttpd connection handle that may cross to a pool thread, which only passes it to
/// `MHD_resume_connection` (documented as callable from any thread).
private struct SuspendedConnection: @unchecked Sendable {
    let pointer: OpaquePointer
}

/// libmicrohttpd's access handler. It is called several times per request: the first call (`*con_cls == NULL`)
/// only sees the headers and allocates the request's state, each body chunk comes in a further call (consumed by
/// setting `*upload_data_size = 0`), and the last call (`*upload_data_size == 0`) queues the response.
let httpAccessHandler: MHD_AccessHandlerCallback = { cls, connection, url, method, _, uploadData, uploadDataSize, requestState in
    guard let cls, let connection, let url, let method, let uploadDataSize, let requestState else { return .NO }
    let context = Unmanaged<HTTPServerContext>.fromOpaque(cls).takeUnretainedValue()

    guard let stateAddress = requestState.pointee else {
        let progress = RequestInProgress()
        requestState.pointee = Unmanaged.passRetained(progress).toOpaque()
        context.inFlight.add(1, ordering: .acquiringAndReleasing)
        // A declared length over the limit is refused before the body is read (no 100 Continue is sent).
        if let declared = declaredContentLength(connection), declared > context.maximumBodyBytes {
            progress.exceedsLimit = true
            return context.respond(to: connection, progress: progress, method: method, url: url, bodyTooLarge: true)
        }
        return .YES
    }
    let progress = Unmanaged<RequestInProgress>.fromOpaque(stateAddress).takeUnretainedValue()

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
        // A request answered on the blocking pool: libmicrohttpd calls again once its connection is resumed.
        if let response = progress.deferred.withLock({ $0.take() }), let request = progress.offloadedRequest {
            return context.finish(request, response, on: connection, progress: progress)
        }
        return .YES
    }
    return context.respond(to: connection, progress: progress, method: method, url: url,
                           bodyTooLarge: progress.exceedsLimit)
}

/// Called once per request when it is done (answered, failed or aborted by the client or a timeout): frees the
/// request's state.
let httpRequestCompleted: MHD_RequestCompletedCallback = { cls, _, requestState, _ in
    guard let cls, let requestState, let stateAddress = requestState.pointee else { return }
    Unmanaged<RequestInProgress>.fromOpaque(stateAddress).release()
    requestState.pointee = nil
    Unmanaged<HTTPServerContext>.fromOpaque(cls).takeUnretainedValue().inFlight.subtract(1, ordering: .acquiringAndReleasing)
}

private func declaredContentLength(_ connection: OpaquePointer) -> Int? {
    guard let value = MHD_lookup_connection_value(connection, .HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH) else {
        return nil
    }
    return Int(String(cString: value))
}

extension HTTPServerContext {
    /// The CRM's error shape for a body over the limit.
    static let payloadTooLarge = HTTPResponse.json(["error": true, "code": 413, "type": "payload_too_large"], status: 413)

    /// Builds the ``HTTPRequest``, asks the handler (unless the body is too large), queues the response and logs it.
    /// With a blocking pool, a request with a body is handed to the pool instead and its connection suspended until
    /// the answer is ready, so this worker thread goes on serving other connections meanwhile.
    func respond(to connection: OpaquePointer, progress: RequestInProgress, method: UnsafePointer<CChar>,
                 url: UnsafePointer<CChar>, bodyTooLarge: Bool) -> MHD_Result {
        progress.responded = true
        let request = HTTPRequest(
            method: String(cString: method), path: String(cString: url),
            query: connectionValues(connection, kind: .GET_ARGUMENT_KIND, lowercasingNames: false),
            headers: connectionValues(connection, kind: .HEADER_KIND, lowercasingNames: true),
            body: bodyTooLarge ? [] : progress.body,
            clientAddress: walletbridge_mhd_client_address(connection).map { SocketAddress.text(of: $0) } ?? "")
        progress.body = []
        if bodyTooLarge { return finish(request, Self.payloadTooLarge, on: connection, progress: progress) }
        if Self.runsOnBlockingPool(request), let pool = blockingPool.withLock({ $0 }) {
            progress.offloadedRequest = request
            MHD_suspend_connection(connection)
            let suspended = SuspendedConnection(pointer: connection)
            let handler = handler
            let submitted = pool.submit {
                let response = handler.handle(request)
                progress.deferred.withLock { $0 = response }
                MHD_resume_connection(suspended.pointer)
            }
            if !submitted {
                // The pool is shutting down: answer on this thread, through the same resume path.
                progress.deferred.withLock { $0 = handler.handle(request) }
                MHD_resume_connection(connection)
            }
            return .YES
        }
        return finish(request, handler.handle(request), on: connection, progress: progress)
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
        var body = response.body
        let mhdResponse: OpaquePointer? = body.withUnsafeMutableBytes { buffer in
            MHD_create_response_from_buffer(buffer.count, buffer.baseAddress, .RESPMEM_MUST_COPY)
        }
        guard let mhdResponse else { return .NO }
        defer { MHD_destroy_response(mhdResponse) }
        for header in response.headers where header.name.lowercased() != "content-length" {
            // libmicrohttpd refuses header text with line breaks; such a header is dropped rather than sent.
            _ = MHD_add_response_header(mhdResponse, header.name, header.value)
        }
        return MHD_queue_response(connection, UInt32(response.status), mhdResponse)
    }

    /// Header or query values; the first value wins for a repeated name.
    private func connectionValues(_ connection: OpaquePointer, kind: MHD_ValueKind,
                                  lowercasingNames: Bool) -> [String: String] {
        let collector = ValueCollector(lowercasingNames: lowercasingNames)
        withExtendedLifetime(collector) {
            _ = MHD_get_connection_values(connection, kind, collectConnectionValue,
                                          Unmanaged.passUnretained(collector).toOpaque())
        }
        return collector.values
    }
}

/// Receives libmicrohttpd's key/value iteration.
private final class ValueCollector {
    let lowercasingNames: Bool
    var values: [String: String] = [:]

    init(lowercasingNames: Bool) { self.lowercasingNames = lowercasingNames }
}

private let collectConnectionValue: MHD_KeyValueIterator = { cls, _, key, value in
    guard let cls, let key else { return .YES }
    let collector = Unmanaged<ValueCollector>.fromOpaque(cls).takeUnretainedValue()
    let name = collector.lowercasingNames ? String(cString: key).lowercased() : String(cString: key)
    if collector.values[name] == nil {
        collector.values[name] = value.map { String(cString: $0) } ?? ""
    }
    return .YES
}
