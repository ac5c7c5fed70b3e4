import BridgeCore
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

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
/// server would, and an operator's desk reaches a remote server through ``URLSessionOperatorTransport``.
public protocol OperatorHTTPTransport: Sendable {
    /// Sends `body` (nil: none) with `headers` to `url` and returns the status and body whatever the status is.
    /// Throws only when no answer came (connection refused, timeout, TLS failure).
    func send(method: String, url: URL, headers: [String: String], body: [UInt8]?) async throws -> OperatorHTTPResponse
}

/// The real transport: Foundation's URLSession (FoundationNetworking on Linux), HTTP or HTTPS.
public struct URLSessionOperatorTransport: OperatorHTTPTransport {
    /// How long one request may take; the device's confirmation is not part of it (signing happens between requests).
    public let timeout: TimeInterval

    public init(timeout: TimeInterval = 30) {
        self.timeout = timeout
    }

    public func send(method: String, url: URL, headers: [String: String], body: [UInt8]?) async throws
        -> OperatorHTTPResponse
    {
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = method
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let body { request.httpBody = Data(body) }
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        // Never let a proxy or cache see bearer tokens or signed approvals.
        configuration.requestCachePolicy = .reloadIgnoringLocalAndRemoteCacheData
        configuration.urlCache = nil
        let session = URLSession(configuration: configuration)
        defer { session.finishTasksAndInvalidate() }
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await session.data(for: request)
        } catch {
            throw GenericBridgeError(
                .connectionLost, "No answer from \(url.scheme ?? "http")://\(url.host ?? "?")\(url.port.map { ":\($0)" } ?? ""): \(error.localizedDescription)",
                hint: "Check --server (scheme, host and port) and that `walletbridge serve` runs there and is reachable from this desk.")
        }
        guard let http = response as? HTTPURLResponse else {
            throw GenericBridgeError(.protocolError, "The answer from \(url.absoluteString) is not HTTP",
                                     hint: "Check that --server points at the WalletBridge service.")
        }
        return OperatorHTTPResponse(status: http.statusCode, body: [UInt8](data))
    }
}
