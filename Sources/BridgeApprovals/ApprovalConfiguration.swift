import BridgeCore

/// The settings the session manager runs with: which currencies exist, which EIP-712 domain operators sign in, and how
/// long invites, login challenges, sessions and approvals last.
public struct ApprovalConfiguration: Sendable {
    /// The currencies the CRM may move, each with its decimals.
    public let currencies: [Currency]
    /// The EIP-712 domain's `chainId`. No chain is involved; it only separates deployments that share a device.
    public let chainID: UInt64
    /// 32 random bytes that identify this deployment: the EIP-712 domain's `salt`, so a signature made for one
    /// deployment never counts at another.
    public let deploymentID: [UInt8]
    /// The documents operators sign, built for this domain.
    public let typedData: ApprovalTypedData

    /// How long an invite can be used.
    public var inviteLifetime: Duration
    /// How long a login challenge can be signed and redeemed.
    public var loginChallengeLifetime: Duration
    /// A session's absolute lifetime.
    public var sessionTTL: Duration
    /// A session not used for this long stops working.
    public var idleTimeout: Duration
    /// The approval window when a policy requires approvals without naming one (a zero or negative `expiresAfter`).
    public var defaultApprovalExpiry: Duration
    /// `wallets.autoCreate`: a credit to an unknown `external_user_id` in a configured currency opens its wallet
    /// (audited) instead of answering `account_not_found`.
    public var autoCreateWallets = false
    /// Distinct active admins whose device signatures make a proposed policy version effective; capped at the
    /// number of active admins, so a desk with fewer admins can still change its policy (`governance.policyApprovals`).
    public var policyApprovals = 2
    /// How long admins can sign a proposed policy version (`governance.proposalTTLSeconds`).
    public var policyProposalLifetime: Duration = .seconds(24 * 3600)
    /// Whether an order's status changes queue its CONTRACT 2.4 webhook in the outbox. A service with no receivers
    /// (`webhooks.urls` empty) sets false: its dispatcher would only mark each row delivered, a second write per
    /// transfer that nobody reads.
    public var queuesWebhooks = true

    /// Throws `invalid_request` for a deployment id that is not 32 bytes or currencies that repeat a code.
    public init(currencies: [Currency], chainID: UInt64 = 1, deploymentID: [UInt8],
                inviteLifetime: Duration = .seconds(24 * 3600), loginChallengeLifetime: Duration = .seconds(5 * 60),
                sessionTTL: Duration = .seconds(8 * 3600), idleTimeout: Duration = .seconds(30 * 60),
                defaultApprovalExpiry: Duration = .seconds(24 * 3600)) throws(ApprovalError) {
        guard Set(currencies.map(\.code)).count == currencies.count else {
            throw .invalidRequest("a currency code is listed twice")
        }
        self.currencies = currencies
        self.chainID = chainID
        self.deploymentID = deploymentID
        self.typedData = try ApprovalTypedData(chainID: chainID, deploymentID: deploymentID)
        self.inviteLifetime = inviteLifetime
        self.loginChallengeLifetime = loginChallengeLifetime
        self.sessionTTL = sessionTTL
        self.idleTimeout = idleTimeout
        self.defaultApprovalExpiry = defaultApprovalExpiry
    }

    /// The currencies by code, as ``PolicySet`` reads them.
    public var currenciesByCode: [String: Currency] {
        Dictionary(currencies.map { ($0.code, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// The configured currency with `code`, or `currency_not_supported`.
    public func currency(_ code: String) throws(ApprovalError) -> Currency {
        guard let currency = currencies.first(where: { $0.code == code }) else { throw .currencyNotSupported(code) }
        return currency
    }
}

extension ApprovalConfiguration {
    /// Metadata key of the deployment id (hex).
    public static let deploymentIDKey = "deployment.id"

    /// The deployment id kept with the data in `store`, created from `randomBytes` (and audited) on first use, so a
    /// restart signs in the same EIP-712 domain and a new database never shares one with another.
    public static func loadOrCreateDeploymentID(
        store: any ApprovalStore, clock: any Clock,
        randomBytes: @Sendable (Int) throws(ApprovalError) -> [UInt8] = ApprovalService.secureRandomBytes
    ) throws(ApprovalError) -> [UInt8] {
        try store.transaction { transaction throws(ApprovalError) in
            if let stored = try transaction.metadata(deploymentIDKey) {
                guard let bytes = Hex.decode(stored), bytes.count == 32 else {
                    throw .storage("the stored deployment id \"\(stored)\" is not 32 bytes of hex")
                }
                return bytes
            }
            let created = try randomBytes(32)
            guard created.count == 32 else { throw .storage("the random source returned \(created.count) bytes, not 32") }
            try transaction.setMetadata(deploymentIDKey, Hex.encode(created))
            try ChangeRecorder(transaction: transaction, time: clock.now(), actor: "system")
                .audit("deployment.created", ["deployment_id": .string(Hex.encodePrefixed(created))])
            return created
        }
    }
}
