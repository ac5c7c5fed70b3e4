import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization

/// The production ``WebhookTransport``: Foundation's URLSession, no cookies or caches, one request at a time.
public final class URLSessionWebhookTransport: WebhookTransport {
    private let session: URLSession

    public init() {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpCookieStorage = nil
        configuration.urlCache = nil
        configuration.httpShouldSetCookies = false
        session = URLSession(configuration: configuration)
    }

    deinit {
        session.finishTasksAndInvalidate()
    }

    public func post(_ request: WebhookRequest) -> Result<Int, WebhookTransportError> {
        let seconds = Double(request.timeout.components.seconds)
            + Double(request.timeout.components.attoseconds) / 1e18
        var urlRequest = URLRequest(url: request.url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: seconds)
        urlRequest.httpMethod = "POST"
        urlRequest.httpBody = Data(request.body)
        urlRequest.setValue("application/json", forHTTPHeaderField: "Content-Type")
        for header in request.headers {
            urlRequest.setValue(header.value, forHTTPHeaderField: header.name)
        }

        let outcome = Mutex<Result<Int, WebhookTransportError>?>(nil)
        let finished = DispatchSemaphore(value: 0)
        let task = session.dataTask(with: urlRequest) { _, response, error in
            let result: Result<Int, WebhookTransportError>
            if let error {
                result = .failure(WebhookTransportError(error.localizedDescription))
            } else if let http = response as? HTTPURLResponse {
                result = .success(http.statusCode)
            } else {
                result = .failure(WebhookTransportError("the response was not HTTP"))
            }
            outcome.withLock { $0 = result }
            finished.signal()
        }
        task.resume()
        // URLSession enforces the timeout itself; the extra second only guards against a task that never completes.
        if finished.wait(timeout: .now() + seconds + 1) == .timedOut {
            task.cancel()
            return .failure(WebhookTransportError("no answer within \(Int(seconds)) s"))
        }
        return outcome.withLock { $0 } ?? .failure(WebhookTransportError("the request finished without a result"))
    }
}
