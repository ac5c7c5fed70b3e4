import BridgeApprovals
import BridgeCore
import BridgeServer
import Foundation
import Testing
@testable import WalletBridgeCLI

/// The operator CLI against the service's real operator API handlers (BridgeServer's `OperatorAPI`), in-process:
/// the same requests the CLI sends over HTTP, routed by pattern to the handlers.
struct HandlerTransport: OperatorHTTPTransport {
    let endpoints: [Endpoint]

    func send(method: String, url: URL, headers: [String: String], body: [UInt8]?) async throws -> OperatorHTTPResponse {
        let components = try #require(URLComponents(url: url, resolvingAgainstBaseURL: false))
        let segments = components.percentEncodedPath.split(separator: "/").map { String($0) }
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] where query[item.name] == nil { query[item.name] = item.value ?? "" }
        for endpoint in endpoints where endpoint.method == method {
            let pattern = endpoint.pattern.split(separator: "/").map { String($0) }
            guard pattern.count == segments.count else { continue }
            var parameters: [String: String] = [:]
            var matches = true
            for (expected, actual) in zip(pattern, segments) {
                if expected.hasPrefix("{") { parameters[String(expected.dropFirst().dropLast())] = actual.removingPercentEncoding ?? actual }
                else if expected != actual { matches = false; break }
            }
            guard matches else { continue }
            let request = HTTPRequest(method: method, path: components.percentEncodedPath.removingPercentEncoding ?? "",
                                      query: query, headers: headers, body: body ?? [])
            let response = endpoint.handle(request, parameters)
            return OperatorHTTPResponse(status: response.status, body: response.body)
        }
        return OperatorHTTPResponse(status: 404, body: Array(#"{"error":"no route","code":-10,"hint":"h"}"#.utf8))
    }
}

@Suite("Operator commands through the service's OperatorAPI handlers")
struct OperatorHandlersInProcessTests {
    @Test("enroll two operators, approve to completion, reject another, all through OperatorAPI")
    func endToEnd() async throws {
        let fake = try FakeOperatorServer()  // for its service, clock and wallet; requests go to the real handlers
        let transport = HandlerTransport(endpoints: OperatorAPI(service: fake.service).endpoints)
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("wb-h-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: home) }
        let environment = OperatorEnvironment(transport: transport, variables: { ["XDG_STATE_HOME": home] }, clock: fake.clock)
        func run(_ arguments: [String]) async -> CLIRun {
            await OperatorEnvironment.$current.withValue(environment) {
                await runCLI(arguments + ["--server", "http://127.0.0.1:8080", "--transport", "sim:ledger"])
            }
        }
        for (name, path) in [("alice", "m/44'/60'/0'/0/0"), ("bob", "m/44'/60'/1'/0/0")] {
            let invite = try fake.service.createInvite(role: .approver, actor: "test")
            let enrolled = await run(["operator", "enroll", "--invite", invite, "--name", name, "--path", path])
            #expect(enrolled.exitCode == 0, "\(enrolled.stdout)")
        }
        _ = try fake.service.submitTransfer(TransferRequest(orderID: "o/1", externalUserID: "u-1", currency: "USD", amount: "-1500"))
        _ = try fake.service.submitTransfer(TransferRequest(orderID: "o-2", externalUserID: "u-1", currency: "USD", amount: "2000"))
        let pending = await run(["operator", "pending", "--path", "m/44'/60'/0'/0/0"])
        #expect(pending.exitCode == 0, "\(pending.stdout)")
        #expect(try pending.json()["transfers"]?.arrayValue?.count == 2)
        let first = await run(["operator", "approve", "o/1", "--path", "m/44'/60'/0'/0/0"])
        #expect(first.exitCode == 0, "\(first.stdout) \(first.stderr)")
        #expect(try first.json()["status"]?.stringValue == "pending_approval")
        let second = await run(["operator", "approve", "o/1", "--path", "m/44'/60'/1'/0/0"])
        #expect(try second.json()["status"]?.stringValue == "completed", "\(second.stdout)")
        let rejected = await run(["operator", "reject", "o-2", "--reason", "no + way", "--path", "m/44'/60'/1'/0/0"])
        #expect(try rejected.json()["status"]?.stringValue == "rejected", "\(rejected.stdout)")
        #expect(try rejected.json()["reason"]?.stringValue?.contains("no + way") == true)
        #expect(try fake.service.wallet(externalUserID: "u-1", currency: "USD").balance == 1_000_000 - 150_000)
    }
}
