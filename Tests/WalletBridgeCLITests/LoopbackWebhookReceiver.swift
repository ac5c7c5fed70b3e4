import BridgeServer
import Foundation
import Synchronization

/// A webhook receiver on 127.0.0.1 for the end-to-end tests: BridgeServer's own `HTTPServer` with a handler that
/// records every request it gets and answers 500 to the first `failuresBeforeSuccess` of them, 200 afterwards.
final class LoopbackWebhookReceiver: Sendable {
    /// What one POST brought and how it was answered.
    struct Delivery: Sendable {
        let request: HTTPRequest
        let status: Int

        var succeeded: Bool { (200..<300).contains(status) }
        var event: String? { request.header("X-WalletBridge-Event") }
    }

    private final class RecordingHandler: HTTPHandler {
        let deliveries = Mutex<[Delivery]>([])
        let failuresLeft: Mutex<Int>

        init(failures: Int) {
            failuresLeft = Mutex(failures)
        }

        func handle(_ request: HTTPRequest) -> HTTPResponse {
            let status = failuresLeft.withLock { left in
                guard left > 0 else { return 200 }
                left -= 1
                return 500
            }
            deliveries.withLock { $0.append(Delivery(request: request, status: status)) }
            return .json(["received": .bool(status == 200)], status: status)
        }
    }

    private let handler: RecordingHandler
    private let server: HTTPServer
    /// Where the service should POST, valid after ``start()``.
    let url: URL

    /// Starts listening on a port the kernel picks.
    init(failuresBeforeSuccess: Int = 0) throws {
        handler = RecordingHandler(failures: failuresBeforeSuccess)
        server = HTTPServer(configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0, workerThreads: 1),
                            handler: handler)
        let port = try server.start()
        guard let url = URL(string: "http://127.0.0.1:\(port)/hooks/walletbridge") else {
            _ = server.stop(drainTimeout: .zero)
            throw HTTPServerError.cannotListen(host: "127.0.0.1", port: UInt16(clamping: port), reason: "no URL for it")
        }
        self.url = url
    }

    func stop() {
        _ = server.stop(drainTimeout: .seconds(2))
    }

    /// Every request so far, in arrival order.
    var deliveries: [Delivery] { handler.deliveries.withLock { $0 } }

    /// Waits (polling, at most `limit`) until `condition` holds for the deliveries; returns them either way, so the
    /// caller asserts on what arrived rather than on how long it took.
    func waitUntil(limit: Duration = .seconds(15), _ condition: ([Delivery]) -> Bool) async -> [Delivery] {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            let current = deliveries
            if condition(current) { return current }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return deliveries
    }
}
