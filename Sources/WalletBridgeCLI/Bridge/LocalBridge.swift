import BridgeCore
import BridgeServer
import Dispatch
import FoundationEssentials
import Synchronization

/// `walletbridge bridge`: the operator's local HTTP bridge between the console in the browser and the device, on the
/// same device layer as the CLI (CONTRACT 8). Each route runs the CLI's own command in process with the bridge's
/// device selection, so its answer is the CLI's JSON: `POST /enumerate`, `POST /address {"path"}`,
/// `POST /sign-typed-data {"path","typedData","mode"?}`, and `POST /listen` (a long poll that answers when the
/// device list differs from the one posted). `GET /` names the bridge.
///
/// Errors are the CLI's `{"error","code","hint"}` documents: 400 for a bad request (-10), 409 while another operation
/// holds the device (-4), 403 for a refused origin, 500 for a device failure (its code says which).
final class LocalBridge: HTTPHandler {
    /// Runs one CLI command (arguments without the program name); its exit status and standard output.
    typealias CommandRunner = @Sendable ([String]) async -> (status: Int32, output: String)

    /// Who may call (read per request: the port is known once the server is bound).
    let policy: @Sendable () -> BridgeOriginPolicy
    /// The device-selection options every command gets (`--transport sim:ledger`, `--device ID`, ...).
    let deviceArguments: [String]
    let run: CommandRunner
    /// How long `POST /listen` waits for a change before answering the unchanged list.
    let listenTimeout: Duration
    let listenInterval: Duration
    /// One operation on the device at a time: a second gets -4 at once.
    private let busy = Atomic<Bool>(false)

    init(policy: @escaping @Sendable () -> BridgeOriginPolicy, deviceArguments: [String], listenTimeout: Duration = .seconds(30),
         listenInterval: Duration = .milliseconds(500), run: @escaping CommandRunner) {
        self.policy = policy
        self.deviceArguments = deviceArguments
        self.listenTimeout = listenTimeout
        self.listenInterval = listenInterval
        self.run = run
    }

    func handle(_ request: HTTPRequest) -> HTTPResponse {
        switch policy().decide(origin: request.header("Origin"), host: request.header("Host")) {
        case .forbid(let reason):
            return Self.error(403, GenericBridgeError(.permissionDenied, "Refused: \(reason)",
                                                      hint: "Open the console from an allowed origin, or restart the bridge with --allow-origin."))
        case .allow(let origin):
            var response = route(request)
            if let origin {
                response.headers += [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")]
            }
            return response
        }
    }

    private func route(_ request: HTTPRequest) -> HTTPResponse {
        switch (request.method, request.path) {
        case ("OPTIONS", _):
            // The CORS preflight of a JSON POST.
            return HTTPResponse(status: 204, headers: [("Access-Control-Allow-Methods", "GET, POST"),
                                                       ("Access-Control-Allow-Headers", "Content-Type"),
                                                       ("Access-Control-Max-Age", "600")])
        case ("GET", "/"):
            return .json(["name": "walletbridge-bridge", "version": .string(WalletBridgeCLI.version)])
        case ("POST", "/enumerate"):
            return exclusive { [self] in await command(["enumerate"]) }
        case ("POST", "/listen"):
            return listen(request.body)
        case ("POST", "/address"):
            return withBody(request.body) { body throws(GenericBridgeError) in
                ["address", "--path", try Self.string(body, "path")]
            }
        case ("POST", "/sign-typed-data"):
            return withBody(request.body) { body throws(GenericBridgeError) in
                guard let typedData = body["typedData"], case .object = typedData else {
                    throw GenericBridgeError(.badArgument, "typedData must be the EIP-712 document (an object)")
                }
                let file = FileManager.default.temporaryDirectory.appendingPathComponent("walletbridge-bridge-\(UUID().uuidString).json")
                guard FileManager.default.createFile(atPath: file.path, contents: Data(typedData.serialized().utf8),
                                                     attributes: [.posixPermissions: 0o600]) else {
                    throw GenericBridgeError(.internalError, "cannot write the typed data to \(file.path)")
                }
                var arguments = ["sign-typed-data", "--path", try Self.string(body, "path"), "--file", file.path]
                if let mode = body["mode"]?.stringValue { arguments += ["--mode", mode] }
                return arguments
            } cleanup: { arguments in
                if let index = arguments.firstIndex(of: "--file") { try? FileManager.default.removeItem(atPath: arguments[index + 1]) }
            }
        default:
            return Self.error(404, GenericBridgeError(.badArgument, "No such bridge route: \(request.method) \(request.path)"))
        }
    }

    /// A command whose arguments come from the JSON body.
    private func withBody(_ bytes: [UInt8], _ arguments: (JSONObject) throws(GenericBridgeError) -> [String],
                          cleanup: @escaping @Sendable ([String]) -> Void = { _ in }) -> HTTPResponse {
        let built: [String]
        do throws(GenericBridgeError) {
            guard case .object(let body)? = try? JSONValue(parsing: bytes) else {
                throw GenericBridgeError(.badArgument, "The request body must be a JSON object")
            }
            built = try arguments(body)
        } catch {
            return Self.error(400, error)
        }
        defer { cleanup(built) }
        return exclusive { [self] in await command(built) }
    }

    /// Runs `work` unless another operation holds the device (then -4 at once, as the CLI answers a busy device).
    private func exclusive(_ work: @escaping @Sendable () async -> HTTPResponse) -> HTTPResponse {
        guard busy.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
            return Self.error(409, GenericBridgeError(.busy, "Another operation is using the device through this bridge",
                                                      hint: "Wait for it to finish (confirm or reject on the device), then try again."))
        }
        defer { busy.store(false, ordering: .releasing) }
        return Self.wait(work)
    }

    /// The CLI's answer as an HTTP response: 200, or the error document with a status for its code.
    private func command(_ arguments: [String]) async -> HTTPResponse {
        let (status, output) = await run(arguments + deviceArguments)
        let document = (try? JSONValue(parsing: output.trimmingWhitespace())) ?? .null
        guard status == 0 else {
            let code = document["code"]?.numberValue.flatMap { Int($0.text) }
            let httpStatus = code == ErrorCode.busy.rawValue ? 409 : code == ErrorCode.badArgument.rawValue ? 400 : 500
            return .json(document, status: httpStatus)
        }
        return .json(document)
    }

    /// `POST /listen`: answers the device list once it differs from the posted one (or after ``listenTimeout``).
    private func listen(_ body: [UInt8]) -> HTTPResponse {
        let known = (try? JSONValue(parsing: body)) ?? .array([])
        let timeout = listenTimeout, interval = listenInterval
        return Self.wait { [self] in
            // Counted from the first listing, so a late start (a busy machine) still compares at least once.
            var deadline: ContinuousClock.Instant?
            while true {
                let current = await command(["enumerate"])
                let limit = deadline ?? ContinuousClock.now + timeout
                deadline = limit
                let list = (try? JSONValue(parsing: current.body)) ?? .null
                if current.status != 200 || list != known || ContinuousClock.now >= limit { return current }
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// Runs async work from a handler thread (handlers are synchronous; the pool thread waits).
    private static func wait(_ work: @escaping @Sendable () async -> HTTPResponse) -> HTTPResponse {
        let result = Mutex<HTTPResponse?>(nil)
        let done = DispatchSemaphore(value: 0)
        Task {
            let response = await work()
            result.withLock { $0 = response }
            done.signal()
        }
        done.wait()
        return result.withLock { $0 } ?? error(500, GenericBridgeError(.internalError, "the operation ended without an answer"))
    }

    private static func string(_ body: JSONObject, _ name: String) throws(GenericBridgeError) -> String {
        guard let value = body[name]?.stringValue, !value.isEmpty else {
            throw GenericBridgeError(.badArgument, "\(name) is required (a string)")
        }
        return value
    }

    static func error(_ status: Int, _ error: GenericBridgeError) -> HTTPResponse {
        .json(error.jsonObject, status: status)
    }
}
