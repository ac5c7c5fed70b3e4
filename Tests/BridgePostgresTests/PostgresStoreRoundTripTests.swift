import BridgeApprovals
import BridgeCore
import BridgeCrypto
import BridgePostgres
import Testing

extension PostgresTests {
    /// Every `StoreTransaction` method writes what it is given and reads back exactly that, across transactions and
    /// across a reopen (BridgeStoreTests' StoreRoundTripTests, on PostgreSQL), and money keeps every Int128 exactly.
    @Suite("every row round trips")
    struct RoundTripTests {
        @Test func wallets() async throws {
            let database = try await PostgresTestDatabase.make()
            defer { database.close() }
            let store = try database.open()
            let usd = Fixtures.wallet("w-1", user: "user-1", currency: "USD", balance: 10_000, held: 2_500)
            let btc = Fixtures.wallet("w-2", user: "user-1", currency: "BTC", balance: 150_000_000)
            let other = Fixtures.wallet("w-0", user: "user-2", currency: "USD", balance: 0)
            // Upper case sorts before lower case bytewise (the "C" collation), as on SQLite.
            let upper = Fixtures.wallet("W-9", user: "user-3", currency: "USD", balance: 1)
            try store.transaction { store throws(ApprovalError) in
                for wallet in [usd, btc, other, upper, Fixtures.settlement("USD")] { try store.insertWallet(wallet) }
            }
            try store.transaction { store throws(ApprovalError) in
                #expect(try store.wallet(id: "w-1") == usd)
                #expect(try store.wallet(id: "missing") == nil)
                #expect(try store.wallet(externalUserID: "user-1", currency: "BTC") == btc)
                #expect(try store.wallet(externalUserID: "user-1", currency: "EUR") == nil)
                #expect(try store.wallet(id: "crm:USD")?.kind == .settlement)
                #expect(try store.wallet(id: "crm:USD")?.balance == -10_000)

                let all = try store.wallets(externalUserIDs: nil, skip: 0, limit: 10)
                #expect(all.wallets.map(\.id) == ["W-9", "w-0", "w-1", "w-2"])
                #expect(all.total == 4)
                let page = try store.wallets(externalUserIDs: nil, skip: 2, limit: 1)
                #expect(page.wallets.map(\.id) == ["w-1"])
                #expect(page.total == 4)
                let filtered = try store.wallets(externalUserIDs: ["user-1", "nobody", "quote\"back\\slash"], skip: 0, limit: 10)
                #expect(filtered.wallets.map(\.id) == ["w-1", "w-2"])
                #expect(filtered.total == 2)
                let none = try store.wallets(externalUserIDs: [], skip: 0, limit: 10)
                #expect(none.wallets.isEmpty && none.total == 0)
                #expect(try store.allWallets().map(\.id) == ["W-9", "crm:USD", "w-0", "w-1", "w-2"])

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
            // A closed wallet keeps its row, is no longer found by owner, and the pair may get a new open wallet.
            try reopened.transaction { store throws(ApprovalError) in
                guard var closed = try store.wallet(id: "w-0") else { throw .storage("wallet w-0 vanished") }
                closed.status = .closed
                closed.closedAt = Fixtures.start + .seconds(5)
                try store.updateWallet(closed)
                #expect(try store.wallet(externalUserID: "user-2", currency: "USD") == nil)
                try store.insertWallet(Fixtures.wallet("w-0b", user: "user-2", currency: "USD"))
            }
            try reopened.read { store throws(ApprovalError) in
                #expect(try store.wallet(id: "w-0")?.status == .closed)
                #expect(try store.wallet(id: "w-0")?.closedAt == Fixtures.start + .seconds(5))
                #expect(try store.wallet(externalUserID: "user-2", currency: "USD")?.id == "w-0b")
            }
        }

        /// The extremes of Int128 go in and come out exactly (NUMERIC(39,0), never floating point), and the database
        /// refuses a value beyond them.
        @Test func moneyKeepsEveryInt128Exactly() async throws {
            let database = try await PostgresTestDatabase.make()
            defer { database.close() }
            let store = try database.open()
            var settlement = Fixtures.settlement("USD")
            settlement.balance = .min
            let rich = Fixtures.wallet("w-max", balance: .max, held: .max)
            let odd = Fixtures.wallet("w-odd", user: "user-2", balance: 99_999_999_999_999_999_999_999_999_999_999_999, held: 1)
            var order = Fixtures.order("o-min", wallet: "w-max", amount: .min)
            order.balanceAfter = .max
            let credit = Fixtures.order("o-max", wallet: "w-max", amount: .max)
            try store.transaction { store throws(ApprovalError) in
                for wallet in [settlement, rich, odd] { try store.insertWallet(wallet) }
                try store.insertOrder(order)
                try store.insertOrder(credit)
            }
            store.close()
            let reopened = try database.open()
            try reopened.read { store throws(ApprovalError) in
                #expect(try store.wallet(id: "crm:USD")?.balance == .min)
                #expect(try store.wallet(id: "w-max")?.balance == .max)
                #expect(try store.wallet(id: "w-max")?.held == .max)
                #expect(try store.wallet(id: "w-odd") == odd)
                #expect(try store.order(id: "o-min")?.amount == .min)
                #expect(try store.order(id: "o-min")?.balanceAfter == .max)
                #expect(try store.order(id: "o-max")?.amount == .max)
            }
            let connection = try database.connection()
            defer { connection.close() }
            #expect(try connection.query("SELECT balance::text, pg_typeof(balance)::text FROM wallets WHERE id = 'crm:USD'").rows
                == [["-170141183460469231731687303715884105728", "minor_units"]])
            #expect(try connection.query("SELECT (balance + 0)::text FROM wallets WHERE id = 'w-max'").rows
                == [["170141183460469231731687303715884105727"]])
            // One past Int128.max: the domain's CHECK refuses it, so nothing a Swift Int128 cannot read is ever stored.
            do {
                _ = try connection.query("UPDATE wallets SET balance = balance + 1 WHERE id = 'w-max'")
                Issue.record("a balance beyond Int128 was stored")
            } catch {
                #expect(error.sqlState == PostgresError.checkViolation)
            }
            // The velocity sum of Int128.min and Int128.max overflows: refused as on SQLite, never wrapped.
            let totals = approvalError {
                _ = try reopened.read { store throws(ApprovalError) in
                    try store.orderTotals(externalUserID: "user-1", currency: "USD", statuses: [.pendingApproval],
                                          since: Fixtures.start)
                }
            }
            #expect(totals?.type == "invalid_amount")
        }

        @Test func orders() async throws {
            let database = try await PostgresTestDatabase.make()
            defer { database.close() }
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
                #expect(try store.pendingOrderCount(walletID: "w-1") == 2)

                #expect(try store.pendingOrders(expiringAtOrBefore: Fixtures.start + .seconds(7199)).isEmpty)
                #expect(try store.pendingOrders(expiringAtOrBefore: Fixtures.start + .seconds(7200)).map(\.orderID) == ["o-1"])
                #expect(try store.pendingOrders(expiringAtOrBefore: Fixtures.start + .seconds(9000)).map(\.orderID) == ["o-1", "o-3"])

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

                let refusal = TransferRefusal(orderID: "o-refused", externalUserID: "user-1", currency: "XYZ", amount: "-1005e-1",
                                              status: 400, type: "currency_not_supported", message: "no XYZ",
                                              createdAt: Fixtures.start)
                try store.insertTransferRefusal(refusal)
                #expect(try store.transferRefusal(orderID: "o-refused") == refusal)
                #expect(try store.transferRefusal(orderID: "o-1") == nil)
            }
            store.close()
            try database.open().transaction { store throws(ApprovalError) in
                let order = try store.order(id: "o-1")
                #expect(order?.status == .rejected)
                #expect(order?.reason == "rejected by bob: wrong account")
                #expect(order?.decidedAt == Fixtures.start + .seconds(30))
                #expect(order?.eligibleApprovers == ApproverEligibility(roles: [.admin, .approver], operators: ["alice", "carol"]))
                #expect(order?.nonce == Array(repeating: 0xA5, count: 32))
                #expect(try store.pendingOrderCount(walletID: "w-1") == 1)
            }
        }

        @Test func approvalsAndOperators() async throws {
            let database = try await PostgresTestDatabase.make()
            defer { database.close() }
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

        @Test func invitesChallengesAndSessions() async throws {
            let database = try await PostgresTestDatabase.make()
            defer { database.close() }
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
            // Expired credentials go by age; unused challenges beyond the newest `keeping` go.
            try store.transaction { store throws(ApprovalError) in
                for index in 0..<5 {
                    try store.insertChallenge(LoginChallenge(
                        nonce: Array(repeating: UInt8(20 + index), count: 32), operatorID: "op-alice",
                        issuedAt: Fixtures.start + .seconds(Int64(index)), expiresAt: Fixtures.start + .seconds(600)))
                }
                try store.deleteChallenges(operatorID: "op-alice", keeping: 2)
                #expect(try store.challenge(nonce: Array(repeating: 24, count: 32)) != nil)
                #expect(try store.challenge(nonce: Array(repeating: 23, count: 32)) != nil)
                #expect(try store.challenge(nonce: Array(repeating: 22, count: 32)) == nil)
                #expect(try store.challenge(nonce: challenge.nonce) != nil, "a used challenge is not counted")
                let pruned = try store.deleteExpiredCredentials(before: Fixtures.start + .seconds(601))
                #expect(pruned.challenges == 3 && pruned.sessions == 0)
            }
        }

        @Test func metadataAuditAndOutbox() async throws {
            let database = try await PostgresTestDatabase.make()
            defer { database.close() }
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

        @Test func webhookDeliveries() async throws {
            let database = try await PostgresTestDatabase.make()
            defer { database.close() }
            let store = try database.open()
            let urls = ["https://b.example/hook", "https://a.example/hook"]
            let message = try store.transaction { store throws(ApprovalError) -> OutboxMessage in
                var message = OutboxMessage(event: "order.completed", body: #"{"n":1}"#, createdAt: Fixtures.start,
                                            nextAttemptAt: Fixtures.start + .seconds(2), attempts: 1)
                message.id = try store.insertOutboxMessage(message)
                try store.insertWebhookDeliveries(of: message, urls: urls)
                // Fanning out twice leaves the existing pairs as they are.
                try store.insertWebhookDeliveries(of: message, urls: urls)
                return message
            }
            let id = try #require(message.id)
            try store.transaction { store throws(ApprovalError) in
                let deliveries = try store.webhookDeliveries(outboxID: id)
                #expect(deliveries.map(\.url) == ["https://a.example/hook", "https://b.example/hook"])
                #expect(deliveries.allSatisfy { $0.attempts == 1 && $0.nextAttemptAt == Fixtures.start + .seconds(2) })
                #expect(deliveries.first?.body == #"{"n":1}"#)
                #expect(try store.dueWebhookDeliveries(at: Fixtures.start, urls: urls, limit: 10).isEmpty)
                let due = try store.dueWebhookDeliveries(at: Fixtures.start + .seconds(2), urls: urls, limit: 10)
                #expect(due.map(\.url) == ["https://a.example/hook", "https://b.example/hook"])
                #expect(try store.dueWebhookDeliveries(at: Fixtures.start + .seconds(2), urls: ["https://b.example/hook"], limit: 10)
                    .map(\.url) == ["https://b.example/hook"])
                #expect(try store.dueWebhookDeliveries(at: Fixtures.start + .seconds(2), urls: [], limit: 10).isEmpty)
                guard var delivered = due.first else { throw .storage("nothing due") }
                delivered.attempts = 2
                delivered.deliveredAt = Fixtures.start + .seconds(3)
                delivered.lastError = "HTTP 500 once"
                try store.updateWebhookDelivery(delivered)
                #expect(try store.webhookDeliveries(outboxID: id).first == delivered)
                #expect(try store.dueWebhookDeliveries(at: Fixtures.start + .seconds(9), urls: urls, limit: 10).map(\.url)
                    == ["https://b.example/hook"])
            }
            #expect(storageFailure {
                try store.transaction { store throws(ApprovalError) in
                    try store.updateWebhookDelivery(WebhookDelivery(outboxID: 99, url: "https://x", event: "e", body: "{}",
                                                                    createdAt: Fixtures.start, nextAttemptAt: Fixtures.start))
                }
            } == "no webhook delivery of outbox 99 to https://x to update (0 rows matched)")
        }
    }
}
