import BridgeApprovals
import BridgeCore
import BridgeCrypto
import Testing

/// The service deciding with the real ``PolicySet``: configuration JSON in, orders, holds and approvals out.
@Suite("The service under a real PolicySet")
struct ServicePolicySetTests {
    static let currencies = ["USD": Harness.usd, "BTC": Harness.btc]

    static func policy(_ json: String) throws -> PolicySet {
        try PolicySet(json: try JSONValue(parsing: json), currencies: currencies)
    }

    @Test func theDemoPolicyHoldsAmountsAboveOneThousandUSDOrOneBTCInBothDirections() throws {
        let harness = try Harness(policy: try PolicySet.demo(currencies: Self.currencies))
        try harness.service.createWallet(externalUserID: "alice", currency: "USD", initialBalance: 500_000)
        try harness.service.createWallet(externalUserID: "alice", currency: "BTC", initialBalance: 500_000_000)
        let ann = try harness.enroll("ann", keyNumber: 1)
        let root = try harness.enroll("root", role: .admin, keyNumber: 2)

        #expect(try harness.transfer("usd-at-limit", amount: "-1000").order.status == .completed)
        let large = try harness.transfer("usd-large", amount: "1000.01").order
        #expect(large.status == .pendingApproval)
        #expect(large.policyName == "large-transfers")
        #expect(large.approvalsRequired == 2)
        #expect(large.expiresAt == harness.clock.now() + .seconds(24 * 3600))
        let btcDebit = try harness.transfer("btc-large", currency: "BTC", amount: "-1.00000001").order
        #expect(btcDebit.status == .pendingApproval)
        #expect(try harness.walletBalance("alice", "BTC").held == 100_000_001)
        #expect(try harness.transfer("btc-small", currency: "BTC", amount: "-1").order.status == .completed)

        try harness.approve("btc-large", by: ann)
        #expect(try harness.approve("btc-large", by: root).status == .completed)
        #expect(try harness.walletBalance("alice", "BTC") == (balance: 500_000_000 - 100_000_000 - 100_000_001, held: 0))
        #expect(try harness.balanceSums() == ["USD": 0, "BTC": 0])
    }

    @Test func debitsAboveOneBTCNeedTwoAdminsWithinTwoHours() throws {
        let harness = try Harness(policy: try Self.policy("""
            {"rules": [
              {"name": "big-btc-debits",
               "when": {"currencies": ["BTC"], "direction": "debit", "amountAbove": {"BTC": "1"}},
               "then": {"require": {"approvals": 2, "roles": ["admin"], "expiresAfterSeconds": 7200}}},
              {"name": "everything-else", "then": "allow"}
            ]}
            """))
        try harness.service.createWallet(externalUserID: "alice", currency: "BTC", initialBalance: 300_000_000)
        let ann = try harness.enroll("ann", keyNumber: 1)
        let root = try harness.enroll("root", role: .admin, keyNumber: 2)
        let boss = try harness.enroll("boss", role: .admin, keyNumber: 3)

        // A credit of the same size is not a debit: allowed at once.
        #expect(try harness.transfer("credit", currency: "BTC", amount: "2").order.status == .completed)
        let order = try harness.transfer("debit", currency: "BTC", amount: "-2").order
        #expect(order.policyName == "big-btc-debits")
        #expect(order.eligibleApprovers == ApproverEligibility(roles: [.admin]))
        #expect(order.expiresAt == harness.clock.now() + .seconds(7200))
        #expect(approvalError { try harness.approve("debit", by: ann) }?.type == "operator_not_allowed")
        try harness.approve("debit", by: root)
        #expect(try harness.approve("debit", by: boss).status == .completed)
        #expect(try harness.walletBalance("alice", "BTC") == (balance: 300_000_000, held: 0))

        // A second one waits in vain: after 2 h it expires and the hold is released.
        try harness.transfer("late", currency: "BTC", amount: "-2")
        try harness.approve("late", by: root)
        harness.clock.advance(by: .seconds(7200))
        #expect(approvalError { try harness.approve("late", by: boss) }?.type == "expired")
        #expect(try harness.service.expireDueOrders().map(\.orderID) == ["late"])
        #expect(try harness.walletBalance("alice", "BTC") == (balance: 300_000_000, held: 0))
    }

    @Test func velocityLimitsCountCompletedAndPendingOrdersFromTheStore() throws {
        let harness = try Harness(policy: try Self.policy("""
            {"rules": [
              {"name": "velocity",
               "when": {"velocity": {"scope": "user", "windowSeconds": 3600, "above": {"USD": "2500"}}},
               "then": {"require": {"approvals": 1, "roles": ["approver"]}}},
              {"name": "everything-else", "then": "allow"}
            ]}
            """))
        try harness.service.createWallet(externalUserID: "alice", currency: "USD", initialBalance: 1_000_000)
        let ann = try harness.enroll("ann", keyNumber: 1)
        #expect(try harness.transfer("a", amount: "-1000").order.status == .completed)
        #expect(try harness.transfer("b", amount: "1000").order.status == .completed)
        #expect(try harness.transfer("c", amount: "-600").order.status == .pendingApproval)  // 2,600 > 2,500
        // The pending one counts too.
        #expect(try harness.transfer("d", amount: "1").order.status == .pendingApproval)
        // A rejected order stops counting: 2,000 + 1 + 1.
        try harness.reject("c", by: ann)
        #expect(try harness.transfer("e", amount: "1").order.status == .completed)
        // An hour later the window is empty again.
        harness.clock.advance(by: .seconds(3601))
        #expect(try harness.transfer("f", amount: "-2400").order.status == .completed)
    }

    @Test func deniedTransfersAreStoredUnderTheDenyingRule() throws {
        let harness = try Harness(policy: try Self.policy("""
            {"rules": [
              {"name": "blocked-user", "when": {"externalUserIDs": ["u-666"]}, "then": "deny"},
              {"name": "usd-only", "when": {"currencies": ["USD"]}, "then": "allow"}
            ]}
            """))
        try harness.service.createWallet(externalUserID: "u-666", currency: "USD", initialBalance: 100)
        try harness.service.createWallet(externalUserID: "alice", currency: "BTC", initialBalance: 100)
        let blocked = try harness.transfer("o1", user: "u-666", amount: "1").order
        #expect(blocked.status == .rejected)
        #expect(blocked.reason == "denied by policy blocked-user")
        // No rule matches a BTC transfer: the default denies it.
        let unmatched = try harness.transfer("o2", currency: "BTC", amount: "0.00000001").order
        #expect(unmatched.status == .rejected)
        #expect(unmatched.policyName == PolicySet.defaultPolicyName)
        #expect(try harness.walletBalance("u-666").balance == 100)
    }

    @Test func theActivePolicySetIsAuditedWhenItChanges() throws {
        let demo = try PolicySet.demo(currencies: Self.currencies)
        let harness = try Harness(policy: demo)
        #expect(try harness.service.recordPolicy(fingerprint: demo.fingerprint, json: demo.json))
        #expect(try harness.service.recordPolicy(fingerprint: demo.fingerprint, json: demo.json) == false)
        let event = try #require(try harness.auditEvents().last)
        #expect(event.kind == "policy.changed")
        #expect(event.payload["fingerprint"] == .string(demo.fingerprint))
        #expect(event.payload["policy"] == demo.json)
        let stricter = try Self.policy(#"{"rules": [{"name": "nothing", "then": "deny"}]}"#)
        #expect(stricter.fingerprint != demo.fingerprint)
        #expect(try harness.service.recordPolicy(fingerprint: stricter.fingerprint, json: stricter.json, actor: "admin:root"))
        #expect(try harness.auditEvents().last?.payload["previous_fingerprint"] == .string(demo.fingerprint))
        #expect(try harness.service.verifyAuditChain().ok)
    }
}
