import CCurl
import FoundationEssentials
import Glibc

/// One blocking HTTP request through libcurl (`walletbridge_curl_request` in the CCurl shim): how the operator CLI
/// reaches the service (so the binary needs no FoundationNetworking) and how webhooks are POSTed. Proxy variables
/// are ignored and redirects not followed; http and https only.
public enum CurlHTTPClient {
    /// An answer: the status and the body as received.
    public struct Response: Sendable, Equatable {
        public let status: Int
        public let body: [UInt8]
    }

    /// Sends the request on the calling thread and returns whatever status came back; a failure means no answer
    /// (refused, timed out, TLS), with curl's explanation. `keepBody` false discards the answer's body as it arrives
    /// (a webhook receiver's answer is not read, and must not fill memory).
    public static func send(method: String, url: String, headers: [(name: String, value: String)], body: [UInt8]?,
                            timeout: Duration, keepBody: Bool = true) -> Result<Response, WebhookTransportError> {
        if let reason = walletbridge_curl_open() {
            return .failure(WebhookTransportError("libcurl could not be loaded (\(String(cString: reason))): install "
                + "Debian's libcurl4"))
        }
        initializeOnce
        let lines = ["Expect:"] + headers.map { "\($0.name): \($0.value)" }
        let received = ResponseBuffer()
        var status = 0
        var error = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let context = Unmanaged.passUnretained(received).toOpaque()
        let copies = lines.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        let pointers = copies.map { $0.map { UnsafePointer<CChar>($0) } }
        // A non-NULL pointer even for an empty body, so curl sends Content-Length: 0; NULL sends no body at all.
        let bodyBytes = body.map { $0.isEmpty ? [UInt8(0)] : $0 }
        let bodyLength = body?.count ?? 0
        let code = pointers.withUnsafeBufferPointer { headerPointers in
            error.withUnsafeMutableBufferPointer { errorBuffer in
                withOptionalBuffer(bodyBytes) { bodyPointer in
                    walletbridge_curl_request(method, url, bodyPointer, bodyLength, headerPointers.baseAddress,
                                              headerPointers.count, max(1, Int(timeout.wholeMilliseconds)),
                                              keepBody ? collect : nil, context, &status, errorBuffer.baseAddress)
                }
            }
        }
        guard code == Int32(CURLE_OK.rawValue) else {
            let detail = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let summary = String(cString: curl_easy_strerror(CURLcode(rawValue: UInt32(code))))
            return .failure(WebhookTransportError(detail.isEmpty ? summary : detail))
        }
        return .success(Response(status: status, body: received.bytes))
    }

    private static func withOptionalBuffer<Result>(_ bytes: [UInt8]?, _ body: (UnsafePointer<UInt8>?) -> Result) -> Result {
        guard let bytes else { return body(nil) }
        return bytes.withUnsafeBufferPointer { body($0.baseAddress) }
    }

    private static let initializeOnce: Void = {
        _ = curl_global_init(Int(CURL_GLOBAL_DEFAULT))
    }()

    /// The body as curl hands it over, chunk by chunk (only touched on the calling thread, inside the request).
    private final class ResponseBuffer {
        var bytes: [UInt8] = []
    }

    private static let collect: walletbridge_curl_write = { data, size, count, context in
        guard let data, let context else { return 0 }
        let buffer = Unmanaged<ResponseBuffer>.fromOpaque(context).takeUnretainedValue()
        let length = size * count
        data.withMemoryRebound(to: UInt8.self, capacity: length) { buffer.bytes.append(contentsOf: UnsafeBufferPointer(start: $0, count: length)) }
        return length
    }
}
