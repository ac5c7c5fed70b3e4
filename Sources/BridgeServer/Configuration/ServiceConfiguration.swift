import BridgeApprovals
import BridgeStore
import FoundationEssentials

/// Everything `walletbridge serve` runs with, read from one JSON file (``init(json:environment:)``,
/// ``load(path:environment:)``) or the embedded demo defaults (``demo()``). deploy/CONFIGURATION.md documents each
/// field of the file with its default; the doc comments below name the JSON field in backticks.
public struct ServiceConfiguration: Sendable, Equatable {
    /// `tls`: serve HTTPS with these PEM files instead of plain HTTP.
    public struct TLS: Sendable, Equatable {
        /// `tls.certificateFile`: the certificate chain, PEM.
        public var certificateFile: String
        /// `tls.keyFile`: the private key, PEM (keep it readable by the service's user only).
        public var keyFile: String

        public init(certificateFile: String, keyFile: String) {
            self.certificateFile = certificateFile
            self.keyFile = keyFile
        }
    }

    /// `crm.paths`: where the CRM's External Wallet API lives (CONTRACT 2.1). The CRM's transfer and order paths
    /// are reconstructed, so every one can be moved to match the CRM's actual calls.

    /// `webhooks`: order status notifications (CONTRACT 2.4).
    public struct Webhooks: Sendable, Equatable {
        /// `webhooks.urls`: every receiver; each event is POSTed to all of them. Default none.
        public var urls: [URL] = []
        /// `webhooks.secret` or the environment variable named by `webhooks.secretEnv`: the HMAC key of the
        /// `X-WalletBridge-Signature` header. Required when there are URLs.
        public var secret: String?
        /// `webhooks.alertURL`: receives a signed `{"event":"webhook.failed",...}` POST when a delivery is given up.
        public var alertURL: URL?
        /// `webhooks.pollIntervalMilliseconds`: how often the outbox is checked for due deliveries. Default 500 ms.
        public var pollInterval: Duration = .milliseconds(500)
        /// `webhooks.claimLeaseSeconds`: how long a delivery one instance started stays out of the others' reach;
        /// after an instance dies, its deliveries are taken over once this runs out. Default 30 s.
        public var claimLease: Duration = WebhookDispatcher.defaultClaimLease

        public init() {}
    }

    /// `listen`: `HOST:PORT` to bind. Default `127.0.0.1:8080` (loopback only).
    public var listen = ListenAddress(host: "127.0.0.1", port: 8080)
    /// `tls`: nil (the default) serves plain HTTP, e.g. behind a TLS-terminating proxy on the same host.
    public var tls: TLS?
    /// `apiKey`, or the environment variable named by `apiKeyEnv`: the CRM's API key (the `key` header and the
    /// signature suffix). Required in a file; nil only in ``demo()``, where the service creates one and keeps it in
    /// the database.
    public var apiKey: String?
    /// `crm.paths.{listWallets,getWallet,balance,order}`: where the CRM's four endpoints live (defaults `/wallets`,
    /// `/wallets/getOne`, `/wallets/balance`, `/wallets/order`).
    public var crmPaths = CRMPaths()
    /// `crm.allowList`: the CRM's addresses, as IPs or CIDR blocks; other clients of the CRM paths get 403. Default
    /// empty: any address.
    public var crmAllowList: IPAllowList
    /// `currencies`: each currency code with its `decimals`, e.g. `{"USD": {"decimals": 2}}`. Required.
    public var currencies: [Currency]
    /// `policies`: the transfer policy set (see `PolicySet.init(json:currencies:)`). Required. Only the first policy
    /// version: the service stores it in the database on its first start; later versions are proposed and approved
    /// by admins (`walletbridge operator policy`), and a changed file is reported, not applied.
    public var policies: PolicySet
    /// `chainId`: the EIP-712 domain's chain id operators sign with. Default 1.
    public var chainID: UInt64 = 1
    /// `webhooks`.
    public var webhooks = Webhooks()
    /// `database`: the SQLite file (created with its directory when missing), or a PostgreSQL URL (`postgresql://...`)
    /// that several instances share. Default `./var/walletbridge.sqlite`.
    public var databasePath = SQLiteApprovalStore.defaultPath
    /// `wallets.autoCreate`: a credit to an unknown `external_user_id` in a configured currency creates its wallet
    /// (audited) instead of answering `account_not_found`. Default false.
    public var autoCreateWallets = false
    /// `sessions.ttlSeconds`: an operator session's absolute lifetime. Default 8 h.
    public var sessionTTL: Duration = .seconds(8 * 3600)
    /// `sessions.idleTimeoutSeconds`: a session unused this long stops working. Default 30 min.
    public var idleTimeout: Duration = .seconds(30 * 60)
    /// `http.bodyLimitBytes`: larger request bodies get 413 `payload_too_large`. Default 65536.
    public var requestBodyLimit = 65536
    /// `http.workerThreads`: threads answering requests. Default 4.
    public var workerThreads = 4
    /// `http.blockingThreads`: threads for requests with a body (transfers, approvals), which wait for a durable
    /// commit while the worker threads keep serving reads; concurrent ones share one commit. Default 32.
    public var blockingThreads = 32
    /// `http.requestTimeoutSeconds`: a connection idle this long (slow headers or body included) is closed.
    /// Default 30.
    public var requestTimeout: Duration = .seconds(30)
    /// `governance.policyApprovals`: distinct active admins whose device signatures make a proposed policy version
    /// effective, capped at the number of active admins. Default 2.
    public var policyApprovals = 2
    /// `governance.proposalTTLSeconds`: how long admins can sign a proposed policy version. Default 24 h.
    public var policyProposalTTL: Duration = .seconds(24 * 3600)
    /// `http.maxConnections`: open connections at most. Default 1024.
    public var maxConnections = 1024
    /// `http.maxConnectionsPerIP`: open connections from one peer address at most (trusted proxies exempt). Default 64.
    public var maxConnectionsPerIP = 64
    /// `http.headerTimeoutSeconds`: a request's headers must be complete within this time, however slowly they
    /// trickle; an idle keep-alive connection is closed after it too. Default 10.
    public var headerTimeoutSeconds = 10
    /// `http.maxQueuedRequests`: requests received and not yet answered at most; beyond it 503. Default 4096.
    public var maxQueuedRequests = 4096
    /// `http.trustedProxies`: CIDRs whose `X-Forwarded-For` names the client. Default none.
    public var trustedProxies = IPAllowList.none
    /// `operator.challengesPerMinutePerIP`: login challenges one client address may ask for per minute (a burst of
    /// that many, then one every 60/N s); beyond it 429 with `Retry-After`. Default 60.
    public var challengesPerMinutePerIP = 60

    public init(listen: ListenAddress = ListenAddress(host: "127.0.0.1", port: 8080), apiKey: String?,
                currencies: [Currency], policies: PolicySet, crmAllowList: IPAllowList) {
        self.listen = listen
        self.apiKey = apiKey
        self.currencies = currencies
        self.policies = policies
        self.crmAllowList = crmAllowList
    }

    /// The session manager's settings for this configuration, in the deployment `deploymentID` (kept in the
    /// database, see `ApprovalConfiguration.loadOrCreateDeploymentID`).
    public func approvalConfiguration(deploymentID: [UInt8]) throws(ApprovalError) -> ApprovalConfiguration {
        var configuration = try ApprovalConfiguration(currencies: currencies, chainID: chainID, deploymentID: deploymentID,
                                                      sessionTTL: sessionTTL, idleTimeout: idleTimeout)
        configuration.autoCreateWallets = autoCreateWallets
        configuration.policyApprovals = policyApprovals
        configuration.policyProposalLifetime = policyProposalTTL
        configuration.queuesWebhooks = !webhooks.urls.isEmpty
        return configuration
    }

    /// The currencies by code, as `PolicySet` reads them.
    public var currenciesByCode: [String: Currency] {
        Dictionary(currencies.map { ($0.code, $0) }, uniquingKeysWith: { first, _ in first })
    }
}
