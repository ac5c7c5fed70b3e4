import BridgeApprovals
import BridgeCore
import Testing

@Suite("Wallets: double entry against the settlement account")
struct WalletTests {
    let harness: Harness

    init() throws {
        harness = try Harness()
    }

    @Test func fundingMovesMoneyFromTheSettlementAccount() throws {
        let alice = try harness.service.createWallet(externalUserID: "alice", currency: "USD", initialBalance: 12_345)
        #expect(alice.id == "w00000001")
        #expect(alice.kind == .external)
        #expect(alice.balance == 12_345)
        let bob = try harness.service.createWallet(externalUserID: "bob", currency: "BTC", initialBalance: 5)
        #expect(bob.id == "w00000002")
        let wallets = try harness.allWallets()
        #expect(wallets.map(\.id) == ["crm:BTC", "crm:USD", "w00000001", "w00000002"])
        #expect(wallets.first { $0.id == "crm:USD" }?.balance == -12_345)
        #expect(wallets.first { $0.id == "crm:USD" }?.kind == .settlement)
        #expect(try harness.balanceSums() == ["USD": 0, "BTC": 0])
        let event = try #require(try harness.auditEvents().last)
        #expect(event.kind == "wallet.created")
        #expect(event.payload["initial_balance"] == "0.00000005")
    }

    @Test func aUserHasOneWalletPerCurrency() throws {
        try harness.service.createWallet(externalUserID: "alice", currency: "USD")
        #expect(approvalError { try harness.service.createWallet(externalUserID: "alice", currency: "USD") }
            == .invalidRequest("alice already has a USD wallet"))
        #expect(approvalError { try harness.service.createWallet(externalUserID: "alice", currency: "EUR") }
            == .currencyNotSupported("EUR"))
        #expect(approvalError { try harness.service.createWallet(externalUserID: "alice", currency: "BTC", initialBalance: -1) }?
            .type == "invalid_amount")
        #expect(approvalError { try harness.service.createWallet(externalUserID: "", currency: "BTC") }?.type == "invalid_request")
        #expect(try harness.allWallets().count == 2)
    }

    @Test func looksUpAndListsExternalWallets() throws {
        for user in ["carol", "alice", "bob"] {
            try harness.service.createWallet(externalUserID: user, currency: "USD", initialBalance: 100)
        }
        try harness.service.createWallet(externalUserID: "alice", currency: "BTC")
        #expect(try harness.service.wallet(externalUserID: "alice", currency: "USD").id == "w00000002")
        #expect(approvalError { _ = try harness.service.wallet(externalUserID: "dave", currency: "USD") }
            == .accountNotFound(externalUserID: "dave", currency: "USD"))
        #expect(approvalError { _ = try harness.service.wallet(externalUserID: "alice", currency: "XYZ") } == .currencyNotSupported("XYZ"))
        let all = try harness.service.wallets()
        #expect(all.wallets.map(\.externalUserID) == ["carol", "alice", "bob", "alice"])
        #expect(all.total == 4)
        let page = try harness.service.wallets(externalUserIDs: ["alice", "bob"], skip: 1, limit: 1)
        #expect(page.wallets.map(\.id) == ["w00000003"])
        #expect(page.total == 3)
        #expect(approvalError { _ = try harness.service.wallets(skip: -1) }?.type == "invalid_request")
    }
}
