import BridgeCore
import BridgeServer
import FoundationEssentials

/// One HTTP answer from the operator API: the status and the body as received.
public struct OperatorHTTPResponse: Sendable, Equatable {
    public let status: Int
    public let body: [UInt8]

    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }
}

/// How the operator CLI reaches the service: one request, one answer. Injected, so tests answer in-process as the
/// server would, and an operator's desk reaches a remote server through ``CurlOperatorTransport``.
public protocol OperatorHTTPTransport: Sendable {
    /// Sends `body` (nil: none) with `headers` to `url` and returns the status and body whatever the status is.
    /// Throws only when no answer came (connection refused, timeout, TLS failure).
    func send(method: String, url: URL, headers: [String: String], body: [UInt8]?) async throws -> OperatorHTTPResponse
}

/// The real transport: libcurl (``CurlHTTPClient``), HTTP or HTTPS, on a thread of its own so no Swift concurrency
/// thread blocks on the network. Proxy variables are ignored (bearer tokens and signed approvals go straight to the
/// service), nothing is cached, redirects are not followed.
public struct CurlOperatorTransport: OperatorHTTPTransport {
    /// How long one request may take; the device's confirmation is not part of it (signing happens between requests).
    public let timeout: Duration

    public init(timeout: Duration = .seconds(30)) {
        self.timeout = timeout
    }

    public func send(method: String, url: URL, headers: [String: String], body: [UInt8]?) async throws
        -> OperatorHTTPResponse
    {
        let timeout = timeout
        let result = await withCheckedContinuation { (done: CheckedContinuation<Result<CurlHTTPClient.Response, WebhookTransportError>, Never>) in
            // libcurl blocks: on a thread of its own, not one of the concurrency pool's.
            let started = NativeThread.start("walletbridge-http") {
                done.resume(returning: CurlHTTPClient.send(method: method, url: url.absoluteString,
                                                           headers: headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) },
                                                           body: body, timeout: timeout))
            }
            if !started { done.resume(returning: .failure(WebhookTransportError("the system refused a thread for the request"))) }
        }
        switch result {
        case .success(let response):
            return OperatorHTTPResponse(status: response.status, body: response.body)
        case .failure(let error):
            throw GenericBridgeError(
                .connectionLost, "No answer from \(url.scheme ?? "http")://\(url.host ?? "?")\(url.port.map { ":\($0)" } ?? ""): \(error.reason)",
                hint: "Check --server (scheme, host and port) and that `walletbridge serve` runs there and is reachable from this desk.")
        }
    }
}
