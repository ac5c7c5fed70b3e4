import FoundationEssentials

/// The production ``WebhookTransport``: libcurl, one blocking POST per call on the caller's thread. curl waits in
/// poll() for the answer or the timeout, so a receiver that never answers costs a thread, not a core (Foundation's
/// URLSession on Linux spun about 0.6 of one). Proxy environment variables are ignored and redirects not followed:
/// a receiver is exactly the configured URL.
public struct CurlWebhookTransport: WebhookTransport {
    public init() {}

    public func post(_ request: WebhookRequest) -> Result<Int, WebhookTransportError> {
        CurlHTTPClient.send(method: "POST", url: request.url.absoluteString,
                            headers: [("Content-Type", "application/json")] + request.headers, body: request.body,
                            timeout: request.timeout, keepBody: false).map(\.status)
    }
}
