import BridgeApprovals
import BridgeCore
import Dispatch
import FoundationEssentials

/// The running service: the session manager on its store, the HTTP server with the CRM, operator and service
/// endpoints, the webhook dispatcher and the expiry sweep, wired once so `serve` and the end-to-end tests run the
/// same thing.
public final class ServiceRuntime: Sendable {
    public let configuration: ServiceConfiguration
    public let service: ApprovalService
    public let metrics: MetricsRegistry
    public let webhooks: WebhookDispatcher
    private let server: HTTPServer
    /// The console's live channel, fed from the audit chain by ``eventPoll``.
    public let events: OperatorEventFeed
    private let eventPoll: DispatchSourceTimerBox
    private let expirySweep: DispatchSourceTimerBox?
    private let credentialSweep: DispatchSourceTimerBox?
    private let logger: Logger
    private let accessLog: AccessLog?

    /// Wires everything; nothing listens until ``start()``.
    /// - Parameters:
    ///   - apiKey: the CRM's API key (the configuration's, or the demo's stored one).
    ///   - clock: the session manager's and the dispatcher's time; tests pass a `ManualClock`.
    ///   - webhookRetryDelays: the retry schedule (CONTRACT 2.4's 1, 2, 4, 8, 16 s unless a test shortens it).
    ///   - expirySweepInterval: how often pending orders past their window are expired; nil turns the sweep off, for
    ///     tests that move a manual clock and call `service.expireDueOrders()` themselves.
    public init(configuration: ServiceConfiguration, apiKey: String, store: any ApprovalStore,
                clock: any BridgeApprovals.Clock = SystemClock(), logger: Logger = Logger(),
                accessLog: AccessLog? = AccessLog(sink: .batchedStandardError()), webhookTransport: any WebhookTransport = CurlWebhookTransport(),
                webhookRetryDelays: [Duration] = WebhookDispatcher.defaultRetryDelays,
                expirySweepInterval: Duration? = .seconds(1)) throws(ApprovalError) {
        self.configuration = configuration
        self.logger = logger
        self.accessLog = accessLog
        let deploymentID = try ApprovalConfiguration.loadOrCreateDeploymentID(store: store, clock: clock)
        let approvalConfiguration = try configuration.approvalConfiguration(deploymentID: deploymentID)
        // Refuses to start when a currency's decimals changed under its stored balances.
        try approvalConfiguration.recordCurrencies(in: store, clock: clock)
        let metrics = MetricsRegistry()
        let store = InstrumentedApprovalStore(store, metrics: metrics)
        let service = ApprovalService(store: store, policy: configuration.policies,
                                      configuration: approvalConfiguration, clock: clock)
        // The database is the policy's source of truth: the configuration's policies only seed version 1.
        let seeding = try service.seedPolicy(configuration.policies, actor: "config")
        if let warning = seeding.warning { logger.warning(warning) }
        self.service = service

        let webhookMetrics = WebhookMetrics(registry: metrics)
        let webhooks = WebhookDispatcher(
            store: store, clock: clock, transport: webhookTransport,
            signer: WebhookSigner(secret: configuration.webhooks.secret ?? ""), urls: configuration.webhooks.urls,
            alertURL: configuration.webhooks.alertURL, retryDelays: webhookRetryDelays,
            pollInterval: configuration.webhooks.pollInterval, claimLease: configuration.webhooks.claimLease,
            metrics: webhookMetrics,
            logger: { level, message in
                switch level {
                case .error: logger.error(message)
                default: logger.warning(message)
                }
            })
        self.webhooks = webhooks

        ServiceRuntime.registerServiceMetrics(metrics, service: service)
        self.metrics = metrics

        let events = OperatorEventFeed(service: service)
        self.events = events
        // A quarter second from commit to console, on this instance or another one on the same database.
        eventPoll = DispatchSourceTimerBox(label: "walletbridge.events", interval: .milliseconds(250)) { events.poll() }

        var router = Router()
        let crm = CRMAPI(service: service, apiKey: apiKey, allowList: configuration.crmAllowList,
                         paths: configuration.crmPaths)
        let challengeLimiter = RateLimiter(perMinute: configuration.challengesPerMinutePerIP, clock: clock)
        let operatorAPI = OperatorAPI(service: service, challengeLimiter: challengeLimiter, eventFeed: events)
        let queuesWebhooks = service.configuration.queuesWebhooks
        for endpoint in crm.endpoints + operatorAPI.endpoints + ConsoleEndpoints().endpoints
            + ServiceEndpoints(service: service, metrics: { metrics.render() }).endpoints
        {
            // A status change may have queued a webhook: deliver it now rather than at the next poll.
            let wakesWebhooks: @Sendable (HTTPRequest) -> Void = { request in
                if queuesWebhooks, request.method != "GET" { webhooks.wake() }
            }
            let withoutBlocking = endpoint.handleWithoutBlocking.map { handle -> Router.NonBlockingHandler in
                { request, parameters, reply in
                    let answer = handle(request, parameters.values, reply.mapping { response in
                        wakesWebhooks(request)
                        return response
                    })
                    if case .now = answer { wakesWebhooks(request) }
                    return answer
                }
            }
            router.add(endpoint.method, endpoint.pattern, withoutBlocking: withoutBlocking) { request, parameters in
                let response = endpoint.handle(request, parameters.values)
                wakesWebhooks(request)
                return response
            }
        }
        let tls = configuration.tls.map { HTTPServerConfiguration.TLS(certificatePEMPath: $0.certificateFile, keyPEMPath: $0.keyFile) }
        server = HTTPServer(
            configuration: HTTPServerConfiguration(
                host: configuration.listen.host, port: configuration.listen.port,
                workerThreads: configuration.workerThreads, blockingThreads: configuration.blockingThreads,
                maximumBodyBytes: configuration.requestBodyLimit,
                connectionTimeoutSeconds: Int(configuration.requestTimeout.components.seconds), tls: tls,
                maxConnections: configuration.maxConnections, maxConnectionsPerIP: configuration.maxConnectionsPerIP,
                headerTimeoutSeconds: configuration.headerTimeoutSeconds, maxQueuedRequests: configuration.maxQueuedRequests,
                trustedProxies: configuration.trustedProxies),
            handler: InstrumentedHandler(router: router, metrics: metrics), accessLog: accessLog)

        // Expired login challenges and sessions go at start and every minute after (with the expiry sweep: tests
        // that drive the clock by hand call service.pruneExpiredCredentials() themselves).
        let pruneCredentials: @Sendable () -> Void = {
            do {
                let pruned = try service.pruneExpiredCredentials()
                if pruned.challenges + pruned.sessions > 0 {
                    logger.info("deleted expired credentials", metadata: ["challenges": String(pruned.challenges),
                                                                          "sessions": String(pruned.sessions)])
                }
            } catch {
                logger.error("pruning expired challenges and sessions failed: \(error.asBridgeError.message)")
            }
        }
        pruneCredentials()
        credentialSweep = expirySweepInterval.map { _ in
            DispatchSourceTimerBox(label: "walletbridge.credentials", interval: .seconds(60), pruneCredentials)
        }
        expirySweep = expirySweepInterval.map { interval in DispatchSourceTimerBox(label: "walletbridge.expiry", interval: interval) {
            do {
                if try !service.expireDueOrders().isEmpty { webhooks.wake() }
            } catch {
                logger.error("expiry sweep failed: \(error.asBridgeError.message)")
            }
        } }
    }

    /// Starts listening, delivering webhooks and expiring orders; returns the bound port.
    public func start() throws(HTTPServerError) -> Int {
        let port = try server.start()
        webhooks.start()
        eventPoll.start()
        expirySweep?.start()
        credentialSweep?.start()
        logger.info("listening", metadata: ["port": String(port)])
        return port
    }

    /// Stops accepting requests, lets the ones in flight finish (up to `drainTimeout`), then stops the background work.
    public func stop(drainTimeout: Duration = .seconds(10)) {
        events.finishAll()
        _ = server.stop(drainTimeout: drainTimeout)
        eventPoll.stop()
        expirySweep?.stop()
        credentialSweep?.stop()
        webhooks.stop()
        accessLog?.flush()
    }

    /// The gauges sampled at every scrape; the webhook counters and histogram register themselves
    /// (``WebhookMetrics``), the HTTP ones with ``InstrumentedHandler``.
    static func registerServiceMetrics(_ metrics: MetricsRegistry, service: ApprovalService) {
        metrics.sampledGauge("walletbridge_pending_approvals", help: "Transfers waiting for operator approvals.") {
            [MetricSample(value: Double((try? service.pendingOrders().count) ?? 0))]
        }
        metrics.sampledGauge("walletbridge_connected_devices", help: "Hardware wallets attached to this station.") {
            // The service itself holds no devices; operators sign at their desks through the CLI.
            [MetricSample(value: 0)]
        }
    }
}
