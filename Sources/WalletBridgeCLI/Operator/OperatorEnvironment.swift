import BridgeApprovals
import FoundationEssentials

/// What the operator commands reach outside the process: the service (an HTTP transport), the environment variables
/// that locate the token cache, and the clock that decides whether a cached token is still good. Tests put fakes in
/// place for one task (`OperatorEnvironment.$current.withValue(...)`), as ``DeviceEnvironment`` does for devices.
struct OperatorEnvironment: Sendable {
    var transport: any OperatorHTTPTransport
    var variables: @Sendable () -> [String: String]
    var clock: any BridgeApprovals.Clock

    /// The real network, process environment and wall clock.
    static let system = OperatorEnvironment(
        transport: CurlOperatorTransport(),
        variables: { ProcessInfo.processInfo.environment },
        clock: SystemClock()
    )

    /// The environment in force for the current task.
    @TaskLocal static var current = OperatorEnvironment.system

    /// The token cache in `$XDG_STATE_HOME/walletbridge` (default `~/.local/state/walletbridge`).
    var tokenCache: SessionTokenCache {
        SessionTokenCache(directory: SessionTokenCache.defaultDirectory(environment: variables()), clock: clock)
    }
}
