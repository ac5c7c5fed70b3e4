import BridgeApprovals
import BridgeCore
import BridgeCrypto
import BridgeServer
import Foundation
import Synchronization
import Testing
@testable import WalletBridgeCLI

/// A transport in front of the real handlers that shows a different policy than the one a version's `PolicyChange`
/// hashes: what a compromised or buggy service might do to collect a signature for a policy nobody read.
final class PolicySwappingTransport: OperatorHTTPTransport {
    let inner: HandlerTransport
    private let log = Mutex<[String]>([])

    init(_ inner: HandlerTransport) { self.inner = inner }

    var requests: [String] { log.withLock { $0 } }

    func send(method: String, url: URL, headers: [String: String], body: [UInt8]?) async throws -> OperatorHTTPResponse {
        log.withLock { $0.append("\(method) \(url.path)") }
        let response = try await inner.send(method: method, url: url, headers: headers, body: body)
        guard method == "GET", url.path.hasPrefix("/operator/policy/"), var object = try JSONValue(parsing: response.body).objectValue
        else { return response }
        object["policy"] = ["default": "allow", "rules": []]
        return OperatorHTTPResponse(status: response.status, body: Array(JSONValue.object(object).serialized().utf8))
    }
}

/// `walletbridge operator policy show|propose|approve` against the service's real OperatorAPI handlers, signed on
/// simulated devices in full (field-by-field) EIP-712 mode: a Ledger proposes, a Trezor Safe 5 approves.
@Suite("Operator policy commands")
struct OperatorPolicyCommandTests {
    static let server = "http://127.0.0.1:8080"
    static let ledgerPath = "m/44'/60'/0'/0/0"
    static let ledgerApproverPath = "m/44'/60'/1'/0/0"
    static let trezorPath = TrezorTestSupport.ethPath
    static let policyText = """
        {
          "default": "deny",
          "rules": [
            {"name": "medium", "when": {"amountAbove": {"USD": "100"}},
             "then": {"require": {"approvals": 1, "roles": ["admin"]}}},
            {"name": "rest", "then": "allow"}
          ]
        }
        """

    /// The service (FakeOperatorServer's, with the demo policy seeded as version 1) behind `transport`.
    struct Desk {
        let fake: FakeOperatorServer
        let home: String
        let transport: any OperatorHTTPTransport

        init(swapPolicies: Bool = false) throws {
            fake = try FakeOperatorServer()
            try fake.service.seedPolicy(try #require(fake.service.policy as? PolicySet))
            let handlers = HandlerTransport(endpoints: OperatorAPI(service: fake.service).endpoints)
            transport = swapPolicies ? PolicySwappingTransport(handlers) : handlers
            home = FileManager.default.temporaryDirectory.appendingPathComponent("wb-policy-\(UUID().uuidString)").path
        }

        func run(_ arguments: [String], transport device: String) async -> CLIRun {
            let environment = OperatorEnvironment(transport: transport, variables: { [home] in ["XDG_STATE_HOME": home] },
                                                  clock: fake.clock)
            return await OperatorEnvironment.$current.withValue(environment) {
                await DeviceEnvironment.$current.withValue(TrezorTestSupport.nonInteractive) {
                    await runCLI(arguments + ["--server", OperatorPolicyCommandTests.server, "--transport", device])
                }
            }
        }

        func enroll(_ name: String, role: OperatorRole, path: String, device: String) async throws -> CLIRun {
            let invite = try fake.service.createInvite(role: role, actor: "test")
            return await run(["operator", "enroll", "--invite", invite, "--name", name, "--path", path], transport: device)
        }

        func cleanUp() { try? FileManager.default.removeItem(atPath: home) }
    }

    @Test("propose on a simulated Ledger, approve on a simulated Trezor (both full EIP-712), show lists both approvers")
    func proposeOnALedgerApproveOnATrezor() async throws {
        let desk = try Desk()
        defer { desk.cleanUp() }
        let file = try TemporaryFile(Self.policyText)
        defer { file.remove() }
        #expect(try await desk.enroll("alice", role: .admin, path: Self.ledgerPath, device: "sim:ledger").exitCode == 0)
        #expect(try await desk.enroll("bob", role: .approver, path: Self.ledgerApproverPath, device: "sim:ledger").exitCode == 0)
        let carol = try await desk.enroll("carol", role: .admin, path: Self.trezorPath, device: "sim:trezor")
        #expect(carol.exitCode == 0, "\(carol.stdout) \(carol.stderr)")

        let before = await desk.run(["operator", "policy", "show", "--path", Self.ledgerPath], transport: "sim:ledger")
        #expect(before.exitCode == 0, "\(before.stdout) \(before.stderr)")
        #expect(try before.json()["version"] == 1)
        #expect(try before.json()["approved_by"] == [])
        #expect(try before.json()["note"] == "seeded from the configuration")

        let canonical = try JSONValue(parsing: Self.policyText).serialized(.canonical)
        let hash = Hex.encodePrefixed(Keccak256.hash(Array(canonical.utf8)))
        let expiresAt = (desk.fake.clock.now() + .seconds(24 * 3600)).rfc3339
        let proposed = await desk.run(["operator", "policy", "propose", "--file", file.path, "--path", Self.ledgerPath,
                                       "--mode", "full"], transport: "sim:ledger")
        #expect(proposed.exitCode == 0, "\(proposed.stdout) \(proposed.stderr)")
        #expect(proposed.stdout == #"{"version":2,"hash":"\#(hash)","approvals":1,"approvals_required":2,"#
            + #""expires_at":"\#(expiresAt)","status":"proposed"}"# + "\n")
        #expect(proposed.stderr.contains("Policy version 2, policyHash \(hash)"), "\(proposed.stderr)")
        #expect(proposed.stderr.contains("\"name\" : \"medium\"") || proposed.stderr.contains("\"name\": \"medium\""),
                "\(proposed.stderr)")
        #expect(proposed.stderr.contains("Confirm on your Ledger simulated (sim:ledger)..."), "\(proposed.stderr)")

        // An approver's device signs, but the service counts admins only: -22.
        let byApprover = await desk.run(["operator", "policy", "approve", "2", "--path", Self.ledgerApproverPath],
                                        transport: "sim:ledger")
        #expect(byApprover.exitCode == 1)
        #expect(byApprover.errorCode == -22, "\(byApprover.stdout)")

        let approved = await desk.run(["operator", "policy", "approve", "2", "--path", Self.trezorPath, "--mode", "full"],
                                      transport: "sim:trezor")
        #expect(approved.exitCode == 0, "\(approved.stdout) \(approved.stderr)")
        #expect(approved.stdout == #"{"version":2,"hash":"\#(hash)","approvals":2,"approvals_required":2,"#
            + #""expires_at":"\#(expiresAt)","status":"effective"}"# + "\n")
        #expect(approved.stderr.contains("approved so far by alice"), "\(approved.stderr)")
        #expect(approved.stderr.contains("Trezor safe5 (sim:trezor)"), "\(approved.stderr)")

        let shown = await desk.run(["operator", "policy", "show", "--path", Self.trezorPath], transport: "sim:trezor")
        #expect(shown.exitCode == 0, "\(shown.stdout) \(shown.stderr)")
        let json = try shown.json()
        #expect(json["version"] == 2)
        #expect(json["hash"] == .string(hash))
        #expect(json["approved_by"] == ["alice", "carol"])
        #expect(json["policy"]?.serialized(.canonical) == canonical)
        #expect(json["effective_at"] == .string(desk.fake.clock.now().rfc3339))
        #expect(json.objectValue?.keys.sorted() == ["approved_by", "effective_at", "hash", "policy", "version"])

        // The next transfer is decided by version 2; a second approval is refused before the device is asked: -23.
        let order = try desk.fake.service.submitTransfer(TransferRequest(orderID: "after", externalUserID: "u-1",
                                                                         currency: "USD", amount: "500")).order
        #expect(order.policyVersion == 2 && order.policyName == "medium")
        let again = await desk.run(["operator", "policy", "approve", "2", "--path", Self.ledgerPath], transport: "sim:ledger")
        #expect(again.exitCode == 1)
        #expect(again.errorCode == -23)
        #expect(!again.stderr.contains("Confirm on your"), "\(again.stderr)")
    }

    @Test("a proposal shown with another policy than its PolicyChange hashes is refused before signing (-11)")
    func aMismatchedHashIsRefused() async throws {
        let desk = try Desk(swapPolicies: true)
        defer { desk.cleanUp() }
        #expect(try await desk.enroll("alice", role: .admin, path: Self.ledgerPath, device: "sim:ledger").exitCode == 0)
        let alice = try #require(try desk.fake.service.operators().first)
        _ = try desk.fake.service.proposePolicy(try JSONValue(parsing: Self.policyText), proposerID: alice.id)
        let refused = await desk.run(["operator", "policy", "approve", "2", "--path", Self.ledgerPath], transport: "sim:ledger")
        #expect(refused.exitCode == 1)
        #expect(refused.errorCode == -11, "\(refused.stdout)")
        #expect(refused.errorMessage.contains("is not the keccak256"), "\(refused.stdout)")
        // The device signed the login challenge, and nothing else.
        #expect(refused.stderr.components(separatedBy: "Confirm on your").count == 2, "\(refused.stderr)")
        #expect(!refused.stderr.contains("Policy version 2"), "\(refused.stderr)")
        let swapping = try #require(desk.transport as? PolicySwappingTransport)
        #expect(!swapping.requests.contains("POST /operator/policy/2/approve"))
        #expect(try desk.fake.service.policyVersion(2).approvedBy == [])
    }

    @Test("propose refuses a file that is not a JSON object, and the help has an example")
    func badFilesAndHelp() async throws {
        let desk = try Desk()
        defer { desk.cleanUp() }
        let file = try TemporaryFile("[1, 2]")
        defer { file.remove() }
        let notAnObject = await desk.run(["operator", "policy", "propose", "--file", file.path, "--path", Self.ledgerPath],
                                         transport: "sim:ledger")
        #expect(notAnObject.exitCode == 1)
        #expect(notAnObject.errorCode == -10)
        for subcommand in ["show", "propose", "approve"] {
            let help = await runCLI(["operator", "policy", subcommand, "--help"])
            #expect(help.exitCode == 0)
            #expect(help.stdout.contains("walletbridge operator policy \(subcommand)"), "\(help.stdout)")
        }
        let usage = await desk.run(["operator", "policy", "approve", "two", "--path", Self.ledgerPath], transport: "sim:ledger")
        #expect(usage.exitCode == 2)
    }
}
