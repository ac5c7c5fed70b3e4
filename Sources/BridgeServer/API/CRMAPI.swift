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
    /// The API key's bytes, compared with the `key` header by ``SecureBytes/matchesSecret(_:_:)``, so neither the
    /// key's content nor its length leaks through timing.
    let apiKeyBytes: [UInt8]
    /// The key itself, which the CRM's signature scheme appends to the signed string.
    let apiKey: String

    /// Most wallets one `POST /wallets` returns, and most user ids it filters by.
    public static let maximumLimit: Int64 = 1000
    public static let maximumSkip: Int64 = Int64(Int32.max)

    public init(service: ApprovalService, apiKey: String, allowList: IPAllowList? = nil,
                paths: CRMPaths = CRMPaths()) {
        self.service = service
        self.apiKey = apiKey
        self.apiKeyBytes = Array(apiKey.utf8)
        self.allowList = allowList
        self.paths = paths
    }

    /// The four routes, on the configured paths.
    public var endpoints: [Endpoint] {
        // Each route's body is a closure literal rather than a method reference (`self.getOneWallet`): a method
        // reference is a new closure holding a copy of `self`, made on every request.
        [
            Endpoint("POST", paths.wallets) { request, _ in
                self.answer(request, hasBody: true) { request, fields throws(CRMError) in try self.listWallets(request, fields) }
            },
            Endpoint("GET", paths.getOne) { request, _ in
                self.answer(request, hasBody: false) { request, fields throws(CRMError) in try self.getOneWallet(request, fields) }
            },
            Endpoint("PATCH", paths.balance, withoutBlocking: { request, _, reply in self.applyTransfer(request, reply: reply) }) {
                request, _ in
                self.answer(request, hasBody: true) { request, fields throws(CRMError) in try self.applyTransfer(request, fields) }
            },
            Endpoint("GET", paths.order) { request, _ in
                self.answer(request, hasBody: false) { request, fields throws(CRMError) in try self.orderStatus(request, fields) }
            },
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
