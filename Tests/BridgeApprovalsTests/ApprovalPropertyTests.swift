import BridgeApprovals
import BridgeCore
import BridgeCrypto
import Foundation
import TestVectors
import Testing

/// Decides by amount so every path occurs: magnitudes above the threshold need 1 to 3 approvals, users whose number
/// ends in 7 are denied, the rest is allowed.
struct PropertyPolicy: TransferPolicy {
    func decide(_ facts: TransferFacts, velocity: any VelocityLookup) throws(ApprovalError) -> PolicyDecision {
        if facts.externalUserID.hasSuffix("7") { return .deny(policy: "sevens") }
        let threshold: Int128 = facts.currency.code == "USD" ? 100_000 : 100_000_000
        guard facts.amount.magnitude > threshold.magnitude else { return .allow(policy: "small") }
        return .requireApprovals(policy: "large", count: 1 + Int(facts.amount.magnitude % 3),
                                 eligibility: ApproverEligibility(roles: [.approver]), expiresAfter: .seconds(2 * 3600))
    }
}

@Suite("Property: random orders, approvals, rejections, clock advances and expiries")
struct ApprovalPropertyTests {
    @Test func tenThousandRandomOrdersKeepEveryInvariant() throws {
        let seed = ProcessInfo.processInfo.environment["WALLETBRIDGE_PROPERTY_SEED"].flatMap { UInt64($0) }
            ?? UInt64.random(in: .min ... .max)
        print("ApprovalPropertyTests seed: \(seed) (set WALLETBRIDGE_PROPERTY_SEED=\(seed) to repeat)")
        var random = SeededGenerator(seed: seed)
        let serviceRandom = SeededBytes(seed: seed ^ 0x5EED)
        let harness = try Harness(policy: PropertyPolicy(), randomBytes: { count throws(ApprovalError) in
            serviceRandom.bytes(count)
        })
        let currencies = [Harness.usd, Harness.btc]
        let users = (0..<20).map { "user\($0)" }

        // Initial funding, remembered for the final balance check.
        var expectedBalance: [String: Int128] = [:]  // "user/currency" -> balance
        for user in users {
            for currency in currencies {
                let funding = Int128.random(in: 0...(currency.code == "USD" ? 2_000_000 : 1_000_000_000), using: &random)
                try harness.service.createWallet(externalUserID: user, currency: currency.code, initialBalance: funding)
                expectedBalance["\(user)/\(currency.code)"] = funding
            }
        }
        var operators: [TestOperator] = []
        for number in 1...5 {
            operators.append(try harness.enroll("op\(number)", role: number == 5 ? .admin : .approver, keyNumber: UInt8(number)))
        }

        struct Submitted { let request: TransferRequest; let amount: Int128 }
        var stored: [String: Submitted] = [:]
        var storedIDs: [String] = []
        var pending: [String] = []
        var unexpected: [String] = []
        let expectedRefusals: Set<String> = [
            "insufficient_funds", "already_decided", "operator_not_allowed", "order_not_pending", "expired",
            "operator_revoked", "duplicate_order", "signature_replayed",
        ]
        func note(_ error: ApprovalError, _ context: String) {
            if !expectedRefusals.contains(error.type), unexpected.count < 20 { unexpected.append("\(context): \(error.message)") }
        }

        func checkInvariants(_ when: String) throws {
            let wallets = try harness.allWallets()
            var sums: [String: Int128] = [:]
            for wallet in wallets {
                sums[wallet.currency, default: 0] += wallet.balance
                if wallet.kind == .external {
                    #expect(wallet.balance >= 0, "\(when): \(wallet.id) balance \(wallet.balance)")
                    #expect(wallet.held >= 0 && wallet.held <= wallet.balance, "\(when): \(wallet.id) held \(wallet.held)")
                }
            }
            #expect(sums == ["USD": 0, "BTC": 0], "\(when): per-currency sums \(sums)")
        }

        for index in 0..<10_000 {
            let currency = currencies[Int.random(in: 0...1, using: &random)]
            let user = users[Int.random(in: 0..<users.count, using: &random)]
            let unit: Int128 = currency.code == "USD" ? 100_000 : 100_000_000
            let large = Int.random(in: 0..<10, using: &random) < 4
            var amount = large ? Int128.random(in: unit + 1 ... 5 * unit, using: &random) : Int128.random(in: 1...unit, using: &random)
            if Bool.random(using: &random) { amount = -amount }
            let initiator = Int.random(in: 0..<10, using: &random) == 0
                ? operators[Int.random(in: 0..<operators.count, using: &random)].id : nil
            let request = TransferRequest(orderID: "order-\(index)", externalUserID: user, currency: currency.code,
                                          amount: MinorUnits.format(amount, decimals: currency.decimals),
                                          initiatorOperatorID: initiator)
            do throws(ApprovalError) {
                let outcome = try harness.service.submitTransfer(request)
                #expect(!outcome.replayed)
                stored[request.orderID] = Submitted(request: request, amount: amount)
                storedIDs.append(request.orderID)
                if outcome.order.status == .pendingApproval { pending.append(request.orderID) }
            } catch {
                note(error, request.orderID)
            }

            // A few random actions between orders.
            for _ in 0..<Int.random(in: 0...3, using: &random) {
                switch Int.random(in: 0..<100, using: &random) {
                case 0..<60 where !pending.isEmpty:
                    let orderID = pending[Int.random(in: 0..<pending.count, using: &random)]
                    let signer = operators[Int.random(in: 0..<operators.count, using: &random)]
                    let rejecting = Int.random(in: 0..<10, using: &random) < 2
                    do {
                        let order = rejecting ? try harness.reject(orderID, by: signer) : try harness.approve(orderID, by: signer)
                        if order.status.isFinal { pending.removeAll { $0 == orderID } }
                    } catch let error as ApprovalError {
                        note(error, "decision on \(orderID)")
                        if case .orderNotPending = error { pending.removeAll { $0 == orderID } }
                    }
                case 60..<80:
                    harness.clock.advance(by: .seconds(Int64.random(in: 1...1800, using: &random)))
                case 80..<88:
                    let expired = try harness.service.expireDueOrders()
                    let ids = Set(expired.map(\.orderID))
                    pending.removeAll { ids.contains($0) }
                case 88..<94 where !storedIDs.isEmpty:
                    let orderID = storedIDs[Int.random(in: 0..<storedIDs.count, using: &random)]
                    let replay = try harness.service.submitTransfer(try #require(stored[orderID]).request)
                    #expect(replay.replayed && replay.order.orderID == orderID)
                case 94..<100 where !storedIDs.isEmpty:
                    let original = try #require(stored[storedIDs[Int.random(in: 0..<storedIDs.count, using: &random)]])
                    let altered = TransferRequest(orderID: original.request.orderID, externalUserID: original.request.externalUserID,
                                                  currency: original.request.currency,
                                                  amount: MinorUnits.format(original.amount + 1, decimals: original
                                                      .request.currency == "USD" ? 2 : 8),
                                                  initiatorOperatorID: nil)
                    #expect(approvalError { _ = try harness.service.submitTransfer(altered) }?.type == "duplicate_order")
                default:
                    break
                }
            }
            if index == 5_000 { try harness.service.revokeOperator(id: operators[1].id, actor: "admin:test") }
            if index % 1_000 == 999 { try checkInvariants("after order \(index)") }
        }

        // The final sweep: every order still pending expires.
        harness.clock.advance(by: .seconds(3 * 3600))
        try harness.service.expireDueOrders()
        try checkInvariants("after the final sweep")
        #expect(unexpected.isEmpty, "unexpected refusals: \(unexpected)")

        var statusCounts: [OrderStatus: Int] = [:]
        for orderID in storedIDs {
            let (order, _) = try harness.service.order(id: orderID)
            statusCounts[order.status, default: 0] += 1
            let submitted = try #require(stored[orderID])
            if order.status == .completed {
                expectedBalance["\(submitted.request.externalUserID)/\(submitted.request.currency)", default: 0] += submitted.amount
            }
        }
        print("ApprovalPropertyTests: \(storedIDs.count) orders stored, final states \(statusCounts)")
        #expect(statusCounts[.pendingApproval] == nil)
        #expect(statusCounts.values.reduce(0, +) == storedIDs.count)
        #expect(try harness.service.pendingOrders().isEmpty)
        #expect(storedIDs.count > 5_000)
        for status in [OrderStatus.completed, .rejected, .expired] { #expect(statusCounts[status, default: 0] > 0) }

        // Every completed order moved its amount once; nothing else moved money.
        for wallet in try harness.allWallets() where wallet.kind == .external {
            #expect(wallet.balance == expectedBalance["\(wallet.externalUserID)/\(wallet.currency)"], "\(wallet.id)")
            #expect(wallet.held == 0, "\(wallet.id) still holds \(wallet.held)")
        }
        // Exactly one final-state event and webhook per stored order.
        let finalEvents = try harness.auditEvents().filter { ["order.completed", "order.rejected", "order.expired"].contains($0.kind) }
        #expect(finalEvents.count == storedIDs.count)
        #expect(Set(finalEvents.compactMap { $0.payload["order_id"]?.stringValue }).count == storedIDs.count)
        let finalWebhooks = try harness.outbox().filter { $0.event != "order.pending_approval" }
        #expect(finalWebhooks.count == storedIDs.count)

        let verification = try harness.service.verifyAuditChain()
        #expect(verification.ok)
        print("ApprovalPropertyTests: audit chain of \(verification.events) events verifies")
    }
}
