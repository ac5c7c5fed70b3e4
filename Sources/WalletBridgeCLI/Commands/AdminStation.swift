import BridgeApprovals
import BridgeCore
import BridgeServer
import BridgeStore
import FoundationEssentials

/// What every station-local `admin` command shares (CONTRACT 5): the service's own database, opened directly (safe
/// while the service runs), found through `--config FILE` (its `database` and `currencies`) or `--db FILE|URL`.
/// With `--db` alone the currencies are the ones the service recorded with the data at its last start.
enum AdminStation {
    static let config = CommandOption.value(
        "config", "FILE", help: "The service's configuration file: its database and currencies.")
    static let database = CommandOption.value(
        "db", "FILE|URL", help: "The service's database: a SQLite file (default \(SQLiteApprovalStore.defaultPath), or the "
            + "configuration's `database`) or a PostgreSQL URL (postgresql://...).")
    static let options = [config, database]

    /// Opens the database, runs `body` on its session manager, closes it.
    static func withService(_ arguments: ParsedArguments,
                            _ body: (ApprovalService) throws(ApprovalError) -> JSONValue) throws -> JSONValue {
        var path = SQLiteApprovalStore.defaultPath
        var configured: ServiceConfiguration?
        if let file = arguments.value("config") {
            let configuration = try ServiceConfiguration.load(path: file)
            path = configuration.databasePath
            configured = configuration
        }
        if let database = arguments.value("db") { path = database }
        let opened = try DatabaseLocation(path).open(createIfMissing: false)
        defer { opened.close() }
        let store = opened.store
        let clock = SystemClock()
        let currencies = try configured?.currencies ?? ApprovalConfiguration.storedCurrencies(in: store)
        let deploymentID = try ApprovalConfiguration.loadOrCreateDeploymentID(store: store, clock: clock)
        var configuration = try ApprovalConfiguration(currencies: currencies, deploymentID: deploymentID)
        if let configured {
            configuration.autoCreateWallets = configured.autoCreateWallets
            try configuration.recordCurrencies(in: store, clock: clock)
        }
        // Admin commands never decide transfers; the policy in force is read from the database where it matters.
        let service = ApprovalService(store: store, policy: try PolicySet(rules: [], defaultDecision: .deny),
                                      configuration: configuration, clock: clock)
        return try body(service)
    }

    /// Who the audit log names for a station-local change.
    static var actor: String { "cli:" + CurrentUser.name }
}
