import BridgeApprovals
import BridgeCore
import BridgeStore
import Testing

/// What revoking an operator reads and writes, identical in the SQLite and the in-memory store: which sessions end
/// and which pending approvals are withdrawn.
@Suite("Stores: revoking an operator's sessions, their approvals on pending orders")
struct StoreRevocationQueryTests {
    static let now = Fixtures.start + .seconds(600)

    static func session(_ byte: UInt8, operatorID: String, createdAt: Timestamp = Fixtures.start,
                        expiresAt: Timestamp = Fixtures.start + .seconds(3600), revokedAt: Timestamp? = nil) -> OperatorSession {
        OperatorSession(tokenHash: Array(repeating: byte, count: 32), operatorID: operatorID, createdAt: createdAt,
                        expiresAt: expiresAt, lastUsedAt: createdAt, boundIP: nil, revokedAt: revokedAt)
    }

    static func approval(_ orderID: String, by operatorID: String, _ byte: UInt8) -> ApprovalRecord {
        ApprovalRecord(orderID: orderID, operatorID: operatorID, decision: .approve, signature: Array(repeating: byte, count: 65),
                       createdAt: Fixtures.start)
    }

    /// alice: two live sessions, one expired, one already revoked; bob: one live session. Orders: o-2 (older) and o-1
    /// pending, o-3 completed; alice approved all three, bob approved o-1.
    static func seed(_ store: any ApprovalStore) throws {
        let alice = try Fixtures.operatorRecord("op-alice", name: "alice", keySeed: 1)
        let bob = try Fixtures.operatorRecord("op-bob", name: "bob", keySeed: 2)
        try store.transaction { store throws(ApprovalError) in
            try store.insertWallet(Fixtures.wallet("w-1"))
            try store.insertOperator(alice)
            try store.insertOperator(bob)
            try store.insertOrder(Fixtures.order("o-1", createdAt: Fixtures.start + .seconds(20)))
            try store.insertOrder(Fixtures.order("o-2", createdAt: Fixtures.start + .seconds(10)))
            try store.insertOrder(Fixtures.order("o-3", status: .completed))
            for (order, byte) in [("o-1", 1), ("o-2", 2), ("o-3", 3)] as [(String, UInt8)] {
                try store.insertApproval(approval(order, by: "op-alice", byte))
            }
            try store.insertApproval(approval("o-1", by: "op-bob", 4))
            try store.insertSession(session(1, operatorID: "op-alice"))
            try store.insertSession(session(2, operatorID: "op-alice", createdAt: Fixtures.start + .seconds(5)))
            try store.insertSession(session(3, operatorID: "op-alice", expiresAt: now))
            try store.insertSession(session(4, operatorID: "op-alice", revokedAt: Fixtures.start + .seconds(1)))
            try store.insertSession(session(5, operatorID: "op-bob"))
        }
    }

    static func check(_ store: any ApprovalStore) throws {
        try seed(store)
        let pending = try store.read { store throws(ApprovalError) in try store.pendingApprovals(operatorID: "op-alice") }
        #expect(pending.map(\.orderID) == ["o-2", "o-1"])
        #expect(pending.map(\.signature) == [Array(repeating: 2, count: 65), Array(repeating: 1, count: 65)])
        #expect(try store.read { store throws(ApprovalError) in try store.pendingApprovals(operatorID: "op-bob") }
            .map(\.orderID) == ["o-1"])

        let ended = try store.transaction { store throws(ApprovalError) in
            try store.revokeSessions(operatorID: "op-alice", at: now)
        }
        #expect(ended == [Array(repeating: 1, count: 32), Array(repeating: 2, count: 32)])
        try store.read { store throws(ApprovalError) in
            #expect(try store.session(tokenHash: Array(repeating: 1, count: 32))?.revokedAt == now)
            #expect(try store.session(tokenHash: Array(repeating: 2, count: 32))?.revokedAt == now)
            #expect(try store.session(tokenHash: Array(repeating: 3, count: 32))?.revokedAt == nil, "expired: left alone")
            #expect(try store.session(tokenHash: Array(repeating: 4, count: 32))?.revokedAt == Fixtures.start + .seconds(1))
            #expect(try store.session(tokenHash: Array(repeating: 5, count: 32))?.revokedAt == nil, "bob's")
        }
        #expect(try store.transaction { store throws(ApprovalError) in
            try store.revokeSessions(operatorID: "op-alice", at: now)
        }.isEmpty)

        // A rolled-back transaction leaves bob's session live.
        #expect(throws: ApprovalError.self) {
            try store.transaction { store throws(ApprovalError) in
                #expect(try store.revokeSessions(operatorID: "op-bob", at: now).count == 1)
                throw ApprovalError.storage("deliberate")
            }
        }
        #expect(try store.read { store throws(ApprovalError) in
            try store.session(tokenHash: Array(repeating: 5, count: 32))?.revokedAt
        } == nil)
    }

    @Test func sqlite() throws {
        let database = try TemporaryDatabase()
        defer { database.remove() }
        let store = try database.open()
        defer { store.close() }
        try Self.check(store)
    }

    @Test func inMemory() throws {
        try Self.check(InMemoryApprovalStore())
    }
}
