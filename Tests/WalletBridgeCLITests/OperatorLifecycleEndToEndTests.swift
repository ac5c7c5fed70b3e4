import BridgeApprovals
import BridgeCore
import Foundation
import Testing
@testable import WalletBridgeCLI

@Suite("Operator lifecycle end to end: the real server on loopback over SQLite, the operator CLI with simulated Ledgers")
struct OperatorLifecycleEndToEndTests {
    @Test("alice (admin) revokes bob with her Ledger over HTTP: his approval stops counting, his token gets -21; alice logs out")
    func revokeAndLogout() async throws {
        let e2e = try EndToEndService()
        defer { e2e.stop() }
        try await e2e.enrollOperatorsWithServiceInvites()
        #expect(try await e2e.transfer("e2e-revoke-1", amount: "-1500").status == 202)
        let bobApproved = await e2e.approve("e2e-revoke-1", path: EndToEndService.bobPath)
        #expect(try bobApproved.json()["approvals_counted"] == 1, "\(bobApproved.stdout)")

        let list = await e2e.operatorCLI(["pending", "--path", EndToEndService.alicePath])
        #expect(list.exitCode == 0, "\(list.stdout) \(list.stderr)")

        let revoked = await e2e.operatorCLI(["revoke", "bob", "--reason", "laptop stolen", "--path", EndToEndService.alicePath])
        #expect(revoked.exitCode == 0, "\(revoked.stdout) \(revoked.stderr)")
        #expect(try revoked.json() == ["name": "bob", "status": "revoked"])

        let status = try await e2e.order("e2e-revoke-1")
        #expect(status.json?["status"] == "pending_approval", "\(status.text)")
        #expect(status.json?["approvals_counted"] == 0)
        #expect(status.json?["approvals_required"] == 2)
        let approval = status.json?["approvals"]?.arrayValue?.first
        #expect(approval?["operator"] == "bob")
        #expect(approval?["counts"] == false)
        #expect(approval?["operator_status"] == "revoked")

        let bob = await e2e.operatorCLI(["pending", "--path", EndToEndService.bobPath])
        #expect(bob.exitCode == 1)
        #expect(bob.errorCode == -21, "\(bob.stdout)")

        // alice's approval is now the first that counts.
        let alice = await e2e.approve("e2e-revoke-1", path: EndToEndService.alicePath)
        #expect(try alice.json()["status"] == "pending_approval", "\(alice.stdout)")
        #expect(try alice.json()["approvals_counted"] == 1)

        let out = await e2e.operatorCLI(["logout", "--path", EndToEndService.alicePath])
        #expect(out.exitCode == 0, "\(out.stdout) \(out.stderr)")
        #expect(try out.json() == ["logged_out": true, "session_ended": true])
        let replayed = try await e2e.replayLastApproval(of: "e2e-revoke-1")
        #expect(replayed.status == 401)
        #expect(replayed.json?["code"] == -21)
        #expect(try e2e.runtime.service.verifyAuditChain().ok)
    }
}
