import BridgeApprovals

extension ServiceConfiguration {
    /// The embedded `serve --demo` defaults (CONTRACT 3, "Demo defaults"): USD with 2 decimals and BTC with 8, the
    /// demo policy (above 1,000 USD or 1 BTC needs 2 approvals), `127.0.0.1:8080`, `./var/walletbridge.sqlite`, no
    /// webhooks, any CRM address (loopback only anyway). No API key: the service creates one on first start and
    /// keeps it in the database.
    public static func demo() throws(ConfigurationError) -> ServiceConfiguration {
        do {
            let currencies = [try Currency(code: "USD", decimals: 2), try Currency(code: "BTC", decimals: 8)]
            let policies = try PolicySet.demo(currencies: Dictionary(uniqueKeysWithValues: currencies.map { ($0.code, $0) }))
            return ServiceConfiguration(apiKey: nil, currencies: currencies, policies: policies, crmAllowList: try IPAllowList([]))
        } catch {
            throw ConfigurationError(field: "", "the demo defaults are invalid: \(error.message)")
        }
    }
}
