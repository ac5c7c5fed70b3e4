import BridgeApprovals
import BridgeCore
import BridgeCrypto
import BridgeStore
import Testing

/// Every `StoreTransaction` method writes what it is given and reads back exactly that, across transactions and
/// across a reopen of the file.
@Suite("SQLite store: every row round trips")
struct StoreRoundTripTests {
    @Test func wallets() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try database.open()
        let usd = Fixtures.wallet("w-1", user: "user-1", currency: "USD", balance: 10_000, held: 2_500)
        let btc = Fixtures.wallet("w-2", user: "user-1", currency: "BTC", balance: 150_000_000)
        let other = Fixtures.wallet("w-0", user: "user-2", currency: "USD", balance: 0)
        try store.transaction { store throws(ApprovalError) in
            for wallet in [usd, btc, other, Fixtures.settlement("USD")] { try store.insertWallet(wallet) }
        }
        try store.transaction { store throws(ApprovalError) in
            #expect(try store.wallet(id: "w-1") == usd)
            #expect(try store.wallet(id: "missing") == nil)
            #expect(try store.wallet(externalUserID: "user-1", currency: "BTC") == btc)
            #expect(try store.wallet(externalUserID: "user-1", currency: "EUR") == nil)
            #expect(try store.wallet(id: "crm:USD")?.kind == .settlement)
            #expect(try store.wallet(id: "crm:USD")?.balance == -10_000)

            // Listing: external wallets only, in id order, paged, with the total that matches.
            let all = try store.wallets(externalUserIDs: nil, skip: 0, limit: 10)
            #expect(all.wallets.map(\.id) == ["w-0", "w-1", "w-2"])
            #expect(all.total == 3)
            let page = try store.wallets(externalUserIDs: nil, skip: 1, limit: 1)
            #expect(page.wallets.map(\.id) == ["w-1"])
            #expect(page.total == 3)
            let filtered = try store.wallets(externalUserIDs: ["user-1", "nobody"], skip: 0, limit: 10)
            #expect(filtered.wallets.map(\.id) == ["w-1", "w-2"])
            #expect(filtered.total == 2)
            let none = try store.wallets(externalUserIDs: [], skip: 0, limit: 10)
            #expect(none.wallets.isEmpty && none.total == 0)
            #expect(try store.allWallets().map(\.id) == ["crm:USD", "w-0", "w-1", "w-2"])

            var updated = usd
            updated.balance = 7_500
            updated.held = 0
            try store.updateWallet(updated)
        }
        store.close()
        let reopened = try database.open()
        try reopened.transaction { store throws(ApprovalError) in
            let wallet = try store.wallet(id: "w-1")
            #expect(wallet?.balance == 7_500)
            #expect(wallet?.held == 0)
            #expect(wallet?.createdAt == Fixtures.start)
        }
    }

    @Test func orders() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try database.open()
        let pending = Fixtures.order("o-1")
        var completed = Fixtures.order("o-2", amount: 4_000, status: .completed, createdAt: Fixtures.start + .seconds(10))
        completed = TransferOrder(
            orderID: completed.orderID, externalUserID: completed.externalUserID, currency: completed.currency,
            walletID: completed.walletID, amount: completed.amount, status: .completed, policyName: nil, approvalsRequired: 0,
            eligibleApprovers: nil, nonce: [], createdAt: completed.createdAt, expiresAt: nil,
            decidedAt: completed.createdAt, balanceAfter: 14_000, reason: nil
        )
        let later = Fixtures.order("o-3", amount: -100, createdAt: Fixtures.start + .seconds(60))
        try store.transaction { store throws(ApprovalError) in
            try store.insertWallet(Fixtures.wallet("w-1"))
            for order in [pending, completed, later] { try store.insertOrder(order) }
        }
        try store.transaction { store throws(ApprovalError) in
            #expect(try store.order(id: "o-1") == pending)
            #expect(try store.order(id: "o-2") == completed)
            #expect(try store.order(id: "nope") == nil)
            #expect(try store.orders(status: .pendingApproval, limit: 10).map(\.orderID) == ["o-1", "o-3"])
            #expect(try store.orders(status: .pendingApproval, limit: 1).map(\.orderID) == ["o-1"])
            #expect(try store.orders(status: .completed, limit: 10) == [completed])

            // Expiry sweep: at or before the time, oldest expiry first.
            #expect(try store.pendingOrders(expiringAtOrBefore: Fixtures.start + .seconds(7199)).isEmpty)
            #expect(try store.pendingOrders(expiringAtOrBefore: Fixtures.start + .seconds(7200)).map(\.orderID) == ["o-1"])
            #expect(try store.pendingOrders(expiringAtOrBefore: Fixtures.start + .seconds(9000)).map(\.orderID) == ["o-1", "o-3"])

            // Velocity totals: count and sum of absolute amounts by user, currency, status and time.
            let both = try store.orderTotals(externalUserID: "user-1", currency: "USD", statuses: [.pendingApproval, .completed],
                                             since: Fixtures.start)
            #expect(both.count == 3 && both.absoluteSum == 2_500 + 4_000 + 100)
            let recent = try store.orderTotals(externalUserID: "user-1", currency: nil, statuses: [.pendingApproval, .completed],
                                               since: Fixtures.start + .seconds(10))
            #expect(recent.count == 2 && recent.absoluteSum == 4_100)
            let onlyCompleted = try store.orderTotals(externalUserID: "user-1", currency: nil, statuses: [.completed], since: Fixtures.start)
            #expect(onlyCompleted.count == 1 && onlyCompleted.absoluteSum == 4_000)
            let otherCurrency = try store.orderTotals(externalUserID: "user-1", currency: "BTC", statuses: [.completed], since: Fixtures.start)
            #expect(otherCurrency.count == 0 && otherCurrency.absoluteSum == 0)
            let noStatuses = try store.orderTotals(externalUserID: "user-1", currency: nil, statuses: [], since: Fixtures.start)
            #expect(noStatuses.count == 0)

            var decided = pending
            decided.status = .rejected
            decided.decidedAt = Fixtures.start + .seconds(30)
            decided.reason = "rejected by bob: wrong account"
            try store.updateOrder(decided)
        }
        store.close()
        try database.open().transaction { store throws(ApprovalError) in
            let order = try store.order(id: "o-1")
            #expect(order?.status == .rejected)
            #expect(order?.reason == "rejected by bob: wrong account")
            #expect(order?.decidedAt == Fixtures.start + .seconds(30))
            #expect(order?.eligibleApprovers == ApproverEligibility(roles: [.admin, .approver], operators: ["alice", "carol"]))
            #expect(order?.nonce == Array(repeating: 0xA5, count: 32))
        }
    }

    @Test func approvalsAndOperators() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try database.open()
        let alice = try Fixtures.operatorRecord("op-alice", name: "alice", keySeed: 1, role: .admin)
        let bob = try Fixtures.operatorRecord("op-bob", name: "bob", keySeed: 2)
        let approve = ApprovalRecord(orderID: "o-1", operatorID: "op-alice", decision: .approve,
                                     signature: Array(repeating: 1, count: 65), createdAt: Fixtures.start + .seconds(5))
        let reject = ApprovalRecord(orderID: "o-1", operatorID: "op-bob", decision: .reject,
                                    signature: Array(repeating: 2, count: 65), createdAt: Fixtures.start + .seconds(6),
                                    reason: "unknown beneficiary")
        try store.transaction { store throws(ApprovalError) in
            try store.insertWallet(Fixtures.wallet("w-1"))
            try store.insertOrder(Fixtures.order("o-1"))
            try store.insertOperator(alice)
            try store.insertOperator(bob)
            try store.insertApproval(approve)
            try store.insertApproval(reject)
        }
        try store.transaction { store throws(ApprovalError) in
            #expect(try store.approvals(orderID: "o-1") == [approve, reject])
            #expect(try store.approvals(orderID: "o-2").isEmpty)
            #expect(try store.approval(signature: Array(repeating: 2, count: 65)) == reject)
            #expect(try store.approval(signature: Array(repeating: 3, count: 65)) == nil)

            #expect(try store.operatorRecord(id: "op-alice") == alice)
            #expect(try store.operatorRecord(name: "bob") == bob)
            #expect(try store.operatorRecord(name: "carol") == nil)
            // Addresses match whatever their case: checksummed (EIP-55) or lowercase.
            #expect(try store.operatorRecord(address: alice.address.checksummed) == alice)
            #expect(try store.operatorRecord(address: Hex.encodePrefixed(bob.address.bytes)) == bob)
            #expect(try store.allOperators() == [alice, bob])

            var revoked = bob
            revoked.status = .revoked
            revoked.revokedAt = Fixtures.start + .seconds(99)
            revoked.role = .admin
            try store.updateOperator(revoked)
        }
        store.close()
        try database.open().transaction { store throws(ApprovalError) in
            let bob = try store.operatorRecord(id: "op-bob")
            #expect(bob?.status == .revoked)
            #expect(bob?.revokedAt == Fixtures.start + .seconds(99))
            #expect(bob?.role == .admin)
            #expect(bob?.publicKey.count == 33)
        }
    }

    @Test func invitesChallengesAndSessions() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try database.open()
        let alice = try Fixtures.operatorRecord("op-alice", name: "alice", keySeed: 1)
        let invite = Invite(codeHash: Hash.sha256(Array("invite-code".utf8)), role: .admin, createdAt: Fixtures.start,
                            expiresAt: Fixtures.start + .seconds(86_400))
        let challenge = LoginChallenge(nonce: Array(repeating: 7, count: 32), operatorID: "op-alice", issuedAt: Fixtures.start,
                                       expiresAt: Fixtures.start + .seconds(300))
        let session = OperatorSession(tokenHash: Hash.sha256(Array("token".utf8)), operatorID: "op-alice", createdAt: Fixtures.start,
                                      expiresAt: Fixtures.start + .seconds(28_800), lastUsedAt: Fixtures.start, boundIP: "203.0.113.7")
        let unbound = OperatorSession(tokenHash: Hash.sha256(Array("token-2".utf8)), operatorID: "op-alice", createdAt: Fixtures.start,
                                      expiresAt: Fixtures.start + .seconds(28_800), lastUsedAt: Fixtures.start, boundIP: nil)
        try store.transaction { store throws(ApprovalError) in
            try store.insertOperator(alice)
            try store.insertInvite(invite)
            try store.insertChallenge(challenge)
            try store.insertSession(session)
            try store.insertSession(unbound)
        }
        try store.transaction { store throws(ApprovalError) in
            #expect(try store.invite(codeHash: invite.codeHash) == invite)
            #expect(try store.invite(codeHash: Hash.sha256(Array("other".utf8))) == nil)
            #expect(try store.challenge(nonce: challenge.nonce) == challenge)
            #expect(try store.challenge(nonce: Array(repeating: 8, count: 32)) == nil)
            #expect(try store.session(tokenHash: session.tokenHash) == session)
            #expect(try store.session(tokenHash: unbound.tokenHash)?.boundIP == nil)

            var used = invite
            used.usedAt = Fixtures.start + .seconds(60)
            used.usedByOperatorID = "op-alice"
            try store.updateInvite(used)
            var consumed = challenge
            consumed.usedAt = Fixtures.start + .seconds(61)
            try store.updateChallenge(consumed)
            var touched = session
            touched.lastUsedAt = Fixtures.start + .seconds(62)
            touched.revokedAt = Fixtures.start + .seconds(63)
            try store.updateSession(touched)
        }
        try store.transaction { store throws(ApprovalError) in
            #expect(try store.invite(codeHash: invite.codeHash)?.usedByOperatorID == "op-alice")
            #expect(try store.invite(codeHash: invite.codeHash)?.usedAt == Fixtures.start + .seconds(60))
            #expect(try store.challenge(nonce: challenge.nonce)?.usedAt == Fixtures.start + .seconds(61))
            let session = try store.session(tokenHash: session.tokenHash)
            #expect(session?.lastUsedAt == Fixtures.start + .seconds(62))
            #expect(session?.revokedAt == Fixtures.start + .seconds(63))
            #expect(session?.boundIP == "203.0.113.7")
        }
    }

    @Test func metadataAuditAndOutbox() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try database.open()
        let chain = Fixtures.auditChain(3)
        let message = OutboxMessage(event: "order.completed", body: #"{"event":"order.completed","order_id":"o-1"}"#,
                                    createdAt: Fixtures.start, nextAttemptAt: Fixtures.start)
        let later = OutboxMessage(event: "order.pending_approval", body: "{}", createdAt: Fixtures.start,
                                  nextAttemptAt: Fixtures.start + .seconds(30))
        let ids = try store.transaction { store throws(ApprovalError) in
            #expect(try store.metadata("deployment_id") == nil)
            try store.setMetadata("deployment_id", "0xabc")
            try store.setMetadata("deployment_id", "0xdef")
            #expect(try store.lastAuditEvent() == nil)
            for event in chain { try store.appendAuditEvent(event) }
            return [try store.insertOutboxMessage(message), try store.insertOutboxMessage(later)]
        }
        #expect(ids == [1, 2])
        try store.transaction { store throws(ApprovalError) in
            #expect(try store.metadata("deployment_id") == "0xdef")
            #expect(try store.lastAuditEvent() == chain[2])
            #expect(try store.auditEvents(after: 0, limit: 10) == chain)
            #expect(try store.auditEvents(after: 1, limit: 1) == [chain[1]])
            #expect(try store.auditEvents(after: 3, limit: 10).isEmpty)

            var stored = message
            stored.id = 1
            #expect(try store.dueOutboxMessages(at: Fixtures.start, limit: 10) == [stored])
            #expect(try store.dueOutboxMessages(at: Fixtures.start + .seconds(30), limit: 10).map(\.id) == [1, 2])
            #expect(try store.dueOutboxMessages(at: Fixtures.start + .seconds(30), limit: 1).map(\.id) == [1])
            stored.attempts = 1
            stored.nextAttemptAt = Fixtures.start + .seconds(1)
            try store.updateOutboxMessage(stored)
            #expect(try store.dueOutboxMessages(at: Fixtures.start, limit: 10).isEmpty)
            stored.deliveredAt = Fixtures.start + .seconds(1)
            try store.updateOutboxMessage(stored)
            var failed = later
            failed.id = 2
            failed.failedAt = Fixtures.start + .seconds(31)
            try store.updateOutboxMessage(failed)
            #expect(try store.dueOutboxMessages(at: Fixtures.start + .seconds(3600), limit: 10).isEmpty)
        }
        store.close()
        try database.open().transaction { store throws(ApprovalError) in
            // Payloads keep their exact numbers through the canonical JSON text.
            #expect(try store.auditEvents(after: 0, limit: 10) == chain)
            #expect(try store.auditEvents(after: 0, limit: 1).first?.payload["amount"]?.numberValue?.text == "-25.00")
            let third = OutboxMessage(event: "order.expired", body: "{}", createdAt: Fixtures.start, nextAttemptAt: Fixtures.start)
            #expect(try store.insertOutboxMessage(third) == 3)
        }
    }
}
