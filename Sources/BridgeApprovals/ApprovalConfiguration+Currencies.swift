import BridgeCore

extension ApprovalConfiguration {
    /// Metadata key of the currencies the stored amounts were written with: `{"BTC":8,"USD":2}`.
    public static let currenciesKey = "currencies"

    /// Records this configuration's currencies with the data, or checks them against what is recorded.
    ///
    /// Stored amounts are minor units, so the same rows read with other `decimals` would silently mean other money
    /// (5,000.00 USD read back as 0.000000000000500000). A currency whose decimals differ from the recorded ones is
    /// refused with `invalid_request` naming it; new currencies are added (audited as `currencies.recorded`).
    public func recordCurrencies(in store: any ApprovalStore, clock: any Clock) throws(ApprovalError) {
        try store.transaction { transaction throws(ApprovalError) in
            var recorded = try Self.storedCurrencies(in: transaction)
            var added: [Currency] = []
            for currency in currencies {
                if let stored = recorded[currency.code] {
                    guard stored.decimals == currency.decimals else {
                        throw .invalidRequest("""
                            currency \(currency.code) is configured with \(currency.decimals) decimals but its stored \
                            amounts were written with \(stored.decimals); restore "decimals": \(stored.decimals) for \
                            \(currency.code), or use a new currency code
                            """)
                    }
                } else {
                    recorded[currency.code] = currency
                    added.append(currency)
                }
            }
            guard !added.isEmpty else { return }
            var table = JSONObject()
            for code in recorded.keys.sorted() { table[code] = .number(JSONNumber(recorded[code]?.decimals ?? 0)) }
            try transaction.setMetadata(Self.currenciesKey, JSONValue.object(table).serialized(.canonical))
            var payload = JSONObject()
            for currency in added { payload[currency.code] = .number(JSONNumber(currency.decimals)) }
            try ChangeRecorder(transaction: transaction, time: clock.now(), actor: "config")
                .audit("currencies.recorded", ["added": .object(payload)])
        }
    }

    /// The currencies recorded with the data by ``recordCurrencies(in:clock:)``, by code (empty before the first
    /// start), so station-local admin commands work from the database alone.
    public static func storedCurrencies(in store: any ApprovalStore) throws(ApprovalError) -> [Currency] {
        try store.read { transaction throws(ApprovalError) in
            try storedCurrencies(in: transaction).values.sorted { $0.code < $1.code }
        }
    }

    static func storedCurrencies(in transaction: any StoreTransaction) throws(ApprovalError) -> [String: Currency] {
        guard let text = try transaction.metadata(currenciesKey) else { return [:] }
        guard let table = (try? JSONValue(parsing: text))?.objectValue else {
            throw .storage("the stored currencies \"\(text)\" are not a JSON object")
        }
        var currencies: [String: Currency] = [:]
        for (code, decimals) in table {
            guard let count = decimals.numberValue?.int64Value else {
                throw .storage("the stored decimals of \(code) are not a number")
            }
            currencies[code] = try Currency(code: code, decimals: Int(count))
        }
        return currencies
    }
}
