import BridgeCore
import Foundation
import ProcessTestSupport
import Testing

/// Everything the scenarios use, once started: the service, the bridges, the browsers.
struct ConsoleEnvironment: Sendable {
    /// `http://127.0.0.1:PORT` of `walletbridge serve --demo`: the console's origin.
    let serviceURL: String
    var consoleURL: String { serviceURL + "/console/" }
    let crm: CRMClient
    /// Bridges to simulated Ledgers (the same seed) allowing the console's origin: alice's, bob's, and one whose
    /// simulated user refuses every request on the device (-7).
    let aliceBridge: String
    let bobBridge: String
    let denyingBridge: String
    /// A bridge whose simulated Ledger is locked (-5). (A Ledger on its dashboard gives no -6: the CLI opens the
    /// Ethereum app itself, as the simulated user confirms.)
    let lockedBridge: String
    let alice: ConsolePage
    let bob: ConsolePage

    func bridge(for operator: Operator) -> String { `operator` == .alice ? aliceBridge : bobBridge }
    func page(for operator: Operator) -> ConsolePage { `operator` == .alice ? alice : bob }

    /// The operator's console, signed in through their own bridge at their own path.
    func signedIn(_ operator: Operator) async throws -> ConsolePage {
        let page = page(for: `operator`)
        try await page.signIn(as: `operator`, bridge: bridge(for: `operator`))
        return page
    }
}

/// The processes of one run of the suite: `walletbridge serve --demo` on a temporary database, four bridges,
/// chromedriver and its browsers. Started lazily by the first test that needs them, stopped once by
/// ``ConsoleHarnessScope`` when the suite ends, whatever happened.
actor ConsoleHarness {
    /// The suite's harness, bound by ``ConsoleHarnessScope`` around the suite.
    @TaskLocal static var current: ConsoleHarness?

    static func shared() throws -> ConsoleHarness {
        guard let current else { throw HarnessError("no harness: run the tests through their suite (ConsoleBrowserTests)") }
        return current
    }

    private let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("walletbridge-browser-\(UUID().uuidString.prefix(8))")
    private var logDirectory: URL { directory.appendingPathComponent("logs") }
    private var starting: Task<ConsoleEnvironment, any Error>?
    private var children: [ChildProcess] = []
    private var sessions: [WebDriverSession] = []
    private var driver: WebDriver?
    private var visitorSession: WebDriverSession?
    private var otherOrigin: OtherOriginServer?

    /// The running environment, started on first use. A start that failed fails every later caller the same way
    /// rather than starting everything again.
    func environment() async throws -> ConsoleEnvironment {
        if starting == nil { starting = Task { try await self.start() } }
        return try await starting!.value
    }

    /// A third browser, signed in as nobody, for pages from other origins and sign-in attempts that must leave alice's
    /// and bob's consoles as they are.
    func visitor() async throws -> WebDriverSession {
        if let visitorSession { return visitorSession }
        let session = try await newBrowser("visitor")
        visitorSession = session
        return session
    }

    /// A browser of its own with an empty profile (so an empty cache), for a measurement of a first visit; end it
    /// with ``close(_:)`` (the suite's end closes it otherwise).
    func newBrowser(_ name: String) async throws -> WebDriverSession {
        _ = try await environment()
        guard let driver, let chromium = BrowserTools.chromium else { throw HarnessError("chromedriver is not running") }
        let session = try await driver.newSession(chromium: chromium,
                                                  profileDirectory: directory.appendingPathComponent("profile-\(name)").path)
        sessions.append(session)
        return session
    }

    func close(_ session: WebDriverSession) async {
        guard let index = sessions.firstIndex(where: { $0.id == session.id }) else { return }
        sessions.remove(at: index)
        try? await session.delete()
    }

    /// The page server on an origin the bridges do not allow.
    func otherOriginServer() async throws -> OtherOriginServer {
        if let otherOrigin { return otherOrigin }
        let server = try await OtherOriginServer.start()
        otherOrigin = server
        return server
    }

    private func launch(_ name: String, _ executable: String, _ arguments: [String],
                        environment: [String: String]? = nil) throws -> ChildProcess {
        let child = try ChildProcess(name: name, executable: executable, arguments: arguments, directory: directory,
                                     logDirectory: logDirectory, environment: environment)
        children.append(child)
        return child
    }

    private func start() async throws -> ConsoleEnvironment {
        let walletbridge = BrowserTools.walletbridge
        guard FileManager.default.isExecutableFile(atPath: walletbridge) else {
            throw HarnessError("walletbridge is not built at \(walletbridge): `swift build` (or `swift test`, `make test`) first")
        }
        guard let chromium = BrowserTools.chromium, let chromedriver = BrowserTools.chromedriver else {
            throw HarnessError(BrowserTools.missingReason ?? "chromium or chromedriver is missing")
        }
        try FileManager.default.createDirectory(at: logDirectory, withIntermediateDirectories: true)
        let home = directory.appendingPathComponent("home")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)

        // serve takes no port 0, so the port is found first; chromedriver starts meanwhile (it has nothing to wait for).
        let servicePort = try BrowserTools.freePort()
        let service = try launch("serve", walletbridge, [
            "serve", "--demo", "--db", directory.appendingPathComponent("walletbridge.sqlite").path,
            "--listen", "127.0.0.1:\(servicePort)",
        ])
        let driverPort = try BrowserTools.freePort()
        // Chromium keeps its crash-report database and caches under HOME: a home of its own keeps them in the run's
        // directory, removed at the end.
        var browserEnvironment = ProcessInfo.processInfo.environment
        browserEnvironment["HOME"] = home.path
        browserEnvironment["XDG_CONFIG_HOME"] = home.appendingPathComponent(".config").path
        browserEnvironment["XDG_CACHE_HOME"] = home.appendingPathComponent(".cache").path
        let driverProcess = try launch("chromedriver", chromedriver, [
            "--port=\(driverPort)", "--log-path=\(logDirectory.appendingPathComponent("chromedriver.log").path)",
        ], environment: browserEnvironment)

        let ready = try JSONValue(parsing: try await service.firstLine())
        guard let serviceURL = ready["listening"]?.stringValue, let apiKey = ready["apiKey"]?.stringValue else {
            throw HarnessError("serve's ready line lacks listening or apiKey\(service.diagnostics())")
        }
        var bridges: [String] = []
        var bridgeProcesses: [ChildProcess] = []
        let bridgeSpecs: [(name: String, extra: [String])] = [
            ("bridge-alice", []), ("bridge-bob", []), ("bridge-deny", ["--sim-approve", "deny"]),
            ("bridge-locked", ["--sim-locked"]),
        ]
        for (name, extra) in bridgeSpecs {
            bridgeProcesses.append(try launch(name, walletbridge, [
                "bridge", "--transport", "sim:ledger", "--listen", "127.0.0.1:0", "--allow-origin", serviceURL,
            ] + extra))
        }
        for process in bridgeProcesses {
            let line = try JSONValue(parsing: try await process.firstLine())
            guard let url = line["listening"]?.stringValue else {
                throw HarnessError("\(process.name)'s ready line lacks listening\(process.diagnostics())")
            }
            bridges.append(url)
        }

        let driver = WebDriver(baseURL: "http://127.0.0.1:\(driverPort)")
        let deadline = ContinuousClock.now + .seconds(15)
        while !(await driver.isReady()) {
            guard driverProcess.isRunning, ContinuousClock.now < deadline else {
                throw HarnessError("chromedriver did not become ready on port \(driverPort)\(driverProcess.diagnostics())")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        self.driver = driver
        // Both browsers start at once: each takes a second or two.
        let profiles = (directory.appendingPathComponent("profile-alice").path,
                        directory.appendingPathComponent("profile-bob").path)
        let aliceSession = Task { try await driver.newSession(chromium: chromium, profileDirectory: profiles.0) }
        let bobSession = Task { try await driver.newSession(chromium: chromium, profileDirectory: profiles.1) }
        let first = await aliceSession.result
        let second = await bobSession.result
        for case .success(let session) in [first, second] { sessions.append(session) }
        let consoleURL = serviceURL + "/console/"
        return ConsoleEnvironment(
            serviceURL: serviceURL, crm: CRMClient(baseURL: serviceURL, apiKey: apiKey),
            aliceBridge: bridges[0], bobBridge: bridges[1], denyingBridge: bridges[2],
            lockedBridge: bridges[3],
            alice: ConsolePage(session: try first.get(), label: "alice", consoleURL: consoleURL),
            bob: ConsolePage(session: try second.get(), label: "bob", consoleURL: consoleURL))
    }

    /// Ends the browsers (through chromedriver, which closes them), the page server and every process, keeps their
    /// logs in `<repo>/.build/browser-tests-logs/` for a look after a failure, and removes the run's directory.
    func stop() async {
        _ = await starting?.result
        for session in sessions { try? await session.delete() }
        sessions = []
        await otherOrigin?.stop()
        otherOrigin = nil
        await withTaskGroup(of: Void.self) { group in
            for child in children { group.addTask { await child.stop() } }
        }
        children = []
        let kept = BrowserTools.repository.appendingPathComponent(".build/browser-tests-logs")
        try? FileManager.default.removeItem(at: kept)
        try? FileManager.default.copyItem(at: logDirectory, to: kept)
        try? FileManager.default.removeItem(at: directory)
    }
}

/// Starts nothing itself: binds a fresh ``ConsoleHarness`` around the whole suite and stops it when the suite ends,
/// passed or failed, so no process outlives the run.
struct ConsoleHarnessScope: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }

    func provideScope(for test: Test, testCase: Test.Case?,
                      performing function: @Sendable () async throws -> Void) async throws {
        let harness = ConsoleHarness()
        let outcome = await Result(catching: {
            try await ConsoleHarness.$current.withValue(harness) { try await function() }
        })
        await harness.stop()
        try outcome.get()
    }
}

extension Trait where Self == ConsoleHarnessScope {
    /// The suite's processes, started on first use and stopped at the end.
    static var consoleHarness: Self { Self() }
}

extension Result where Failure == any Error {
    /// `Result(catching:)` for async work.
    init(catching work: () async throws -> Success) async {
        do { self = .success(try await work()) } catch { self = .failure(error) }
    }
}
