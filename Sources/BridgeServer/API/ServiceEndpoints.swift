import BridgeApprovals
import BridgeCore

/// `GET /health` and `GET /metrics` (CONTRACT 2.3).
public struct ServiceEndpoints: Sendable {
    public let service: ApprovalService
    /// The Prometheus text of the metrics registry (owned elsewhere), rendered at each scrape.
    public let metrics: @Sendable () -> String

    public init(service: ApprovalService, metrics: @escaping @Sendable () -> String = { "" }) {
        self.service = service
        self.metrics = metrics
    }

    public var endpoints: [Endpoint] {
        [
            Endpoint("GET", "/health") { _, _ in self.health() },
            Endpoint("GET", "/metrics") { _, _ in
                .text(self.metrics(), contentType: "text/plain; version=0.0.4; charset=utf-8")
            },
        ]
    }

    /// `{"status":"ok","database":"ok","pending_approvals":N,"time":...}`, or 503 with `"status":"error"` and the
    /// database's error when the store cannot answer (a load balancer then stops sending traffic here).
    func health() -> HTTPResponse {
        let time = JSONValue.string(service.clock.now().rfc3339)
        do {
            let pending = try service.pendingOrders(limit: Int(Int32.max)).count
            return .json(["status": "ok", "database": "ok", "pending_approvals": .number(JSONNumber(pending)),
                          "time": time])
        } catch {
            return .json(["status": "error", "database": .string(error.message), "time": time], status: 503)
        }
    }
}
