import BridgeApprovals
import BridgeCore
import BridgeCrypto
import Testing

@Suite("In-memory store: atomic, serialized transactions")
struct InMemoryApprovalStoreTests {
    let time = Timestamp(secondsSinceEpoch: 1_795_000_000)

    func event(_ sequence: Int64, previous: [UInt8] = AuditEvent.genesisHash) -> AuditEvent {
        AuditEvent(sequence: sequence, time: time, actor: "system", kind: "test", payload: ["n": .number(JSONNumber(sequence))],
                   previousHash: previous, hash: [UInt8](repeating: UInt8(sequence), count: 32))
    }

    @Test func aThrownErrorLeavesNoTrace() throws {
        let store = InMemoryApprovalStore()
        try store.transaction { transaction throws(ApprovalError) in
            try transaction.insertWallet(Wallet(id: "w1", externalUserID: "alice", currency: "USD", balance: 500, createdAt: time))
            try transaction.appendAuditEvent(event(1))
        }
        let failure = approvalError {
            try store.transaction { transaction throws(ApprovalError) in
                guard var wallet = try transaction.wallet(id: "w1") else { throw .storage("w1 is missing") }
                wallet.balance = 0
                try transaction.updateWallet(wallet)
                try transaction.insertWallet(Wallet(id: "w2", externalUserID: "bob", currency: "USD", createdAt: time))
                try transaction.setMetadata("k", "v")
                try transaction.appendAuditEvent(event(2))
                _ = try transaction.insertOutboxMessage(OutboxMessage(event: "e", body: "{}", createdAt: time, nextAttemptAt: time))
                try transaction.insertOrder(TransferOrder(
                    orderID: "o1", externalUserID: "alice", currency: "USD", walletID: "w1", amount: 5,
                    status: .pendingApproval, policyName: "p", approvalsRequired: 1, eligibleApprovers: nil,
                    nonce: [1], createdAt: time, expiresAt: time))
                throw .invalidRequest("boom")
            }
        }
        #expect(failure == .invalidRequest("boom"))
        try store.transaction { transaction throws(ApprovalError) in
            #expect(try transaction.wallet(id: "w1")?.balance == 500)
            #expect(try transaction.wallet(id: "w2") == nil)
            #expect(try transaction.wallet(externalUserID: "bob", currency: "USD") == nil)
            #expect(try transaction.metadata("k") == nil)
            #expect(try transaction.lastAuditEvent()?.sequence == 1)
            #expect(try transaction.order(id: "o1") == nil)
            #expect(try transaction.pendingOrders(expiringAtOrBefore: time).isEmpty)
            #expect(try transaction.dueOutboxMessages(at: time, limit: 10).isEmpty)
            // The outbox id counter rolled back too: the next message gets id 1.
            #expect(try transaction.insertOutboxMessage(OutboxMessage(event: "e", body: "{}", createdAt: time, nextAttemptAt: time)) == 1)
        }
    }

    @Test func duplicateKeysAreRefused() throws {
        let store = InMemoryApprovalStore()
        let wallet = Wallet(id: "w1", externalUserID: "alice", currency: "USD", createdAt: time)
        try store.transaction { transaction throws(ApprovalError) in try transaction.insertWallet(wallet) }
        let sameID = approvalError {
            try store.transaction { transaction throws(ApprovalError) in try transaction.insertWallet(wallet) }
        }
        #expect(sameID?.type == "internal_error")
        let sameOwner = approvalError {
            try store.transaction { transaction throws(ApprovalError) in
                try transaction.insertWallet(Wallet(id: "w2", externalUserID: "alice", currency: "USD", createdAt: time))
            }
        }
        #expect(sameOwner == .storage("duplicate wallet for alice in USD"))

        let record = ApprovalRecord(orderID: "o1", operatorID: "op1", decision: .approve, signature: [1, 2], createdAt: time)
        try store.transaction { transaction throws(ApprovalError) in try transaction.insertApproval(record) }
        let sameSignature = approvalError {
            try store.transaction { transaction throws(ApprovalError) in
                try transaction.insertApproval(ApprovalRecord(orderID: "o2", operatorID: "op2", decision: .approve,
                                                              signature: [1, 2], createdAt: time))
            }
        }
        #expect(sameSignature == .storage("duplicate approval signature"))
        let sameOperator = approvalError {
            try store.transaction { transaction throws(ApprovalError) in
                try transaction.insertApproval(ApprovalRecord(orderID: "o1", operatorID: "op1", decision: .reject,
                                                              signature: [3], createdAt: time))
            }
        }
        #expect(sameOperator == .storage("duplicate approval by op1 on o1"))
    }

    @Test func auditEventsMustFollowTheLastSequence() throws {
        let store = InMemoryApprovalStore()
        let skipped = approvalError {
            try store.transaction { transaction throws(ApprovalError) in try transaction.appendAuditEvent(event(2)) }
        }
        #expect(skipped == .storage("audit event 2 is out of sequence; the next one is 1"))
        try store.transaction { transaction throws(ApprovalError) in
            try transaction.appendAuditEvent(event(1))
            try transaction.appendAuditEvent(event(2))
        }
        let repeated = approvalError {
            try store.transaction { transaction throws(ApprovalError) in try transaction.appendAuditEvent(event(2)) }
        }
        #expect(repeated == .storage("audit event 2 is out of sequence; the next one is 3"))
        let events = try store.transaction { transaction throws(ApprovalError) in try transaction.auditEvents(after: 1, limit: 5) }
        #expect(events.map(\.sequence) == [2])
    }

    @Test func listsWalletsInIDOrderWithTheMatchingTotal() throws {
        let store = InMemoryApprovalStore()
        try store.transaction { transaction throws(ApprovalError) in
            for (id, user) in [("w3", "carol"), ("w1", "alice"), ("w2", "bob"), ("w4", "alice")] {
                try transaction.insertWallet(Wallet(id: id, externalUserID: user, currency: id == "w4" ? "BTC" : "USD",
                                                    createdAt: time))
            }
            try transaction.insertWallet(Wallet(id: "crm:USD", kind: .settlement, externalUserID: "", currency: "USD",
                                                createdAt: time))
        }
        let page = try store.transaction { transaction throws(ApprovalError) in
            try transaction.wallets(externalUserIDs: nil, skip: 1, limit: 2)
        }
        #expect(page.wallets.map(\.id) == ["w2", "w3"])
        #expect(page.total == 4)
        let alices = try store.transaction { transaction throws(ApprovalError) in
            try transaction.wallets(externalUserIDs: ["alice"], skip: 0, limit: 10)
        }
        #expect(alices.wallets.map(\.id) == ["w1", "w4"])
        #expect(alices.total == 2)
    }

    @Test func aTransactionObjectKeptPastItsClosureCannotWrite() throws {
        let store = InMemoryApprovalStore()
        let leaked = try store.transaction { transaction throws(ApprovalError) in transaction }
        let failure = approvalError { try leaked.setMetadata("k", "v") }
        #expect(failure == .storage("the transaction has already ended"))
    }
}
