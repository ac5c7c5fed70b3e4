import BridgeCore
import BridgeServer
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization
import Testing
@testable import WalletBridgeCLI

@Suite("walletbridge bridge: the local bridge for the console (CONTRACT 8)")
struct LocalBridgeTests {
    static let policy = BridgeOriginPolicy(allowedOrigins: ["http://127.0.0.1:8080"], port: 21335)

    @Test("origins: exact allow-list with CORS; without Origin only for the bridge's loopback Host (no DNS rebinding)")
    func originPolicy() {
        #expect(Self.policy.decide(origin: "http://127.0.0.1:8080", host: "127.0.0.1:21335") == .allow(corsOrigin: "http://127.0.0.1:8080"))
        for origin in ["http://127.0.0.1:8081", "https://127.0.0.1:8080", "http://evil.example", "null", "http://127.0.0.1:8080/"] {
            guard case .forbid = Self.policy.decide(origin: origin, host: "127.0.0.1:21335") else {
                Issue.record("\(origin) was allowed")
                continue
            }
        }
        #expect(Self.policy.decide(origin: nil, host: "127.0.0.1:21335") == .allow(corsOrigin: nil))
        #expect(Self.policy.decide(origin: nil, host: "LOCALHOST:21335") == .allow(corsOrigin: nil))
        for host in ["attacker.example:21335", "127.0.0.1:80", "127.0.0.1", nil] as [String?] {
            guard case .forbid = Self.policy.decide(origin: nil, host: host) else {
                Issue.record("Host \(host ?? "none") was allowed")
                continue
            }
        }
    }

    func request(_ method: String, _ path: String, body: String = "", origin: String? = nil) -> HTTPRequest {
        var headers = ["host": "127.0.0.1:21335"]
        if let origin { headers["origin"] = origin }
        return HTTPRequest(method: method, path: path, headers: headers, body: Array(body.utf8), clientAddress: "127.0.0.1",
                           peerAddress: "127.0.0.1")
    }

    @Test("a second operation while one holds the device is -4 at once (409); the first completes")
    func oneOperationAtATime() async throws {
        let gate = DispatchSemaphore(value: 0)
        let entered = DispatchSemaphore(value: 0)
        let bridge = LocalBridge(policy: { Self.policy }, deviceArguments: ["--transport", "sim:ledger"]) { arguments in
            entered.signal()
            await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    gate.wait()
                    continuation.resume()
                }
            }
            return (0, #"{"address":"0xabc","args":"\#(arguments.joined(separator: " "))"}"#)
        }
        let first = Task { await Self.handle(bridge, self.request("POST", "/address", body: #"{"path":"m/44'/60'/0'/0/0"}"#)) }
        while entered.wait(timeout: .now()) == .timedOut { try await Task.sleep(for: .milliseconds(5)) }
        let second = await Self.handle(bridge, request("POST", "/enumerate"))
        #expect(second.status == 409)
        #expect(try JSONValue(parsing: second.body)["code"] == -4)
        gate.signal()
        let answer = await first.value
        #expect(answer.status == 200)
        #expect(try JSONValue(parsing: answer.body)["args"]?.stringValue == "address --path m/44'/60'/0'/0/0 --transport sim:ledger")
    }

    /// Runs the handler on a thread of its own, as the server's pool does: it blocks while the command runs as a task,
    /// which must not hold one of the few cooperative threads the tests share.
    static func handle(_ bridge: LocalBridge, _ request: HTTPRequest) async -> HTTPResponse {
        await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: bridge.handle(request)) }.start()
        }
    }

    @Test("POST /listen answers once the device list differs from the posted one")
    func listen() async throws {
        let calls = Mutex(0)
        let bridge = LocalBridge(policy: { Self.policy }, deviceArguments: [], listenTimeout: .seconds(10),
                                 listenInterval: .milliseconds(5)) { _ in
            let call = calls.withLock { count in
                count += 1
                return count
            }
            return (0, call < 3 ? "[]" : #"[{"id":"hid:/dev/hidraw0","state":"ready"}]"#)
        }
        let answer = await Self.handle(bridge, request("POST", "/listen", body: "[]"))
        #expect(answer.status == 200)
        #expect(try JSONValue(parsing: answer.body).arrayValue?.first?["id"]?.stringValue == "hid:/dev/hidraw0")
        #expect(calls.withLock { $0 } == 3)
    }

    @Test("bad bodies are -10 (400), a refused origin 403, and the CORS preflight answers the allowed origin")
    func refusals() async throws {
        let bridge = LocalBridge(policy: { Self.policy }, deviceArguments: []) { _ in (0, "{}") }
        for body in ["", "[]", #"{"path":5}"#, "{}"] {
            let answer = await Self.handle(bridge, request("POST", "/address", body: body))
            #expect(answer.status == 400, "\(body)")
            #expect(try JSONValue(parsing: answer.body)["code"] == -10)
        }
        #expect(bridge.handle(request("POST", "/sign-typed-data", body: #"{"path":"m/0","typedData":"x"}"#)).status == 400)
        #expect(bridge.handle(request("POST", "/address", body: "{}", origin: "http://evil.example")).status == 403)
        let preflight = bridge.handle(request("OPTIONS", "/sign-typed-data", origin: "http://127.0.0.1:8080"))
        #expect(preflight.status == 204)
        #expect(preflight.headers.contains { $0.name == "Access-Control-Allow-Origin" && $0.value == "http://127.0.0.1:8080" })
    }

    @Test("over HTTP with a simulated Ledger: GET / names it; POST /sign-typed-data signs as the CLI does")
    func endToEnd() async throws {
        let server = try LocalBridgeServer.start(listen: ListenAddress(host: "127.0.0.1", port: 0), allowedOrigins: [],
                                                 deviceArguments: ["--transport", "sim:ledger"])
        defer { server.stop(drainTimeout: .seconds(1)) }
        let port = try #require(server.port)
        let base = "http://127.0.0.1:\(port)"
        let named = try await BridgeHTTP.send("GET", base + "/")
        #expect(try JSONValue(parsing: named.body)["name"]?.stringValue == "walletbridge-bridge")
        let typedData = #"{"types":{"EIP712Domain":[{"name":"name","type":"string"}],"Note":[{"name":"text","type":"string"}]},"primaryType":"Note","domain":{"name":"bridge"},"message":{"text":"hello"}}"#
        let signed = try await BridgeHTTP.send("POST", base + "/sign-typed-data", body: #"{"path":"m/44'/60'/0'/0/0","typedData":\#(typedData)}"#)
        #expect(signed.status == 200, "\(String(decoding: signed.body, as: UTF8.self))")
        let answer = try JSONValue(parsing: signed.body)
        #expect(answer["address"]?.stringValue == "0xDad77910DbDFdE764fC21FCD4E74D71bBACA6D8D")
        #expect(answer["signature"]?.stringValue?.count == 132)
    }
}

/// A plain HTTP client for the bridge test (the bridge sees Host 127.0.0.1:PORT and no Origin).
enum BridgeHTTP {
    static func send(_ method: String, _ url: String, body: String? = nil) async throws -> (status: Int, body: [UInt8]) {
        var request = URLRequest(url: try #require(URL(string: url)))
        request.httpMethod = method
        request.httpBody = body.map { Data($0.utf8) }
        request.timeoutInterval = 30
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, [UInt8](data))
    }
}
