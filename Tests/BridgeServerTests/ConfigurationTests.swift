import BridgeApprovals
import BridgeCore
import BridgeServer
import Foundation
import Testing

@Suite("Service configuration")
struct ConfigurationTests {
    static let minimal = """
        {
          "apiKey": "0123456789abcdef0123",
          "currencies": {"USD": {"decimals": 2}, "BTC": {"decimals": 8}},
          "policies": {"rules": [{"name": "everything", "then": "allow"}]}
        }
        """

    /// The repository's deploy/ folder (this file is <repo>/Tests/BridgeServerTests/ConfigurationTests.swift).
    static var deployDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("deploy")
    }

    func parse(_ text: String, environment: [String: String] = [:]) throws -> ServiceConfiguration {
        try ServiceConfiguration(json: JSONValue(parsing: text), environment: environment)
    }

    /// The error `text` is refused with.
    func refusal(_ text: String, environment: [String: String] = [:]) -> ConfigurationError? {
        do {
            _ = try parse(text, environment: environment)
            return nil
        } catch {
            return error as? ConfigurationError
        }
    }

    /// `minimal` with `key` set to the JSON `value` (or replaced, for a top-level key it already has).
    func minimal(with key: String, _ value: String) -> String {
        var object = (try? JSONValue(parsing: Self.minimal).objectValue) ?? JSONObject()
        object[key] = (try? JSONValue(parsing: value)) ?? .null
        return JSONValue.object(object).serialized()
    }

    @Test func minimalFileGetsEveryDefault() throws {
        let configuration = try parse(Self.minimal)
        #expect(configuration.listen == ListenAddress(host: "127.0.0.1", port: 8080))
        #expect(configuration.tls == nil)
        #expect(configuration.apiKey == "0123456789abcdef0123")
        #expect(configuration.crmPaths.all == ["/wallets", "/wallets/getOne", "/wallets/balance", "/wallets/order"])
        #expect(configuration.crmAllowList.allowsAll)
        #expect(configuration.currencies.map(\.code) == ["USD", "BTC"])
        #expect(configuration.currencies.map(\.decimals) == [2, 8])
        #expect(configuration.chainID == 1)
        #expect(configuration.webhooks.urls.isEmpty)
        #expect(configuration.webhooks.secret == nil)
        #expect(configuration.webhooks.pollInterval == .milliseconds(500))
        #expect(configuration.databasePath == "./var/walletbridge.sqlite")
        #expect(configuration.sessionTTL == .seconds(28800))
        #expect(configuration.idleTimeout == .seconds(1800))
        #expect(configuration.requestBodyLimit == 65536)
        #expect(configuration.workerThreads == 4)
        #expect(configuration.blockingThreads == 32)
        #expect(configuration.requestTimeout == .seconds(30))
    }

    @Test func everyFieldIsRead() throws {
        let text = """
            {
              "listen": "[::1]:9443",
              "tls": {"certificateFile": "/etc/walletbridge/cert.pem", "keyFile": "/etc/walletbridge/key.pem"},
              "apiKey": "0123456789abcdef0123",
              "crm": {"paths": {"listWallets": "/crm/wallets", "getWallet": "/crm/wallet", "balance": "/crm/balance",
                                "order": "/crm/order"},
                      "allowList": ["203.0.113.0/24", "2001:db8::1"]},
              "currencies": {"EUR": {"decimals": 2}},
              "policies": {"default": "allow", "rules": []},
              "chainId": 5,
              "webhooks": {"urls": ["https://hooks.example/a", "http://10.0.0.5:8081/b"], "secret": "whsec-0123456789abcdef",
                           "alertURL": "https://alerts.example/walletbridge", "pollIntervalMilliseconds": 250},
              "database": "/var/lib/walletbridge/walletbridge.sqlite",
              "sessions": {"ttlSeconds": 3600, "idleTimeoutSeconds": 600},
              "http": {"bodyLimitBytes": 32768, "workerThreads": 8, "blockingThreads": 2, "requestTimeoutSeconds": 10}
            }
            """
        let configuration = try parse(text)
        #expect(configuration.listen == ListenAddress(host: "::1", port: 9443))
        #expect(configuration.listen.description == "[::1]:9443")
        #expect(configuration.tls == ServiceConfiguration.TLS(certificateFile: "/etc/walletbridge/cert.pem",
                                                              keyFile: "/etc/walletbridge/key.pem"))
        #expect(configuration.crmPaths.all == ["/crm/wallets", "/crm/wallet", "/crm/balance", "/crm/order"])
        #expect(configuration.crmAllowList.contains("203.0.113.77"))
        #expect(configuration.crmAllowList.contains("2001:db8::1"))
        #expect(!configuration.crmAllowList.contains("198.51.100.1"))
        #expect(configuration.currencies.map(\.code) == ["EUR"])
        #expect(configuration.policies.defaultDecision == .allow)
        #expect(configuration.chainID == 5)
        #expect(configuration.webhooks.urls.map(\.absoluteString) == ["https://hooks.example/a", "http://10.0.0.5:8081/b"])
        #expect(configuration.webhooks.secret == "whsec-0123456789abcdef")
        #expect(configuration.webhooks.alertURL?.absoluteString == "https://alerts.example/walletbridge")
        #expect(configuration.webhooks.pollInterval == .milliseconds(250))
        #expect(configuration.databasePath == "/var/lib/walletbridge/walletbridge.sqlite")
        #expect(configuration.sessionTTL == .seconds(3600))
        #expect(configuration.idleTimeout == .seconds(600))
        #expect(configuration.requestBodyLimit == 32768)
        #expect(configuration.workerThreads == 8)
        #expect(configuration.blockingThreads == 2)
        #expect(configuration.requestTimeout == .seconds(10))
        let approvals = try configuration.approvalConfiguration(deploymentID: [UInt8](repeating: 7, count: 32))
        #expect(approvals.chainID == 5)
        #expect(approvals.sessionTTL == .seconds(3600))
        #expect(approvals.idleTimeout == .seconds(600))
    }

    @Test(arguments: [
        (#"{"USD": {"decimals": 19}}"#, "currencies.USD.decimals", "must be between 0 and 18, not 19"),
        (#"{"USD": {"decimals": "2"}}"#, "currencies.USD.decimals", "must be a whole number, not \"2\""),
        (#"{"USD": {}}"#, "currencies.USD.decimals", "is missing (the digits after the decimal point, e.g. 2 for USD)"),
        (#"{"USD": {"decimals": 2, "symbol": "$"}}"#, "currencies.USD.symbol", "unknown field (known here: decimals)"),
        (#"{"US D": {"decimals": 2}}"#, "currencies.US D", "currency code \"US D\" must be printable ASCII without spaces"),
        (#"{}"#, "currencies", "must list at least one currency"),
    ])
    func invalidCurrenciesNameTheField(currencies: String, field: String, problem: String) {
        let error = refusal(minimal(with: "currencies", currencies))
        #expect(error?.field == field)
        #expect(error?.problem.hasPrefix(problem) == true, "\(String(describing: error))")
    }

    @Test func errorsRenderWithTheField() {
        let error = refusal(minimal(with: "currencies", #"{"USD": {"decimals": 19}}"#))
        #expect(error?.message == "Invalid configuration: currencies.USD.decimals: must be between 0 and 18, not 19")
        #expect(error?.code == .badArgument)
    }

    @Test(arguments: [
        ("listen", #""localhost""#, "listen"),
        ("listen", #""127.0.0.1:0""#, "listen"),
        ("listen", #""127.0.0.1:70000""#, "listen"),
        ("tls", #"{"certificateFile": "/c.pem"}"#, "tls.keyFile"),
        ("crm", #"{"allowList": ["10.0.0.0/8", "10.0.0.300"]}"#, "crm.allowList[1]"),
        ("crm", #"{"allowList": "10.0.0.0/8"}"#, "crm.allowList"),
        ("crm", #"{"paths": {"balance": "wallets/balance"}}"#, "crm.paths.balance"),
        ("crm", #"{"paths": {"order": "/wallets/balance"}}"#, "crm.paths"),
        ("crm", #"{"paths": {"order": "/metrics"}}"#, "crm.paths.order"),
        ("crm", #"{"paths": {"transfer": "/t"}}"#, "crm.paths.transfer"),
        ("policies", #"{"rules": [{"name": "x", "then": "maybe"}]}"#, "policies"),
        ("policies", #"{"rules": [{"name": "x", "when": {"currencies": ["EUR"]}, "then": "allow"}]}"#, "policies"),
        ("chainId", "0", "chainId"),
        ("chainId", "1.5", "chainId"),
        ("webhooks", #"{"urls": ["ftp://x/y"], "secret": "0123456789abcdef"}"#, "webhooks.urls[0]"),
        ("webhooks", #"{"urls": ["https://x/y"]}"#, "webhooks.secret"),
        ("webhooks", #"{"urls": [], "secret": "short"}"#, "webhooks.secret"),
        ("webhooks", #"{"alertURL": "not a url", "secret": "0123456789abcdef"}"#, "webhooks.alertURL"),
        ("webhooks", #"{"pollIntervalMilliseconds": 1}"#, "webhooks.pollIntervalMilliseconds"),
        ("database", #""""#, "database"),
        ("sessions", #"{"ttlSeconds": 10}"#, "sessions.ttlSeconds"),
        ("http", #"{"workerThreads": 0}"#, "http.workerThreads"),
        ("http", #"{"bodyLimitBytes": 100}"#, "http.bodyLimitBytes"),
        ("http", #"{"requestTimeoutSeconds": -1}"#, "http.requestTimeoutSeconds"),
        ("http", #"{"maxConnections": 0}"#, "http.maxConnections"),
        ("http", #"{"maxConnectionsPerIP": 0}"#, "http.maxConnectionsPerIP"),
        ("http", #"{"headerTimeoutSeconds": 0}"#, "http.headerTimeoutSeconds"),
        ("http", #"{"maxQueuedRequests": 0}"#, "http.maxQueuedRequests"),
        ("http", #"{"trustedProxies": ["10.0.0.0/8", "proxy.internal"]}"#, "http.trustedProxies[1]"),
        ("http", #"{"trustedProxies": "10.0.0.0/8"}"#, "http.trustedProxies"),
        ("operator", #"{"challengesPerMinutePerIP": 0}"#, "operator.challengesPerMinutePerIP"),
        ("operator", #"{"challengesPerMinute": 5}"#, "operator.challengesPerMinute"),
        ("databse", #""x""#, "databse"),
        ("apiKey", #""too-short""#, "apiKey"),
        ("apiKey", #""has a space 0123456789""#, "apiKey"),
        ("apiKey", "null", "apiKey"),
    ])
    func invalidFieldsAreNamed(key: String, value: String, field: String) {
        let error = refusal(minimal(with: key, value))
        #expect(error?.field == field, "\(key)=\(value): \(String(describing: error))")
    }

    @Test("The hardening limits: CONTRACT 4's defaults, and every field read")
    func hardeningLimits() throws {
        let defaults = try parse(Self.minimal)
        #expect(defaults.maxConnections == 1024)
        #expect(defaults.maxConnectionsPerIP == 64)
        #expect(defaults.headerTimeoutSeconds == 10)
        #expect(defaults.maxQueuedRequests == 4096)
        #expect(defaults.trustedProxies.entries.isEmpty)
        #expect(defaults.challengesPerMinutePerIP == 60)
        let set = try parse(minimal(with: "http", #"{"maxConnections": 200, "maxConnectionsPerIP": 8, "#
            + #""headerTimeoutSeconds": 3, "maxQueuedRequests": 100, "trustedProxies": ["10.0.0.0/8", "::1"]}"#))
        #expect(set.maxConnections == 200)
        #expect(set.maxConnectionsPerIP == 8)
        #expect(set.headerTimeoutSeconds == 3)
        #expect(set.maxQueuedRequests == 100)
        #expect(set.trustedProxies.entries.map(\.description) == ["10.0.0.0/8", "::1/128"])
        #expect(try parse(minimal(with: "operator", #"{"challengesPerMinutePerIP": 5}"#)).challengesPerMinutePerIP == 5)
    }

    @Test func policyErrorsKeepThePolicyMessage() {
        let error = refusal(minimal(with: "policies", #"{"rules": [{"name": "x", "when": {"currencies": ["EUR"]}, "then": "allow"}]}"#))
        #expect(error?.message.contains("policies: ") == true)
        #expect(error?.message.contains("unknown currency \"EUR\"") == true, "\(String(describing: error))")
    }

    @Test func missingRequiredFieldsAreNamed() {
        #expect(refusal(#"{"apiKey": "0123456789abcdef", "policies": {"rules": []}}"#)?.field == "currencies")
        #expect(refusal(#"{"apiKey": "0123456789abcdef", "currencies": {"USD": {"decimals": 2}}}"#)?.field == "policies")
        #expect(refusal(#"[]"#)?.problem == "must be an object, not array")
    }

    @Test func secretsComeFromTheEnvironment() throws {
        var object = try #require(try JSONValue(parsing: Self.minimal).objectValue)
        object["apiKey"] = nil
        object["apiKeyEnv"] = "WALLETBRIDGE_API_KEY"
        object["webhooks"] = ["urls": ["https://hooks.example/in"], "secretEnv": "WALLETBRIDGE_WEBHOOK_SECRET"]
        let text = JSONValue.object(object).serialized()
        let environment = ["WALLETBRIDGE_API_KEY": "env-api-key-0123456789", "WALLETBRIDGE_WEBHOOK_SECRET": "env-webhook-secret-01"]

        let configuration = try parse(text, environment: environment)
        #expect(configuration.apiKey == "env-api-key-0123456789")
        #expect(configuration.webhooks.secret == "env-webhook-secret-01")

        let missing = refusal(text, environment: ["WALLETBRIDGE_API_KEY": "env-api-key-0123456789"])
        #expect(missing?.field == "webhooks.secretEnv")
        #expect(missing?.problem == "the environment variable WALLETBRIDGE_WEBHOOK_SECRET is not set")
        #expect(refusal(text, environment: [:])?.field == "apiKeyEnv")
        #expect(refusal(text, environment: ["WALLETBRIDGE_API_KEY": "short", "WALLETBRIDGE_WEBHOOK_SECRET": "env-webhook-secret-01"])?
            .field == "apiKeyEnv")
    }

    @Test func inlineAndEnvironmentSecretsTogetherAreRefused() {
        let error = refusal(minimal(with: "apiKeyEnv", #""WALLETBRIDGE_API_KEY""#), environment: ["WALLETBRIDGE_API_KEY": "x"])
        #expect(error?.field == "apiKey")
        #expect(error?.problem == "give either apiKey or apiKeyEnv, not both")
    }

    @Test func demoMatchesTheContract() throws {
        let demo = try ServiceConfiguration.demo()
        #expect(demo.listen.description == "127.0.0.1:8080")
        #expect(demo.databasePath == "./var/walletbridge.sqlite")
        #expect(demo.apiKey == nil)
        #expect(demo.currencies == [try Currency(code: "USD", decimals: 2), try Currency(code: "BTC", decimals: 8)])
        #expect(demo.policies == (try PolicySet.demo(currencies: demo.currenciesByCode)))
        #expect(demo.webhooks.urls.isEmpty)
    }

    @Test func theSampleConfigurationIsValid() throws {
        let path = Self.deployDirectory.appendingPathComponent("config.example.json").path
        let configuration = try ServiceConfiguration.load(path: path, environment: [
            "WALLETBRIDGE_API_KEY": "sample-api-key-0123456789", "WALLETBRIDGE_WEBHOOK_SECRET": "sample-webhook-secret-0123",
        ])
        #expect(configuration.apiKey == "sample-api-key-0123456789")
        #expect(configuration.webhooks.secret == "sample-webhook-secret-0123")
        #expect(!configuration.crmAllowList.allowsAll)
        #expect(configuration.databasePath == "/var/lib/walletbridge/walletbridge.sqlite")
        #expect(configuration.tls == nil)
    }

    @Test func loadRefusesUnreadableFilesAndBadJSON() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("walletbridge-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        let missing = directory.appendingPathComponent("missing.json").path
        #expect(throws: ConfigurationError(field: "", "cannot read the configuration file \(missing)")) {
            try ServiceConfiguration.load(path: missing, environment: [:])
        }

        let broken = directory.appendingPathComponent("broken.json")
        try Data("{\"apiKey\": ".utf8).write(to: broken)
        do {
            _ = try ServiceConfiguration.load(path: broken.path, environment: [:])
            Issue.record("broken JSON was accepted")
        } catch {
            #expect(error.problem.hasPrefix("\(broken.path): Invalid JSON at line 1"))
        }

        let withTLS = directory.appendingPathComponent("tls.json")
        let tls = #"{"certificateFile": "\#(directory.path)/cert.pem", "keyFile": "\#(directory.path)/key.pem"}"#
        try Data(minimal(with: "tls", tls).utf8).write(to: withTLS)
        #expect(throws: ConfigurationError(field: "tls.certificateFile", "cannot read \(directory.path)/cert.pem")) {
            try ServiceConfiguration.load(path: withTLS.path, environment: [:])
        }
        try Data("cert".utf8).write(to: directory.appendingPathComponent("cert.pem"))
        try Data("key".utf8).write(to: directory.appendingPathComponent("key.pem"))
        #expect(try ServiceConfiguration.load(path: withTLS.path, environment: [:]).tls != nil)
    }

    @Test(arguments: [
        ("127.0.0.1:8080", "127.0.0.1", 8080), ("0.0.0.0:443", "0.0.0.0", 443), ("[::1]:8080", "::1", 8080),
        ("[::]:80", "::", 80),
    ])
    func listenAddressesParse(text: String, host: String, port: Int) {
        #expect(ListenAddress(parsing: text) == ListenAddress(host: host, port: UInt16(port)))
        #expect(ListenAddress(parsing: text)?.description == text)
    }

    @Test func malformedListenAddressesAreRefused() {
        for text in ["", ":8080", "127.0.0.1", "127.0.0.1:", "::1:8080", "[::1]8080", "host name:80", "127.0.0.1:-1"] {
            #expect(ListenAddress(parsing: text) == nil, "\(text)")
        }
    }
}
