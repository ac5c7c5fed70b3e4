import BridgeApprovals
import BridgeCore
import Foundation
import Testing
@testable import WalletBridgeCLI

/// Operators at their desks with a Trezor: enrolment and approvals signed on the in-process `sim:trezor` device
/// (full EIP-712 on a Safe 5, hashed on a Trezor One), verified by the approval service behind the fake operator
/// server of OperatorCommandTests, which recovers every signature to the enrolled address.
@Suite("Operators with a Trezor")
struct TrezorOperatorTests {
    typealias Support = TrezorTestSupport
    static let server = OperatorCommandTests.server
    static let carolPath = "m/44'/60'/1'/0/0"

    /// A fake server and a private state directory, every command run with `--transport sim:trezor` and `knobs`.
    struct Desk {
        let inner: OperatorCommandTests.Desk

        init() throws { inner = try OperatorCommandTests.Desk() }

        var server: FakeOperatorServer { inner.server }

        func run(_ arguments: [String], knobs: [String] = []) async -> CLIRun {
            await OperatorEnvironment.$current.withValue(inner.environment) {
                await DeviceEnvironment.$current.withValue(Support.nonInteractive) {
                    await runCLI(arguments + ["--server", TrezorOperatorTests.server, "--transport", "sim:trezor"] + knobs)
                }
            }
        }

        func enroll(_ name: String, path: String, knobs: [String] = []) async throws -> CLIRun {
            let invite = try server.service.createInvite(role: .approver, actor: "test")
            return await run(["operator", "enroll", "--invite", invite, "--name", name, "--path", path], knobs: knobs)
        }
    }

    @Test("enroll and approve with a simulated Safe 5 (full EIP-712) and a Trezor One (hashed): the order completes")
    func enrollAndApprove() async throws {
        let desk = try Desk()
        defer { desk.inner.cleanUp() }
        let alice = try await desk.enroll("alice", path: Support.ethPath)
        #expect(alice.exitCode == 0, "\(alice.stdout) \(alice.stderr)")
        #expect(try alice.json()["address"]?.stringValue == Support.ethAddress)
        #expect(alice.stderr.contains("Trezor safe5 (sim:trezor)"), "\(alice.stderr)")

        let one = ["--sim-model", "one", "--mode", "hashed"]
        let carol = try await desk.enroll("carol", path: Self.carolPath, knobs: one)
        #expect(carol.exitCode == 0, "\(carol.stdout) \(carol.stderr)")
        let carolAddress = try #require(try carol.json()["address"]?.stringValue)
        #expect(desk.server.recoveredSigners.map(\.kind) == ["Enrollment", "Enrollment"])
        #expect(desk.server.recoveredSigners.map(\.address) == [Support.ethAddress, carolAddress])

        _ = try desk.server.service.submitTransfer(TransferRequest(orderID: "trezor-1", externalUserID: "u-1",
                                                                   currency: "USD", amount: "-1500"))
        let pending = await desk.run(["operator", "pending", "--path", Support.ethPath])
        #expect(pending.exitCode == 0, "\(pending.stdout) \(pending.stderr)")
        #expect(try pending.json()["transfers"]?.arrayValue?.map { $0["order_id"]?.stringValue } == ["trezor-1"])

        let first = await desk.run(["operator", "approve", "trezor-1", "--path", Support.ethPath])
        #expect(first.exitCode == 0, "\(first.stdout) \(first.stderr)")
        #expect(try first.json()["status"]?.stringValue == "pending_approval")
        #expect(first.stderr.contains("Order trezor-1"), "\(first.stderr)")

        let second = await desk.run(["operator", "approve", "trezor-1", "--path", Self.carolPath], knobs: one)
        #expect(second.exitCode == 0, "\(second.stdout) \(second.stderr)")
        #expect(try second.json()["status"]?.stringValue == "completed")
        #expect(try desk.server.service.order(id: "trezor-1").0.status == .completed)
        #expect(desk.server.recoveredSigners.filter { $0.kind == "approve" }.map(\.address) == [Support.ethAddress, carolAddress])
    }

    @Test("an operator who declines on the Trezor: -7, nothing submitted")
    func declined() async throws {
        let desk = try Desk()
        defer { desk.inner.cleanUp() }
        #expect(try await desk.enroll("alice", path: Support.ethPath).exitCode == 0)
        _ = try desk.server.service.submitTransfer(TransferRequest(orderID: "trezor-2", externalUserID: "u-1",
                                                                   currency: "USD", amount: "5000"))
        #expect(await desk.run(["operator", "pending", "--path", Support.ethPath]).exitCode == 0)
        let declined = await desk.run(["operator", "approve", "trezor-2", "--path", Support.ethPath], knobs: ["--sim-approve", "deny"])
        #expect(declined.exitCode == 1)
        #expect(declined.errorCode == -7, "\(declined.stdout)")
        #expect(desk.server.count("POST /operator/transfers/trezor-2/approve") == 0)
    }
}
