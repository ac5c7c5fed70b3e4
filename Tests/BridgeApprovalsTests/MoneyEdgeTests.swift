import BridgeApprovals
import BridgeCore
import TestVectors
import Testing

/// CONTRACT 4's money: exact signed 128-bit minor units, one amount up to 10^36, every sum checked; an overflow is
/// `invalid_amount` with nothing changed, and the service keeps answering.
@Suite("128-bit money at the edges")
struct MoneyEdgeTests {
    static let eth = try! Currency(code: "ETH", decimals: 18)
    /// 10^36 minor units: the largest single amount (10^18 whole ETH).
    static let largest = MinorUnits.maximumMagnitude

    func harness(_ policy: any TransferPolicy = FixedPolicy(decision: .allow(policy: "all"))) throws -> Harness {
        try Harness(policy: policy, currencies: [Harness.usd, Harness.btc, Self.eth])
    }

    /// Whether `orderID` was stored (a refused order must leave nothing).
    func stored(_ harness: Harness, _ orderID: String) throws -> Bool {
        try harness.store.read { transaction throws(ApprovalError) in try transaction.order(id: orderID) } != nil
    }

    @Test func theLargestAmountIsAcceptedAndOneMoreIsNot() throws {
        let harness = try harness()
        try harness.service.createWallet(externalUserID: "alice", currency: "ETH")
        let outcome = try harness.transfer("largest", currency: "ETH", amount: "1000000000000000000")
        #expect(outcome.wallet.balance == Self.largest)
        #expect(String(outcome.wallet.balance) == "1" + String(repeating: "0", count: 36))
        #expect(MinorUnits.format(outcome.wallet.balance, decimals: 18) == "1000000000000000000.000000000000000000")

        let refused = approvalError {
            try harness.transfer("one-more", currency: "ETH", amount: "1000000000000000000.000000000000000001")
        }
        #expect(refused?.type == "invalid_amount")
        #expect(refused?.httpStatus == 400)
        #expect(try !stored(harness, "one-more"))
        #expect(try harness.walletBalance("alice", "ETH").balance == Self.largest)
    }

    @Test func anEighteenDecimalCurrencyMovesAMillionUnitsInOneOrder() throws {
        let harness = try harness()
        try harness.service.createWallet(externalUserID: "alice", currency: "ETH")
        let credit = try harness.transfer("million", currency: "ETH", amount: "1000000.000000000000000001")
        #expect(credit.wallet.balance == 1_000_000_000_000_000_000_000_001)
        let debit = try harness.transfer("back", currency: "ETH", amount: "-999999.999999999999999999")
        #expect(debit.wallet.balance == 2)
        #expect(try harness.balanceSums()["ETH"] == 0)
    }

    @Test func aCreditThatWouldOverflowTheWalletChangesNothing() throws {
        let harness = try harness()
        try harness.service.createWallet(externalUserID: "alice", currency: "ETH")
        // 170 credits of 10^36 fit below Int128.max (about 1.7014 x 10^38); a 171st would not.
        for index in 0..<170 { try harness.transfer("c\(index)", currency: "ETH", amount: "1e18") }
        let full = Int128(170) * Self.largest
        let eventsBefore = try harness.auditEvents().count

        let refused = approvalError { try harness.transfer("c170", currency: "ETH", amount: "1e18") }
        #expect(refused?.type == "invalid_amount")
        #expect(refused?.message.contains("wallet") == true)
        #expect(try harness.walletBalance("alice", "ETH").balance == full)
        // Only the refusal itself is recorded (kept under the order id, CONTRACT 4); no order, no money moved.
        #expect(try harness.auditEvents().dropFirst(eventsBefore).map(\.kind) == ["order.refused"])
        #expect(try !stored(harness, "c170"))

        // The CRM's retry gets the same refusal; the service still answers everything else.
        #expect(approvalError { try harness.transfer("c170", currency: "ETH", amount: "1e18") }?.type == "invalid_amount")
        #expect(try harness.transfer("after", currency: "ETH", amount: "-0.000000000000000001").wallet.balance == full - 1)
        #expect(try harness.balanceSums()["ETH"] == 0)
    }

    @Test func aCreditThatWouldOverflowTheSettlementAccountChangesNothing() throws {
        let harness = try harness()
        try harness.service.createWallet(externalUserID: "alice", currency: "ETH")
        try harness.service.createWallet(externalUserID: "bob", currency: "ETH")
        for index in 0..<100 { try harness.transfer("a\(index)", user: "alice", currency: "ETH", amount: "1e18") }
        for index in 0..<70 { try harness.transfer("b\(index)", user: "bob", currency: "ETH", amount: "1e18") }
        // The settlement account now holds -170 x 10^36; bob's wallet has room, the settlement account has not.
        let refused = approvalError { try harness.transfer("b70", user: "bob", currency: "ETH", amount: "1e18") }
        #expect(refused?.type == "invalid_amount")
        #expect(refused?.message.contains("settlement") == true)
        #expect(try harness.walletBalance("bob", "ETH").balance == Int128(70) * Self.largest)
        let settlement = try harness.allWallets().first { $0.id == Wallet.settlementID(currency: "ETH") }
        #expect(settlement?.balance == Int128(-170) * Self.largest)
        #expect(try !stored(harness, "b70"))
    }

    @Test func anInitialBalanceTheSettlementAccountCannotGiveChangesNothing() throws {
        let harness = try harness()
        for index in 0..<170 {
            try harness.service.createWallet(externalUserID: "u\(index)", currency: "ETH", initialBalance: Self.largest)
        }
        let refused = approvalError {
            try harness.service.createWallet(externalUserID: "u170", currency: "ETH", initialBalance: Self.largest)
        }
        #expect(refused?.type == "invalid_amount")
        #expect(approvalError { _ = try harness.service.wallet(externalUserID: "u170", currency: "ETH") }?.type
            == "account_not_found")
    }

    @Test func aVelocityWindowSumThatWouldOverflowChangesNothing() throws {
        let velocity = try VelocityLimit(scope: .walletPair, window: .seconds(3600), above: [Self.eth: Self.largest])
        let policy = try PolicySet(rules: [
            PolicyRule(name: "velocity", condition: PolicyCondition(velocity: velocity), action: .allow),
        ], defaultDecision: .allow)
        let harness = try harness(policy)
        try harness.service.createWallet(externalUserID: "alice", currency: "ETH")
        // Credits and debits in turn keep the balance small while the window's absolute sum grows by 10^36 each.
        for index in 0..<170 {
            try harness.transfer("v\(index)", currency: "ETH", amount: index.isMultiple(of: 2) ? "1e18" : "-1e18")
        }
        let refused = approvalError { try harness.transfer("v170", currency: "ETH", amount: "1e18") }
        #expect(refused?.type == "invalid_amount")
        #expect(refused?.message.contains("velocity") == true)
        #expect(try !stored(harness, "v170"))
        #expect(try harness.walletBalance("alice", "ETH").balance == 0)
        // Outside the window the sum starts again.
        harness.clock.advance(by: .seconds(3601))
        #expect(try harness.transfer("v171", currency: "ETH", amount: "1e18").wallet.balance == Self.largest)
    }

    /// Thousands of random transfers of up to 10^36 minor units, checked after each against an independent
    /// decimal big-integer model: balances exact, overflows refused exactly where the model leaves 128 bits.
    @Test func randomTransfersMatchABigIntegerModel() throws {
        let harness = try harness()
        let users = ["u0", "u1", "u2", "u3"]
        for user in users { try harness.service.createWallet(externalUserID: user, currency: "ETH") }
        var model: [String: BigDecimal] = Dictionary(uniqueKeysWithValues: users.map { ($0, BigDecimal.zero) })
        var settlement = BigDecimal.zero
        let limit = BigDecimal(String(Int128.max))
        var random = SeededGenerator(seed: 0x5EED_0128)
        var outcomes: [String: Int] = [:]
        for index in 0..<3_000 {
            let user = users.randomElement(using: &random) ?? "u0"
            // 1 to 37 digits, so amounts span 1 wei to 10^36 wei (and 10^36 exactly sometimes); half of them large,
            // and credits more often than debits, so the books drift up to the 128-bit edge and back.
            let length = Bool.random(using: &random) ? Int.random(in: 34...37, using: &random)
                : Int.random(in: 1...37, using: &random)
            var digits = length == 37 ? "1" + String(repeating: "0", count: 36)
                : String(Int.random(in: 1...9, using: &random))
                    + String((1..<length).map { _ in Character(String(Int.random(in: 0...9, using: &random))) })
            let magnitude = BigDecimal(digits)
            let debit = Int.random(in: 0..<20, using: &random) < 7
            if digits.count <= 18 { digits = String(repeating: "0", count: 19 - digits.count) + digits }
            let text = (debit ? "-" : "") + digits.dropLast(18) + "." + digits.suffix(18)
            let amount = debit ? magnitude.negated : magnitude
            let newBalance = model[user, default: .zero] + amount
            let newSettlement = settlement + amount.negated
            let expected: String
            if debit, newBalance.isNegative {
                expected = "insufficient_funds"
            } else if newBalance > limit || newSettlement.negated > limit.plusOne {
                expected = "invalid_amount"
            } else {
                expected = "completed"
            }
            do {
                let outcome = try harness.transfer("r\(index)", user: user, currency: "ETH", amount: text)
                #expect(expected == "completed", "r\(index) \(text): completed, the model says \(expected)")
                model[user] = newBalance
                settlement = newSettlement
                #expect(String(outcome.wallet.balance) == newBalance.description, "r\(index) \(text)")
            } catch {
                #expect((error as? ApprovalError)?.type == expected, "r\(index) \(text): \(error)")
            }
            outcomes[expected, default: 0] += 1
        }
        for user in users {
            #expect(String(try harness.walletBalance(user, "ETH").balance) == model[user]?.description)
        }
        let stored = try harness.allWallets().first { $0.id == Wallet.settlementID(currency: "ETH") }
        #expect(stored.map { String($0.balance) } == settlement.description)
        #expect(try harness.balanceSums()["ETH"] == 0)
        print("MoneyEdgeTests: 3,000 random transfers: \(outcomes.sorted { $0.key < $1.key })")
        #expect(outcomes["completed", default: 0] > 1_000)
        #expect(outcomes["insufficient_funds", default: 0] > 0)
        #expect(outcomes["invalid_amount", default: 0] > 0)
    }
}

/// A signed decimal integer of any size, for checking `Int128` arithmetic independently of it: base-10 digits,
/// schoolbook addition and subtraction.
struct BigDecimal: Comparable, CustomStringConvertible {
    /// Least significant digit first; no trailing zeros (zero is empty).
    var digits: [UInt8]
    var isNegative: Bool

    static let zero = BigDecimal(digits: [], isNegative: false)

    init(digits: [UInt8], isNegative: Bool) {
        var trimmed = digits
        while trimmed.last == 0 { trimmed.removeLast() }
        self.digits = trimmed
        self.isNegative = isNegative && !trimmed.isEmpty
    }

    /// From decimal text such as `-12345`.
    init(_ text: String) {
        let negative = text.hasPrefix("-")
        self.init(digits: text.utf8.reversed().filter { $0 != UInt8(ascii: "-") }.map { $0 - UInt8(ascii: "0") },
                  isNegative: negative)
    }

    var negated: BigDecimal { BigDecimal(digits: digits, isNegative: !isNegative) }
    var plusOne: BigDecimal { self + BigDecimal("1") }

    var description: String {
        digits.isEmpty ? "0" : (isNegative ? "-" : "") + String(digits.reversed().map { Character(String($0)) })
    }

    static func compareMagnitude(_ lhs: [UInt8], _ rhs: [UInt8]) -> Int {
        if lhs.count != rhs.count { return lhs.count < rhs.count ? -1 : 1 }
        for index in lhs.indices.reversed() where lhs[index] != rhs[index] { return lhs[index] < rhs[index] ? -1 : 1 }
        return 0
    }

    static func + (lhs: BigDecimal, rhs: BigDecimal) -> BigDecimal {
        if lhs.isNegative == rhs.isNegative {
            var result: [UInt8] = []
            var carry: UInt8 = 0
            for index in 0..<max(lhs.digits.count, rhs.digits.count) {
                let sum = (index < lhs.digits.count ? lhs.digits[index] : 0)
                    + (index < rhs.digits.count ? rhs.digits[index] : 0) + carry
                result.append(sum % 10)
                carry = sum / 10
            }
            if carry > 0 { result.append(carry) }
            return BigDecimal(digits: result, isNegative: lhs.isNegative)
        }
        // Different signs: the larger magnitude minus the smaller, with the larger's sign.
        let (larger, smaller) = compareMagnitude(lhs.digits, rhs.digits) >= 0 ? (lhs, rhs) : (rhs, lhs)
        var result: [UInt8] = []
        var borrow = 0
        for index in larger.digits.indices {
            var difference = Int(larger.digits[index]) - borrow - Int(index < smaller.digits.count ? smaller.digits[index] : 0)
            borrow = difference < 0 ? 1 : 0
            if difference < 0 { difference += 10 }
            result.append(UInt8(difference))
        }
        return BigDecimal(digits: result, isNegative: larger.isNegative)
    }

    static func < (lhs: BigDecimal, rhs: BigDecimal) -> Bool {
        if lhs.isNegative != rhs.isNegative { return lhs.isNegative }
        let order = compareMagnitude(lhs.digits, rhs.digits)
        return lhs.isNegative ? order > 0 : order < 0
    }
}
