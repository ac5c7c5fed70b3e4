import BridgeApprovals
import BridgeCore
import BridgeCrypto
import BridgeServer
import Dispatch
import Synchronization
import Testing

/// The handlers over a real session manager: an in-memory store, a manual clock, the demo policy (above 1,000 USD or
/// 1 BTC needs 2 approvals) plus a rule denying user `blocked`, and three wallets.
struct APIFixture: Sendable {
    static let apiKey = "test_api_key"
    static let usd = try! Currency(code: "USD", decimals: 2)
    static let btc = try! Currency(code: "BTC", decimals: 8)

    let clock = ManualClock(Timestamp(secondsSinceEpoch: 1_795_000_000))
    let store = InMemoryApprovalStore()
    let service: ApprovalService
    let crm: CRMAPI
    let operators: OperatorAPI

    init(allowList: [String] = [], paths: CRMPaths = CRMPaths()) throws {
        let configuration = try ApprovalConfiguration(currencies: [Self.usd, Self.btc],
                                                      deploymentID: [UInt8](repeating: 0xA7, count: 32))
        let demo = try PolicySet.demo(currencies: configuration.currenciesByCode)
        let blocked = PolicyRule(name: "blocked-users", condition: PolicyCondition(externalUserIDs: ["blocked"]),
                                 action: .deny)
        let policy = try PolicySet(rules: [blocked] + demo.rules, defaultDecision: demo.defaultDecision)
        service = ApprovalService(store: store, policy: policy, configuration: configuration, clock: clock)
        crm = CRMAPI(service: service, apiKey: Self.apiKey, allowList: try IPAllowList(allowList), paths: paths)
        operators = OperatorAPI(service: service)
        try service.createWallet(externalUserID: "user_456", currency: "USD", initialBalance: 100_050)  // 1000.50
        try service.createWallet(externalUserID: "user_789", currency: "USD", initialBalance: 500_000)  // 5000.00
        try service.createWallet(externalUserID: "user_456", currency: "BTC", initialBalance: 150_000_000)  // 1.5
        try service.createWallet(externalUserID: "blocked", currency: "USD", initialBalance: 10_000)
    }

    /// Calls the endpoint mounted at `method pattern` with `parameters` as a router would.
    static func call(_ endpoints: [Endpoint], _ method: String, _ pattern: String, _ request: HTTPRequest,
                     parameters: [String: String] = [:]) -> HTTPResponse {
        guard let endpoint = endpoints.first(where: { $0.method == method && $0.pattern == pattern }) else {
            Issue.record("no endpoint \(method) \(pattern)")
            return HTTPResponse(status: 599)
        }
        return endpoint.handle(request, parameters)
    }

    /// A request as the CRM sends it: `key`, and for a body its `signature` over the body.
    static func crmRequest(_ method: String, _ path: String, body: JSONObject? = nil, query: [String: String] = [:],
                           key: String = apiKey, signature: String? = nil, client: String = "127.0.0.1") -> HTTPRequest {
        var headers = ["key": key]
        var bytes: [UInt8] = []
        if let body {
            bytes = Array(JSONValue.object(body).serialized().utf8)
            headers["signature"] = signature ?? CRMRequestSignature.signature(of: body, apiKey: apiKey)
        }
        return HTTPRequest(method: method, path: path, query: query, headers: headers, body: bytes, clientAddress: client)
    }

    func crm(_ method: String, _ pattern: String, body: JSONObject? = nil, query: [String: String] = [:],
             key: String = apiKey, signature: String? = nil, client: String = "127.0.0.1") -> HTTPResponse {
        Self.call(crm.endpoints, method, pattern,
                  Self.crmRequest(method, pattern, body: body, query: query, key: key, signature: signature, client: client))
    }

    func transfer(_ orderID: String, user: String = "user_456", currency: String = "USD", amount: String,
                  signature: String? = nil) -> HTTPResponse {
        let body: JSONObject = [
            "external_user_id": .string(user), "currency": .string(currency),
            "amount": .number(JSONNumber(text: amount) ?? JSONNumber(0)), "order_id": .string(orderID),
        ]
        return crm("PATCH", "/wallets/balance", body: body, signature: signature)
    }

    func balance(_ user: String = "user_456", _ currency: String = "USD") throws -> Int128 {
        try service.wallet(externalUserID: user, currency: currency).balance
    }
}

extension HTTPResponse {
    var responseText: String { String(decoding: body, as: UTF8.self) }
    var responseJSON: JSONValue { (try? JSONValue(parsing: body)) ?? .null }
}

/// The CRM error body for `status` and `type`.
func crmError(_ status: Int, _ type: String) -> String { #"{"error":true,"code":\#(status),"type":"\#(type)"}"# }

@Suite("CRM External Wallet API handlers")
struct CRMAPITests {
    @Test func listsWalletsInIDOrderWithExactAmountsAndTheTotal() throws {
        let fixture = try APIFixture()
        let all = fixture.crm("POST", "/wallets", body: ["skip": 0, "limit": 20])
        #expect(all.status == 200)
        #expect(all.responseText == #"{"data":["#
            + #"{"id":"w00000001","external_user_id":"user_456","amount":1000.50,"currency":"USD","decimals":2},"#
            + #"{"id":"w00000002","external_user_id":"user_789","amount":5000.00,"currency":"USD","decimals":2},"#
            + #"{"id":"w00000003","external_user_id":"user_456","amount":1.50000000,"currency":"BTC","decimals":8},"#
            + #"{"id":"w00000004","external_user_id":"blocked","amount":100.00,"currency":"USD","decimals":2}],"#
            + #""count":4}"#)

        let page = fixture.crm("POST", "/wallets", body: ["skip": 1, "limit": 1])
        #expect(page.responseJSON["data"]?.arrayValue?.map { $0["id"]?.stringValue } == ["w00000002"])
        #expect(page.responseJSON["count"] == 4)

        let filtered = fixture.crm("POST", "/wallets", body: ["skip": 0, "limit": 20, "external_user_id": ["user_456"]])
        #expect(filtered.responseJSON["data"]?.arrayValue?.map { $0["id"]?.stringValue } == ["w00000001", "w00000003"])
        #expect(filtered.responseJSON["count"] == 2)

        let empty = fixture.crm("POST", "/wallets", body: ["skip": 0, "limit": 20, "external_user_id": []])
        #expect(empty.responseJSON["count"] == 4)
    }

    @Test func readsOneWalletOrAnswersWalletNotFound() throws {
        let fixture = try APIFixture()
        let found = fixture.crm("GET", "/wallets/getOne", query: ["external_user_id": "user_456", "currency": "BTC"])
        #expect(found.status == 200)
        #expect(found.responseText == #"{"id":"w00000003","external_user_id":"user_456","amount":1.50000000,"currency":"BTC","decimals":8}"#)

        let none = fixture.crm("GET", "/wallets/getOne", query: ["external_user_id": "nobody", "currency": "USD"])
        #expect(none.status == 404)
        #expect(none.responseText == crmError(404, "wallet_not_found"))

        let currency = fixture.crm("GET", "/wallets/getOne", query: ["external_user_id": "user_456", "currency": "EUR"])
        #expect(currency.responseText == crmError(400, "currency_not_supported"))

        let missing = fixture.crm("GET", "/wallets/getOne", query: ["external_user_id": "user_456"])
        #expect(missing.responseText == crmError(400, "invalid_request"))
    }

    @Test func aWrongOrMissingKeyIsRefusedOnEveryRoute() throws {
        let fixture = try APIFixture()
        let routes: [(String, String, JSONObject?)] = [
            ("POST", "/wallets", ["skip": 0, "limit": 20]), ("GET", "/wallets/getOne", nil),
            ("PATCH", "/wallets/balance", ["external_user_id": "user_456", "currency": "USD", "amount": 1, "order_id": "o1"]),
            ("GET", "/wallets/order", nil),
        ]
        for (method, path, body) in routes {
            for key in ["wrong", "", APIFixture.apiKey + "x", String(APIFixture.apiKey.dropLast())] {
                let response = fixture.crm(method, path, body: body, query: ["order_id": "o1"], key: key)
                #expect(response.status == 401)
                #expect(response.responseText == crmError(401, "key_invalid"))
            }
            var request = APIFixture.crmRequest(method, path, body: body)
            request = HTTPRequest(method: method, path: path, headers: ["signature": request.header("signature") ?? ""],
                                  body: request.body)
            #expect(APIFixture.call(fixture.crm.endpoints, method, path, request).responseText == crmError(401, "key_invalid"))
        }
        #expect(try fixture.balance() == 100_050)
        #expect(fixture.crm("GET", "/wallets/order", query: ["order_id": "o1"]).status == 404)
    }

    @Test func aBadSignatureIsRefusedAndChangesNothing() throws {
        let fixture = try APIFixture()
        let forged = fixture.transfer("order-bad-sig", amount: "10", signature: String(repeating: "A", count: 40))
        #expect(forged.status == 401)
        #expect(forged.responseText == crmError(401, "signature_invalid"))

        // Signed for 1, sent with 1000: the signature covers the parsed body, so the change is caught.
        let signedBody: JSONObject = ["external_user_id": "user_456", "currency": "USD", "amount": 1, "order_id": "o-t"]
        let tampered = fixture.transfer("o-t", amount: "1000",
                                        signature: CRMRequestSignature.signature(of: signedBody, apiKey: APIFixture.apiKey))
        #expect(tampered.responseText == crmError(401, "signature_invalid"))

        var unsigned = APIFixture.crmRequest("POST", "/wallets", body: ["skip": 0, "limit": 20])
        unsigned = HTTPRequest(method: "POST", path: "/wallets", headers: ["key": APIFixture.apiKey], body: unsigned.body)
        #expect(APIFixture.call(fixture.crm.endpoints, "POST", "/wallets", unsigned).responseText == crmError(401, "signature_invalid"))

        #expect(try fixture.balance() == 100_050)
        #expect(fixture.crm("GET", "/wallets/order", query: ["order_id": "order-bad-sig"]).responseText == crmError(404, "order_not_found"))
        #expect(fixture.crm("GET", "/wallets/order", query: ["order_id": "o-t"]).status == 404)
    }

    @Test func signaturesAreCheckedOverTheParsedBodyInEitherFieldSelection() throws {
        let fixture = try APIFixture()
        // Keys in another order and extra whitespace: the same parsed body, so the same signature.
        let raw = #"{ "limit" : 20, "skip" : 0, "external_user_id" : [] }"#
        let parsed: JSONObject = ["skip": 0, "limit": 20, "external_user_id": []]
        for fields in CRMRequestSignature.FieldSelection.allCases {
            let request = HTTPRequest(method: "POST", path: "/wallets", headers: [
                "key": APIFixture.apiKey,
                "signature": CRMRequestSignature.signature(of: parsed, apiKey: APIFixture.apiKey, fields: fields),
            ], body: Array(raw.utf8))
            #expect(APIFixture.call(fixture.crm.endpoints, "POST", "/wallets", request).status == 200)
        }
        // The reference vector from the CRM's spec (section 3.3).
        #expect(CRMRequestSignature.signature(of: ["skip": 0, "limit": 20], apiKey: "test_api_key")
            == "499B1850790C935D16647D4B9D9016CA0F0538B0")
    }

    @Test func callersOutsideTheAllowListAreRefusedBeforeTheirKeyIsLookedAt() throws {
        let fixture = try APIFixture(allowList: ["10.0.0.0/8", "::1"])
        let outside = fixture.crm("POST", "/wallets", body: ["skip": 0, "limit": 20], client: "192.168.1.5")
        #expect(outside.status == 403)
        #expect(outside.responseText == crmError(403, "ip_not_allowed"))
        #expect(fixture.crm("GET", "/wallets/order", key: "wrong", client: "192.168.1.5").status == 403)
        #expect(fixture.crm("POST", "/wallets", body: ["skip": 0, "limit": 20], client: "10.1.2.3").status == 200)
        #expect(fixture.crm("POST", "/wallets", body: ["skip": 0, "limit": 20], client: "::1").status == 200)
    }

    @Test func malformedBodiesAreInvalidJSONOrInvalidRequest() throws {
        let fixture = try APIFixture()
        let notJSON = HTTPRequest(method: "POST", path: "/wallets", headers: ["key": APIFixture.apiKey, "signature": "X"],
                                  body: Array("{skip:0".utf8))
        #expect(APIFixture.call(fixture.crm.endpoints, "POST", "/wallets", notJSON).responseText == crmError(400, "invalid_json"))
        let emptyBody = HTTPRequest(method: "PATCH", path: "/wallets/balance", headers: ["key": APIFixture.apiKey])
        #expect(APIFixture.call(fixture.crm.endpoints, "PATCH", "/wallets/balance", emptyBody).responseText
            == crmError(400, "invalid_json"))
        let array = HTTPRequest(method: "POST", path: "/wallets", headers: ["key": APIFixture.apiKey, "signature": "X"],
                                body: Array("[1]".utf8))
        #expect(APIFixture.call(fixture.crm.endpoints, "POST", "/wallets", array).responseText == crmError(400, "invalid_request"))

        let invalid: [JSONObject] = [
            ["limit": 20], ["skip": 0], ["skip": -1, "limit": 20], ["skip": 0, "limit": 1001], ["skip": "0", "limit": 20],
            ["skip": 0, "limit": .number(JSONNumber(text: "2.5") ?? JSONNumber(0))], ["skip": 0, "limit": 20, "external_user_id": "user_456"],
            ["skip": 0, "limit": 20, "external_user_id": [1]],
        ]
        for body in invalid {
            let response = fixture.crm("POST", "/wallets", body: body)
            #expect(response.responseText == crmError(400, "invalid_request"), "\(JSONValue.object(body).serialized())")
        }

        let transfers: [JSONObject] = [
            ["external_user_id": "user_456", "currency": "USD", "amount": "10.00", "order_id": "s1"],  // amount as string
            ["external_user_id": "user_456", "currency": "USD", "order_id": "s2"],
            ["external_user_id": "user_456", "currency": "USD", "amount": 10, "order_id": 7],
            ["currency": "USD", "amount": 10, "order_id": "s3"],
            ["external_user_id": "user_456", "currency": "USD", "amount": 10, "order_id": ""],
        ]
        for body in transfers {
            let response = fixture.crm("PATCH", "/wallets/balance", body: body)
            #expect(response.responseText == crmError(400, "invalid_request"), "\(JSONValue.object(body).serialized())")
        }
        #expect(try fixture.balance() == 100_050)
    }

    @Test func aSmallTransferAppliesOnceAndItsRetryGetsTheOriginalAnswer() throws {
        let fixture = try APIFixture()
        let first = fixture.transfer("0123456789abcdef", amount: "-100.5")
        #expect(first.status == 200)
        #expect(first.responseText == #"{"order_id":"0123456789abcdef","status":"completed","wallet":"#
            + #"{"id":"w00000001","external_user_id":"user_456","amount":900.00,"currency":"USD","decimals":2}}"#)
        #expect(try fixture.balance() == 90_000)

        // Another credit moves the balance; the retry still answers with the balance the order left.
        #expect(fixture.transfer("credit-1", amount: "25").status == 200)
        let retry = fixture.transfer("0123456789abcdef", amount: "-100.50")
        #expect(retry.status == 200)
        #expect(retry.responseText == first.responseText)
        #expect(try fixture.balance() == 92_500)

        let other = fixture.transfer("0123456789abcdef", amount: "-100.49")
        #expect(other.status == 409)
        #expect(other.responseText == crmError(409, "duplicate_order"))
        let otherUser = fixture.transfer("0123456789abcdef", user: "user_789", amount: "-100.5")
        #expect(otherUser.responseText == crmError(409, "duplicate_order"))
        #expect(try fixture.balance() == 92_500)
    }

    @Test func concurrentRetriesOfOneOrderAllGetTheSameAnswerAndItAppliesOnce() throws {
        let fixture = try APIFixture()
        let answers = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 16) { _ in
            let response = fixture.transfer("race-1", amount: "-10")
            answers.withLock { $0.append("\(response.status) \(response.responseText)") }
        }
        let distinct = Set(answers.withLock { $0 })
        #expect(distinct.count == 1)
        #expect(distinct.first?.hasPrefix("200 ") == true)
        #expect(try fixture.balance() == 99_050)
    }

    @Test func amountsAreExactDecimalText() throws {
        let fixture = try APIFixture()
        #expect(fixture.transfer("btc-1", currency: "BTC", amount: "0.00000001").status == 200)
        #expect(try fixture.balance("user_456", "BTC") == 150_000_001)
        #expect(fixture.transfer("usd-e", amount: "1e1").status == 200)
        #expect(try fixture.balance() == 101_050)
        #expect(fixture.transfer("too-precise", amount: "0.001").responseText == crmError(400, "invalid_amount"))
        #expect(fixture.transfer("zero", amount: "0").responseText == crmError(400, "invalid_amount"))
        #expect(fixture.transfer("eur", currency: "EUR", amount: "1").responseText == crmError(400, "currency_not_supported"))
        #expect(fixture.transfer("nobody", user: "nobody", amount: "1").responseText == crmError(400, "account_not_found"))
        #expect(fixture.transfer("drain", amount: "-999").status == 200)
        #expect(fixture.transfer("broke", amount: "-11.51").responseText == crmError(400, "insufficient_funds"))
        #expect(try fixture.balance() == 1_150)
    }

    @Test func aLargeTransferIsHeldAndItsRetryGetsThe202Again() throws {
        let fixture = try APIFixture()
        let held = fixture.transfer("big-1", user: "user_789", amount: "-2500")
        #expect(held.status == 202)
        let expiresAt = (fixture.clock.now() + .seconds(24 * 3600)).rfc3339
        #expect(held.responseText == #"{"order_id":"big-1","status":"pending_approval","approvals_required":2,"#
            + #""expires_at":"\#(expiresAt)"}"#)
        #expect(try fixture.balance("user_789") == 500_000)
        #expect(try fixture.service.wallet(externalUserID: "user_789", currency: "USD").held == 250_000)

        let retry = fixture.transfer("big-1", user: "user_789", amount: "-2500.00")
        #expect(retry.status == 202)
        #expect(retry.responseText == held.responseText)
        #expect(fixture.transfer("big-1", user: "user_789", amount: "-2400").status == 409)

        let status = fixture.crm("GET", "/wallets/order", query: ["order_id": "big-1"])
        #expect(status.status == 200)
        #expect(status.responseText == #"{"order_id":"big-1","status":"pending_approval","amount":-2500.00,"currency":"USD","#
            + #""external_user_id":"user_789","approvals":[],"approvals_counted":0,"approvals_required":2,"policy_version":null}"#)
    }

    @Test func aPolicyDenialIs403AndTheSameOnRetry() throws {
        let fixture = try APIFixture()
        let denied = fixture.transfer("deny-1", user: "blocked", amount: "5")
        #expect(denied.status == 403)
        #expect(denied.responseText == crmError(403, "policy_denied"))
        #expect(fixture.transfer("deny-1", user: "blocked", amount: "5").responseText == denied.responseText)
        #expect(try fixture.balance("blocked") == 10_000)
        #expect(fixture.crm("GET", "/wallets/order", query: ["order_id": "deny-1"]).responseJSON["status"] == "rejected")
    }

    @Test func orderStatusNeedsAnIDAndAnswersNotFound() throws {
        let fixture = try APIFixture()
        #expect(fixture.crm("GET", "/wallets/order").responseText == crmError(400, "invalid_request"))
        #expect(fixture.crm("GET", "/wallets/order", query: ["order_id": "nope"]).responseText == crmError(404, "order_not_found"))
        #expect(fixture.transfer("done", amount: "12.34").status == 200)
        #expect(fixture.crm("GET", "/wallets/order", query: ["order_id": "done"]).responseText
            == #"{"order_id":"done","status":"completed","amount":12.34,"currency":"USD","external_user_id":"user_456","approvals":[],"#
            + #""approvals_counted":0,"approvals_required":0,"policy_version":null}"#)
    }

    @Test func pathsAreConfigurable() throws {
        let paths = CRMPaths(wallets: "/api/w", getOne: "/api/w/one", balance: "/api/w/balance", order: "/api/w/order")
        let fixture = try APIFixture(paths: paths)
        #expect(fixture.crm.endpoints.map { "\($0.method) \($0.pattern)" }
            == ["POST /api/w", "GET /api/w/one", "PATCH /api/w/balance", "GET /api/w/order"])
        #expect(fixture.crm("GET", "/api/w/one", query: ["external_user_id": "user_456", "currency": "USD"]).status == 200)
        #expect(CRMPaths().balance == "/wallets/balance")
    }

    @Test func theVendorsUserIDFieldNameIsAccepted() throws {
        let fixture = try APIFixture()
        let body: JSONObject = ["user_id": "user_456", "currency": "USD", "amount": .number(JSONNumber(text: "-100.5") ?? JSONNumber(0)),
                                "order_id": "vendor-1"]
        #expect(fixture.crm("PATCH", "/wallets/balance", body: body).status == 200)
        #expect(try fixture.balance() == 90_000)
    }
}
