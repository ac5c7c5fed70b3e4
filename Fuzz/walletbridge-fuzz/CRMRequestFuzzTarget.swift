import BridgeApprovals
import BridgeCore
import BridgeCrypto
import BridgeServer
import Synchronization

/// The CRM's requests as the service decodes them: the key, the body's JSON, the signature over it, the fields, and
/// the transfer or listing behind them, on an in-memory session manager. The input's first byte picks the route and
/// whether the request is signed correctly (so the fuzzer also reaches the decoders behind the signature check); the
/// rest is the body (or the query). Properties: it never traps; every answer is one of the contract's statuses with
/// the CRM's error shape or a JSON document; an unsigned or badly signed body never changes a balance.
struct CRMRequestFuzzTarget: FuzzTarget {
    static let name = "crm"
    static let apiKey = "fuzz-api-key-0123456789"

    let service: ApprovalService
    let crm: CRMAPI

    init() {
        do {
            let usd = try Currency(code: "USD", decimals: 2), eth = try Currency(code: "ETH", decimals: 18)
            let configuration = try ApprovalConfiguration(currencies: [usd, eth], deploymentID: [UInt8](repeating: 7, count: 32))
            let policy = try PolicySet.demo(currencies: ["USD": usd, "BTC": try Currency(code: "BTC", decimals: 8)])
            service = ApprovalService(store: InMemoryApprovalStore(), policy: policy, configuration: configuration,
                                      clock: ManualClock(Timestamp(secondsSinceEpoch: 1_795_000_000)))
            for user in ["a", "b", "user_456"] {
                try service.createWallet(externalUserID: user, currency: "USD", initialBalance: 1_000_000)
                try service.createWallet(externalUserID: user, currency: "ETH", initialBalance: 0)
            }
            crm = CRMAPI(service: service, apiKey: Self.apiKey)
        } catch {
            fatalError("the fuzz target's service did not start: \(error)")
        }
    }

    static let allowedStatuses: Set<Int> = [200, 202, 400, 401, 403, 404, 409]

    func run(_ input: [UInt8]) {
        guard let selector = input.first else { return }
        let payload = Array(input.dropFirst())
        let endpoints = crm.endpoints
        let endpoint = endpoints[Int(selector & 0x0F) % endpoints.count]
        var headers = ["key": selector & 0x40 == 0 ? Self.apiKey : "wrong"]
        let signsCorrectly = selector & 0x80 != 0
        var query: [String: String] = [:]
        var body: [UInt8] = []
        if endpoint.method == "GET" {
            let text = String(decoding: payload, as: UTF8.self)
            let parts = text.split(separator: "&", maxSplits: 4, omittingEmptySubsequences: false)
            for part in parts {
                let pair = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                query[String(pair[0])] = pair.count > 1 ? String(pair[1]) : ""
            }
        } else {
            body = payload
            if signsCorrectly, case .object(let object)? = try? JSONValue(parsing: payload) {
                headers["signature"] = CRMRequestSignature.signature(of: object, apiKey: Self.apiKey)
            } else {
                headers["signature"] = Hex.encode(Array(payload.prefix(20))).uppercased()
            }
        }
        let before = balances()
        let request = HTTPRequest(method: endpoint.method, path: endpoint.pattern, query: query, headers: headers,
                                  body: body)
        let response = endpoint.handle(request, [:])
        require(Self.allowedStatuses.contains(response.status), "status \(response.status) for \(request)")
        guard let answer = try? JSONValue(parsing: response.body) else {
            require(false, "the answer is not JSON: \(String(decoding: response.body, as: UTF8.self))")
            return
        }
        if response.status >= 400 {
            require(answer["error"] == .bool(true) && answer["code"] == .number(JSONNumber(response.status))
                    && answer["type"]?.stringValue != nil, "not the CRM's error shape: \(answer.serialized())")
        }
        if headers["key"] != Self.apiKey || (endpoint.method != "GET" && !signsCorrectly) {
            require(response.status == 401 || response.status == 400, "an unauthenticated request got \(response.status)")
            require(balances() == before, "an unauthenticated request changed a balance")
        }
    }

    /// Every wallet's balance and hold, settlement accounts included.
    private func balances() -> [String: [Int128]] {
        var result: [String: [Int128]] = [:]
        for user in ["a", "b", "user_456"] {
            for currency in ["USD", "ETH"] {
                if let wallet = try? service.wallet(externalUserID: user, currency: currency) {
                    result[user + "/" + currency] = [wallet.balance, wallet.held]
                }
            }
        }
        return result
    }
}
