import BridgeApprovals
import BridgeCore
import BridgeCrypto
import BridgeServer
import Foundation
import Testing

/// The issue's findings against the whole service (``ServiceRuntime`` on loopback), as an attacker or a careless CRM
/// would meet them.
@Suite("The service, hardened, over loopback", .serialized)
struct ServiceHardeningTests {
    static let apiKey = "hardening_0123456789abcdef"

    /// The demo configuration on an ephemeral port with `adjust` applied, on an in-memory store.
    static func start(_ adjust: (inout ServiceConfiguration) throws -> Void = { _ in }) throws -> (ServiceRuntime, Int) {
        var configuration = try ServiceConfiguration.demo()
        configuration.listen = ListenAddress(host: "127.0.0.1", port: 0)
        try adjust(&configuration)
        let runtime = try ServiceRuntime(configuration: configuration, apiKey: apiKey, store: InMemoryApprovalStore(),
                                         logger: .disabled, accessLog: nil, expirySweepInterval: nil)
        try runtime.service.createWallet(externalUserID: "u-1", currency: "USD", initialBalance: 10_000)
        return (runtime, try runtime.start())
    }

    static func get(_ port: Int, _ target: String, headers: String = "", source: String = "127.0.0.1") -> String {
        RawHTTPClient.exchange(port: port, "GET \(target) HTTP/1.1\r\nHost: x\r\nkey: \(apiKey)\r\n\(headers)"
            + "Connection: close\r\n\r\n", source: source) ?? ""
    }

    static func patch(_ port: Int, _ body: String) -> String {
        let object = (try? JSONValue(parsing: body).objectValue) ?? JSONObject()
        let signature = CRMRequestSignature.signature(of: object, apiKey: apiKey)
        return RawHTTPClient.exchange(port: port, "PATCH /wallets/balance HTTP/1.1\r\nHost: x\r\nkey: \(apiKey)\r\n"
            + "signature: \(signature)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
            + "Connection: close\r\n\r\n\(body)") ?? ""
    }

    @Test("Behind a trusted proxy, crm.allowList sees the forwarded client; a direct caller's header is not believed")
    func theAllowListSeesTheForwardedClient() throws {
        let (runtime, port) = try Self.start { configuration in
            configuration.crmAllowList = try IPAllowList(["203.0.113.0/24"])
            configuration.trustedProxies = try IPAllowList(["127.0.0.1/32"])
        }
        defer { runtime.stop(drainTimeout: .seconds(2)) }
        let target = "/wallets/getOne?external_user_id=u-1&currency=USD"
        #expect(Self.get(port, target, headers: "X-Forwarded-For: 203.0.113.9\r\n").hasPrefix("HTTP/1.1 200"))
        #expect(Self.get(port, target).httpBody == #"{"error":true,"code":403,"type":"ip_not_allowed"}"#)
        #expect(Self.get(port, target, headers: "X-Forwarded-For: 203.0.113.9\r\n", source: "127.0.0.2").httpBody
            == #"{"error":true,"code":403,"type":"ip_not_allowed"}"#)
    }

    @Test("Routes have one path; %00 in a query is refused; invented methods stay out of /metrics")
    func pathsQueriesAndMetrics() throws {
        let (runtime, port) = try Self.start()
        defer { runtime.stop(drainTimeout: .seconds(2)) }
        for target in ["//wallets/getOne?external_user_id=u-1&currency=USD", "/wallets/getOne/?external_user_id=u-1",
                       "/wallets%2FgetOne?external_user_id=u-1&currency=USD"] {
            #expect(Self.get(port, target).httpBody == #"{"error":true,"code":404,"type":"not_found"}"#, "\(target)")
        }
        #expect(Self.get(port, "/wallets/getOne?external_user_id=u-1%00x&currency=USD").httpBody
            == #"{"error":true,"code":400,"type":"invalid_request"}"#)
        for index in 0..<50 {
            _ = RawHTTPClient.exchange(port: port, "X\(index)YZ /wallets/getOne HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        }
        let metrics = Self.get(port, "/metrics")
        #expect(metrics.contains(#"method="other""#))
        #expect(!metrics.contains(#"method="X1YZ""#))
    }

    @Test("A restart with other decimals for a currency is refused, naming it; the stored balance keeps its meaning")
    func otherDecimalsAreRefusedAtStart() throws {
        let store = InMemoryApprovalStore()
        var configuration = try ServiceConfiguration.demo()
        configuration.listen = ListenAddress(host: "127.0.0.1", port: 0)
        let first = try ServiceRuntime(configuration: configuration, apiKey: Self.apiKey, store: store, logger: .disabled,
                                       accessLog: nil, expirySweepInterval: nil)
        try first.service.createWallet(externalUserID: "u-1", currency: "USD", initialBalance: 500_000)  // 5,000.00
        first.stop()

        configuration.currencies = try configuration.currencies.map { currency in
            currency.code == "USD" ? try Currency(code: "USD", decimals: 8) : currency
        }
        #expect {
            _ = try ServiceRuntime(configuration: configuration, apiKey: Self.apiKey, store: store, logger: .disabled,
                                   accessLog: nil, expirySweepInterval: nil)
        } throws: { error in
            let message = (error as? ApprovalError)?.message ?? "\(error)"
            return message.contains("USD is configured with 8 decimals") && message.contains("written with 2")
        }
        let balance = try store.transaction { transaction throws(ApprovalError) in
            try transaction.wallet(externalUserID: "u-1", currency: "USD")?.balance
        }
        #expect(balance == 500_000)
    }

    @Test("A refused transfer keeps its answer on the real server: the retry after a deposit is 400 again")
    func refusalsAreRememberedOverTheWire() throws {
        let (runtime, port) = try Self.start()
        defer { runtime.stop(drainTimeout: .seconds(2)) }
        let debit = #"{"external_user_id":"u-1","currency":"USD","amount":-500,"order_id":"wire-1"}"#
        #expect(Self.patch(port, debit).httpBody == #"{"error":true,"code":400,"type":"insufficient_funds"}"#)
        #expect(Self.patch(port, #"{"external_user_id":"u-1","currency":"USD","amount":900,"order_id":"wire-2"}"#)
            .hasPrefix("HTTP/1.1 200"))
        #expect(Self.patch(port, debit).httpBody == #"{"error":true,"code":400,"type":"insufficient_funds"}"#)
        #expect(try runtime.service.wallet(externalUserID: "u-1", currency: "USD").balance == 100_000)
        let unsafe = #"{"external_user_id":"u-1","currency":"USD","amount":90071992547409.91,"order_id":"wire-3"}"#
        #expect(Self.patch(port, unsafe).httpBody == #"{"error":true,"code":400,"type":"invalid_amount"}"#)
    }
}
