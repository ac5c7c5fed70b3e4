import BridgeApprovals
import BridgeCore
import BridgeCrypto

/// The CRM's External Wallet API (CONTRACT 2.1) over the session manager: list and read wallets, apply transfers
/// (held for approval when a policy says so), and report an order's status.
///
/// Every request must come from the allow-list (403 `ip_not_allowed`) and carry the API key in `key` (401
/// `key_invalid`); requests with a body also carry `signature` over the parsed body (401 `signature_invalid`).
/// A refused request changes nothing.
public struct CRMAPI: Sendable {
    public let service: ApprovalService
    public let paths: CRMPaths
    /// The CRM's addresses; nil (or an empty list) lets every address call.
    public let allowList: IPAllowList?
    /// SHA-256 of the API key: compared against the SHA-256 of the `key` header in constant time, so neither the
    /// key's content nor its length leaks through timing.
    let apiKeyDigest: [UInt8]
    /// The key itself, which the CRM's signature scheme appends to the signed string.
    let apiKey: String

    /// Most wallets one `POST /wallets` returns, and most user ids it filters by.
    public static let maximumLimit: Int64 = 1000
    public static let maximumSkip: Int64 = Int64(Int32.max)

    public init(service: ApprovalService, apiKey: String, allowList: IPAllowList? = nil,
                paths: CRMPaths = CRMPaths()) {
        self.service = service
        self.apiKey = apiKey
        self.apiKeyDigest = Hash.sha256(Array(apiKey.utf8))
        self.allowList = allowList
        self.paths = paths
    }

    /// The four routes, on the configured paths.
    public var endpoints: [Endpoint] {
        [
            Endpoint("POST", paths.wallets) { request, _ in self.answer(request, hasBody: true, self.listWallets) },
            Endpoint("GET", paths.getOne) { request, _ in self.answer(request, hasBody: false, self.getOneWallet) },
            Endpoint("PATCH", paths.balance, withoutBlocking: { request, _, reply in self.applyTransfer(request, reply: reply) }) {
                request, _ in self.answer(request, hasBody: true, self.applyTransfer)
            },
            Endpoint("GET", paths.order) { request, _ in self.answer(request, hasBody: false, self.orderStatus) },
        ]
    }

    /// Authenticates, parses the body when the route takes one, and renders any refusal in the CRM's shape.
    private func answer(_ request: HTTPRequest, hasBody: Bool,
                        _ body: (HTTPRequest, RequestFields) throws(CRMError) -> HTTPResponse) -> HTTPResponse {
        do {
            let fields = try authenticate(request, hasBody: hasBody)
            return try body(request, fields)
        } catch {
            return error.response
        }
    }
}
