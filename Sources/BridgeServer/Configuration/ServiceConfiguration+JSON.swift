import BridgeApprovals
import BridgeCore
import FoundationEssentials

extension ServiceConfiguration {
    static let rootKeys: Set<String> = [
        "listen", "tls", "apiKey", "apiKeyEnv", "crm", "currencies", "policies", "chainId", "webhooks", "database",
        "sessions", "http", "wallets", "governance", "operator",
    ]

    /// An API key or webhook secret shorter than this is refused: both are all that stands between the network and
    /// the money (the key) or the receivers' trust (the secret).
    public static let minimumSecretLength = 16

    /// Reads the configuration file's JSON (deploy/CONFIGURATION.md). Secrets named by `apiKeyEnv` and
    /// `webhooks.secretEnv` come from `environment`. Unknown fields are refused, so a misspelt optional field cannot
    /// silently keep its default; every error names the field (`currencies.USD.decimals`).
    public init(json: JSONValue, environment: [String: String]) throws(ConfigurationError) {
        let root = try ConfigurationObjectReader(json, path: "", allowedKeys: Self.rootKeys)

        var listen = ListenAddress(host: "127.0.0.1", port: 8080)
        if let text = try root.string("listen") {
            guard let parsed = ListenAddress(parsing: text) else {
                throw root.error("listen", "must be HOST:PORT (e.g. 127.0.0.1:8080 or [::1]:8080), not \"\(text)\"")
            }
            listen = parsed
        }

        let apiKey = try Self.secret(root, value: "apiKey", variable: "apiKeyEnv", environment: environment)
        guard let apiKey else {
            throw root.error("apiKey", "is missing: set apiKey, or apiKeyEnv to the name of an environment variable holding it")
        }

        let currencies = try Self.currencies(root)
        let byCode = Dictionary(uniqueKeysWithValues: currencies.map { ($0.code, $0) })
        guard let policyJSON = root.object["policies"], policyJSON != .null else {
            throw root.error("policies", "is missing: the transfer policy set ({\"default\": ..., \"rules\": [...]})")
        }
        let policies: PolicySet
        do {
            policies = try PolicySet(json: policyJSON, currencies: byCode)
        } catch {
            throw root.error("policies", error.configurationReason)
        }

        var crmPaths = CRMPaths()
        var allowList: [String] = []
        if let crm = try root.object("crm", allowedKeys: ["paths", "allowList"]) {
            if let paths = try crm.object("paths", allowedKeys: ["listWallets", "getWallet", "balance", "order"]) {
                crmPaths.wallets = try Self.path(paths, "listWallets") ?? crmPaths.wallets
                crmPaths.getOne = try Self.path(paths, "getWallet") ?? crmPaths.getOne
                crmPaths.balance = try Self.path(paths, "balance") ?? crmPaths.balance
                crmPaths.order = try Self.path(paths, "order") ?? crmPaths.order
                for (index, path) in crmPaths.all.enumerated() where crmPaths.all[..<index].contains(path) {
                    throw crm.error("paths", "\(path) is used twice; each CRM call needs its own path")
                }
            }
            allowList = try crm.strings("allowList") ?? []
            for (index, entry) in allowList.enumerated() {
                do {
                    _ = try IPAllowList.Entry(entry)
                } catch {
                    throw ConfigurationError(field: "crm.allowList[\(index)]", error.configurationReason)
                }
            }
        }
        let crmAllowList: IPAllowList
        do {
            crmAllowList = try IPAllowList(allowList)
        } catch {
            throw ConfigurationError(field: "crm.allowList", error.configurationReason)
        }

        self.init(listen: listen, apiKey: apiKey, currencies: currencies, policies: policies, crmAllowList: crmAllowList)
        self.crmPaths = crmPaths

        if let tls = try root.object("tls", allowedKeys: ["certificateFile", "keyFile"]) {
            guard let certificate = try tls.nonEmptyString("certificateFile") else {
                throw tls.error("certificateFile", "is missing (a PEM certificate chain)")
            }
            guard let key = try tls.nonEmptyString("keyFile") else { throw tls.error("keyFile", "is missing (a PEM private key)") }
            self.tls = TLS(certificateFile: certificate, keyFile: key)
        }
        if let chainID = try root.integer("chainId", in: 1...Int64.max) { self.chainID = UInt64(chainID) }
        if let webhooks = try root.object("webhooks", allowedKeys: ["urls", "secret", "secretEnv", "alertURL", "pollIntervalMilliseconds", "claimLeaseSeconds"]) {
            self.webhooks = try Self.webhooks(webhooks, environment: environment)
        }
        if let database = try root.nonEmptyString("database") { databasePath = database }
        if let wallets = try root.object("wallets", allowedKeys: ["autoCreate"]) {
            if let autoCreate = try wallets.bool("autoCreate") { autoCreateWallets = autoCreate }
        }
        if let sessions = try root.object("sessions", allowedKeys: ["ttlSeconds", "idleTimeoutSeconds"]) {
            if let ttl = try sessions.integer("ttlSeconds", in: 60...(30 * 86400)) { sessionTTL = .seconds(ttl) }
            if let idle = try sessions.integer("idleTimeoutSeconds", in: 60...(30 * 86400)) { idleTimeout = .seconds(idle) }
        }
        if let http = try root.object("http", allowedKeys: Set(Self.httpKeys)) {
            if let limit = try http.integer("bodyLimitBytes", in: 1024...(16 * 1024 * 1024)) { requestBodyLimit = Int(limit) }
            if let threads = try http.integer("workerThreads", in: 1...256) { workerThreads = Int(threads) }
            if let threads = try http.integer("blockingThreads", in: 0...1024) { blockingThreads = Int(threads) }
            if let timeout = try http.integer("requestTimeoutSeconds", in: 1...3600) { requestTimeout = .seconds(timeout) }
            try readHTTPLimits(http)
        }
        try readGovernance(root)
        try readOperatorLimits(root)
    }

    /// `value` given inline, or read from the environment variable named by `variable`; never both.
    static func secret(_ reader: ConfigurationObjectReader, value: String, variable: String,
                       environment: [String: String]) throws(ConfigurationError) -> String? {
        let inline = try reader.string(value)
        let variableName = try reader.nonEmptyString(variable)
        let secret: String
        let field: String
        switch (inline, variableName) {
        case (nil, nil): return nil
        case (_?, _?): throw reader.error(value, "give either \(reader.field(value)) or \(reader.field(variable)), not both")
        case (let text?, nil):
            secret = text
            field = value
        case (nil, let name?):
            guard let fromEnvironment = environment[name], !fromEnvironment.isEmpty else {
                throw reader.error(variable, "the environment variable \(name) is not set")
            }
            secret = fromEnvironment
            field = variable
        }
        guard secret.count >= minimumSecretLength else {
            throw reader.error(field, "must be at least \(minimumSecretLength) characters long")
        }
        guard secret.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw reader.error(field, "must be printable ASCII without spaces (it travels in HTTP headers)")
        }
        return secret
    }

    static func currencies(_ root: ConfigurationObjectReader) throws(ConfigurationError) -> [Currency] {
        guard let value = root.object["currencies"], value != .null else {
            throw root.error("currencies", "is missing, e.g. {\"USD\": {\"decimals\": 2}}")
        }
        guard let table = value.objectValue else { throw root.error("currencies", "must be an object, not \(value.typeName)") }
        guard table.count > 0 else { throw root.error("currencies", "must list at least one currency") }
        var currencies: [Currency] = []
        for (code, entry) in table {
            let reader = try ConfigurationObjectReader(entry, path: "currencies.\(code)", allowedKeys: ["decimals"])
            guard let decimals = try reader.integer("decimals", in: 0...18) else {
                throw reader.error("decimals", "is missing (the digits after the decimal point, e.g. 2 for USD)")
            }
            do {
                currencies.append(try Currency(code: code, decimals: Int(decimals)))
            } catch {
                throw ConfigurationError(field: "currencies.\(code)", error.configurationReason)
            }
        }
        return currencies
    }

    static func path(_ reader: ConfigurationObjectReader, _ key: String) throws(ConfigurationError) -> String? {
        guard let path = try reader.string(key) else { return nil }
        guard path.hasPrefix("/"), !path.contains("?"), !path.contains(where: \.isWhitespace) else {
            throw reader.error(key, "must be a path starting with / without a query or spaces, not \"\(path)\"")
        }
        guard path != "/health", path != "/metrics", path != "/operator", !path.hasPrefix("/operator/") else {
            throw reader.error(key, "\(path) is the service's own path")
        }
        return path
    }

    static func webhooks(_ reader: ConfigurationObjectReader, environment: [String: String]) throws(ConfigurationError) -> Webhooks {
        var webhooks = Webhooks()
        for (index, text) in (try reader.strings("urls") ?? []).enumerated() {
            webhooks.urls.append(try url(text, field: "\(reader.field("urls"))[\(index)]"))
        }
        if let text = try reader.string("alertURL") { webhooks.alertURL = try url(text, field: reader.field("alertURL")) }
        webhooks.secret = try secret(reader, value: "secret", variable: "secretEnv", environment: environment)
        if webhooks.secret == nil, !webhooks.urls.isEmpty || webhooks.alertURL != nil {
            throw reader.error("secret", "is missing: webhooks are signed; set secret, or secretEnv to an environment variable")
        }
        if let seconds = try reader.integer("claimLeaseSeconds", in: 1...3600) {
            webhooks.claimLease = .seconds(seconds)
        }
        if let interval = try reader.integer("pollIntervalMilliseconds", in: 10...60000) {
            webhooks.pollInterval = .milliseconds(interval)
        }
        return webhooks
    }

    static func url(_ text: String, field: String) throws(ConfigurationError) -> URL {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host, !host.isEmpty else {
            throw ConfigurationError(field: field, "must be an http:// or https:// URL, not \"\(text)\"")
        }
        return url
    }
}
