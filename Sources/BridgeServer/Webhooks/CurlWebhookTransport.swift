import CCurl
import Foundation

/// The production ``WebhookTransport``: libcurl, one blocking POST per call on the caller's thread. curl waits in
/// poll() for the answer or the timeout, so a receiver that never answers costs a thread, not a core (Foundation's
/// URLSession on Linux spun about 0.6 of one). Proxy environment variables are ignored and redirects not followed:
/// a receiver is exactly the configured URL.
public struct CurlWebhookTransport: WebhookTransport {
    public init() {
        Self.initializeOnce
    }

    /// libcurl's global state, set up before the first handle (curl_global_init is not thread-safe in every build).
    private static let initializeOnce: Void = {
        _ = curl_global_init(Int(CURL_GLOBAL_DEFAULT))
    }()

    public func post(_ request: WebhookRequest) -> Result<Int, WebhookTransportError> {
        let headers = ["Content-Type: application/json", "Expect:"] + request.headers.map { "\($0.name): \($0.value)" }
        var status = 0
        var error = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let code = Self.withCStrings(headers) { headerPointers in
            request.body.withUnsafeBufferPointer { body in
                error.withUnsafeMutableBufferPointer { errorBuffer in
                    walletbridge_curl_post(request.url.absoluteString, body.baseAddress, body.count, headerPointers.baseAddress,
                                           headerPointers.count, Int(request.timeout.wholeMilliseconds), &status,
                                           errorBuffer.baseAddress)
                }
            }
        }
        guard code == Int32(CURLE_OK.rawValue) else {
            let detail = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let summary = String(cString: curl_easy_strerror(CURLcode(rawValue: UInt32(code))))
            return .failure(WebhookTransportError(detail.isEmpty ? summary : detail))
        }
        return .success(status)
    }

    /// Runs `body` with `strings` as C strings that live for the call.
    private static func withCStrings<Result>(_ strings: [String],
                                             _ body: (UnsafeBufferPointer<UnsafePointer<CChar>?>) -> Result) -> Result {
        let copies = strings.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        let pointers = copies.map { UnsafePointer($0) }
        return pointers.withUnsafeBufferPointer(body)
    }
}
