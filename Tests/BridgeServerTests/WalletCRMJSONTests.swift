import BridgeApprovals
import BridgeCore
import BridgeServer
import Testing

@Suite("A wallet's CRM JSON written straight into bytes is the JSON tree's compact serialization")
struct WalletCRMJSONTests {
    @Test(arguments: [
        (Int128(500_000), 2, Int128?.none),
        (Int128(-10_050), 2, Int128?.none),
        (Int128(1), 8, Int128?.none),
        (Int128(0), 0, Int128?.none),
        (Int128(7), 18, Int128?.none),
        (Int128.max, 2, Int128?.none),
        (Int128.min + 1, 0, Int128?.none),
        (Int128(500_000), 2, Int128?.some(123_456)),
    ])
    func bytesMatchTheTree(balance: Int128, decimals: Int, answered: Int128?) {
        for (id, user) in [("w00000001", "demo-alice"), ("w\"q\\", "caf\u{E9} \u{1F600}\n\u{1}")] {
            let wallet = Wallet(id: id, externalUserID: user, currency: "USD", balance: balance,
                                createdAt: Timestamp(millisecondsSinceEpoch: 0))
            let tree = wallet.crmJSON(decimals: decimals, balance: answered).serializedBytes()
            #expect(wallet.crmJSONBytes(decimals: decimals, balance: answered) == tree)
        }
    }
}
