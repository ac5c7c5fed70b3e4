import BridgeApprovals
import BridgeCore
import Testing

/// Currencies, facts and velocity fakes shared by the policy tests.
enum PolicyFixtures {
    static let usd = try! Currency(code: "USD", decimals: 2)
    static let btc = try! Currency(code: "BTC", decimals: 8)
    static let eur = try! Currency(code: "EUR", decimals: 2)
    static let currencies = ["USD": usd, "BTC": btc, "EUR": eur]
    static let start = Timestamp(secondsSinceEpoch: 1_795_000_000)

    /// A transfer of `amount` (decimal text, negative debits) in `currency`.
    static func facts(_ amount: String, _ currency: Currency, user: String = "u-1", wallet: String? = nil,
                      time: Timestamp = start) throws -> TransferFacts {
        TransferFacts(orderID: "order-\(amount)-\(currency.code)", externalUserID: user,
                      walletID: wallet ?? "w-\(user)-\(currency.code)", currency: currency,
                      amount: try MinorUnits.parse(amount, decimals: currency.decimals), time: time)
    }
}

/// Velocity history kept in memory, timed by a manual clock; records every lookup it answers.
final class RecordingVelocityLookup: VelocityLookup {
    struct Transfer {
        let user: String
        let currency: String
        let amount: Int128
        let time: Timestamp
    }

    let clock: ManualClock
    private(set) var transfers: [Transfer] = []
    private(set) var lookups: [(user: String, currency: String?, since: Timestamp)] = []

    init(clock: ManualClock = ManualClock(PolicyFixtures.start)) {
        self.clock = clock
    }

    /// A transfer that completed (or waits for approval) now.
    func record(_ amount: String, _ currency: Currency, user: String = "u-1") throws {
        transfers.append(Transfer(user: user, currency: currency.code,
                                  amount: try MinorUnits.parse(amount, decimals: currency.decimals), time: clock.now()))
    }

    /// The same semantics the store has: created at or after `since`, absolute amounts summed.
    func totals(externalUserID: String, currency: String?, since: Timestamp) throws(ApprovalError)
        -> (count: Int, absoluteSum: Int128)
    {
        lookups.append((externalUserID, currency, since))
        let matching = transfers.filter {
            $0.user == externalUserID && (currency == nil || $0.currency == currency) && $0.time >= since
        }
        return (matching.count, matching.reduce(0) { $0 + Int128($1.amount.magnitude) })
    }
}

/// A store that fails: its error must reach the caller, never turn into a decision.
struct FailingVelocityLookup: VelocityLookup {
    func totals(externalUserID: String, currency: String?, since: Timestamp) throws(ApprovalError)
        -> (count: Int, absoluteSum: Int128)
    {
        throw .storage("disk on fire")
    }
}

@Suite("Policy sets: ordered rules, first match wins")
struct PolicySetTests {
    typealias F = PolicyFixtures
    let noHistory = RecordingVelocityLookup()

    func requirement(_ approvals: Int, roles: Set<OperatorRole> = [.approver, .admin], operators: Set<String> = [],
                     expiresAfter: Duration = .seconds(86_400)) throws -> ApprovalRequirement {
        try ApprovalRequirement(approvals: approvals, from: ApproverEligibility(roles: roles, operators: operators),
                                expiresAfter: expiresAfter)
    }

    // MARK: Ordering and defaults

    @Test func theFirstMatchingRuleDecidesAndLaterOnesAreNotConsulted() throws {
        let big = PolicyRule(name: "big", condition: PolicyCondition(amountAbove: [F.usd: 100_000]), action: .deny)
        let usd = PolicyRule(name: "usd", condition: PolicyCondition(currencies: ["USD"]), action: .allow)
        let bigFirst = try PolicySet(rules: [big, usd])
        let usdFirst = try PolicySet(rules: [usd, big])
        let large = try F.facts("5000", F.usd)
        #expect(try bigFirst.decide(large, velocity: noHistory) == .deny(policy: "big"))
        #expect(try usdFirst.decide(large, velocity: noHistory) == .allow(policy: "usd"))
        // A small amount skips "big" and falls through to the next rule.
        #expect(try bigFirst.decide(try F.facts("5", F.usd), velocity: noHistory) == .allow(policy: "usd"))
    }

    @Test func noMatchingRuleDeniesByDefault() throws {
        let set = try PolicySet(rules: [PolicyRule(name: "btc", condition: PolicyCondition(currencies: ["BTC"]), action: .allow)])
        #expect(set.defaultDecision == .deny)
        #expect(try set.decide(try F.facts("1", F.usd), velocity: noHistory) == .deny(policy: "default"))
        #expect(try PolicySet(rules: []).decide(try F.facts("1", F.usd), velocity: noHistory) == .deny(policy: "default"))
    }

    @Test func theDefaultCanAllow() throws {
        let set = try PolicySet(rules: [PolicyRule(name: "btc", condition: PolicyCondition(currencies: ["BTC"]), action: .deny)],
                                defaultDecision: .allow)
        #expect(try set.decide(try F.facts("1", F.usd), velocity: noHistory) == .allow(policy: nil))
        #expect(try set.decide(try F.facts("1", F.btc), velocity: noHistory) == .deny(policy: "btc"))
    }

    @Test func ruleNamesMustBeUniqueNonEmptyAndNotReserved() {
        let allow = PolicyRule(name: "a", action: .allow)
        #expect(throws: ApprovalError.invalidRequest(
            "policy rules[1] (\"a\"): name is already used by an earlier rule; names must be unique")) {
            try PolicySet(rules: [allow, allow])
        }
        #expect(throws: ApprovalError.invalidRequest("policy rules[0]: name must not be empty")) {
            try PolicySet(rules: [PolicyRule(name: "", action: .allow)])
        }
        #expect(throws: ApprovalError.invalidRequest(
            "policy rules[0] (\"default\"): name \"default\" is reserved for the default decision")) {
            try PolicySet(rules: [PolicyRule(name: "default", action: .allow)])
        }
    }

    // MARK: Actions

    @Test func eachActionMakesItsDecision() throws {
        let hold = try requirement(3, roles: [.admin], operators: ["carol"], expiresAfter: .seconds(600))
        let set = try PolicySet(rules: [
            PolicyRule(name: "allow-usd", condition: PolicyCondition(currencies: ["USD"]), action: .allow),
            PolicyRule(name: "deny-eur", condition: PolicyCondition(currencies: ["EUR"]), action: .deny),
            PolicyRule(name: "hold-btc", condition: PolicyCondition(currencies: ["BTC"]), action: .require(hold)),
        ])
        #expect(try set.decide(try F.facts("1", F.usd), velocity: noHistory) == .allow(policy: "allow-usd"))
        #expect(try set.decide(try F.facts("1", F.eur), velocity: noHistory) == .deny(policy: "deny-eur"))
        #expect(try set.decide(try F.facts("1", F.btc), velocity: noHistory) == .requireApprovals(
            policy: "hold-btc", count: 3, eligibility: ApproverEligibility(roles: [.admin], operators: ["carol"]),
            expiresAfter: .seconds(600)))
    }

    @Test func requirementsDefaultToTwentyFourHours() throws {
        let requirement = try ApprovalRequirement(approvals: 1, from: ApproverEligibility(operators: ["alice"]))
        #expect(requirement.expiresAfter == .seconds(24 * 3600))
    }

    @Test(arguments: [
        (0, Set<OperatorRole>([.admin]), Set<String>(), Duration.seconds(60), "approvals must be between 1 and 100, not 0"),
        (101, [.admin], [], .seconds(60), "approvals must be between 1 and 100, not 101"),
        (1, [], [], .seconds(60), "roles or operators must name who may approve"),
        (3, [], ["alice", "bob"], .seconds(60), "3 approvals can never be met by the 2 named operators alone"),
        (1, [], [""], .seconds(60), "operators must not contain an empty name"),
        (1, [.admin], [], .seconds(0), "expiresAfterSeconds must be a whole number of seconds from 1 to 31622400"),
        (1, [.admin], [], .milliseconds(1500), "expiresAfterSeconds must be a whole number"),
        (1, [.admin], [], .seconds(31_622_401), "expiresAfterSeconds must be a whole number"),
    ] as [(Int, Set<OperatorRole>, Set<String>, Duration, String)])
    func impossibleRequirementsAreRefused(approvals: Int, roles: Set<OperatorRole>, operators: Set<String>,
                                          expiry: Duration, reason: String) {
        #expect {
            try ApprovalRequirement(approvals: approvals, from: ApproverEligibility(roles: roles, operators: operators),
                                    expiresAfter: expiry)
        } throws: { error in
            guard case .invalidRequest(let why) = error as? ApprovalError else { return false }
            return why.contains(reason)
        }
    }

    @Test func namedOperatorsAloneMayFormTheQuorum() throws {
        let hold = try requirement(2, roles: [], operators: ["alice", "bob"])
        let set = try PolicySet(rules: [PolicyRule(name: "pair", action: .require(hold))])
        #expect(try set.decide(try F.facts("1", F.usd), velocity: noHistory) == .requireApprovals(
            policy: "pair", count: 2, eligibility: ApproverEligibility(operators: ["alice", "bob"]),
            expiresAfter: .seconds(86_400)))
    }

    // MARK: Conditions

    @Test func currenciesRestrictTheRule() throws {
        let condition = PolicyCondition(currencies: ["BTC", "EUR"])
        #expect(try condition.matches(try F.facts("1", F.btc), velocity: noHistory))
        #expect(try condition.matches(try F.facts("-1", F.eur), velocity: noHistory))
        #expect(try !condition.matches(try F.facts("1", F.usd), velocity: noHistory))
    }

    /// Thresholds per currency at, just above and just below the boundary, in both directions (absolute amounts).
    @Test(arguments: [
        ("1000.00", "USD", false, false), ("1000.01", "USD", true, false), ("999.99", "USD", false, true),
        ("-1000.00", "USD", false, false), ("-1000.01", "USD", true, false), ("-999.99", "USD", false, true),
        ("1", "BTC", false, false), ("1.00000001", "BTC", true, false), ("0.99999999", "BTC", false, true),
        ("-1", "BTC", false, false), ("-1.00000001", "BTC", true, false), ("-0.99999999", "BTC", false, true),
        ("1000000", "EUR", false, false), ("-0.01", "EUR", false, false),  // no EUR entry: neither threshold matches
    ])
    func thresholdsCompareTheAbsoluteAmountStrictly(amount: String, code: String, isAbove: Bool, isBelow: Bool) throws {
        let limits = [F.usd: Int128(100_000), F.btc: Int128(100_000_000)]
        let facts = try F.facts(amount, try #require(F.currencies[code]))
        #expect(try PolicyCondition(amountAbove: limits).matches(facts, velocity: noHistory) == isAbove)
        #expect(try PolicyCondition(amountBelow: limits).matches(facts, velocity: noHistory) == isBelow)
    }

    @Test func aboveAndBelowTogetherMakeABand() throws {
        let band = PolicyCondition(amountAbove: [F.usd: 10_000], amountBelow: [F.usd: 50_000])
        #expect(try !band.matches(try F.facts("100", F.usd), velocity: noHistory))
        #expect(try band.matches(try F.facts("100.01", F.usd), velocity: noHistory))
        #expect(try band.matches(try F.facts("-499.99", F.usd), velocity: noHistory))
        #expect(try !band.matches(try F.facts("500", F.usd), velocity: noHistory))
    }

    @Test func directionSeparatesCreditsFromDebits() throws {
        let debits = PolicyCondition(direction: .debit)
        let credits = PolicyCondition(direction: .credit)
        let debit = try F.facts("-5", F.usd)
        let credit = try F.facts("5", F.usd)
        #expect(debit.direction == .debit)
        #expect(try debits.matches(debit, velocity: noHistory))
        #expect(try !debits.matches(credit, velocity: noHistory))
        #expect(try credits.matches(credit, velocity: noHistory))
        #expect(try !credits.matches(debit, velocity: noHistory))
    }

    @Test func userAndWalletListsRestrictTheRule() throws {
        let users = PolicyCondition(externalUserIDs: ["u-7", "u-8"])
        #expect(try users.matches(try F.facts("1", F.usd, user: "u-8"), velocity: noHistory))
        #expect(try !users.matches(try F.facts("1", F.usd, user: "u-9"), velocity: noHistory))
        let wallets = PolicyCondition(walletIDs: ["w-42"])
        #expect(try wallets.matches(try F.facts("1", F.usd, wallet: "w-42"), velocity: noHistory))
        #expect(try !wallets.matches(try F.facts("1", F.usd, wallet: "w-43"), velocity: noHistory))
    }

    @Test func everyGivenPartMustHold() throws {
        let condition = PolicyCondition(currencies: ["BTC"], amountAbove: [F.btc: 100_000_000], direction: .debit,
                                        externalUserIDs: ["u-1"], walletIDs: ["w-1"])
        let matching = try F.facts("-2", F.btc, user: "u-1", wallet: "w-1")
        #expect(try condition.matches(matching, velocity: noHistory))
        for failingOnePart in [
            try F.facts("-2", F.usd, user: "u-1", wallet: "w-1"),  // currency
            try F.facts("-0.5", F.btc, user: "u-1", wallet: "w-1"),  // amount
            try F.facts("2", F.btc, user: "u-1", wallet: "w-1"),  // direction
            try F.facts("-2", F.btc, user: "u-2", wallet: "w-1"),  // user
            try F.facts("-2", F.btc, user: "u-1", wallet: "w-2"),  // wallet
        ] {
            #expect(try !condition.matches(failingOnePart, velocity: noHistory), "\(failingOnePart)")
        }
        #expect(try PolicyCondition.always.matches(matching, velocity: noHistory))
    }

    @Test func emptyListsAndNegativeThresholdsAreRefused() {
        #expect(throws: ApprovalError.invalidRequest(
            "policy rules[0] (\"r\"): when.walletIDs is empty and would match nothing; leave it out to match any")) {
            try PolicySet(rules: [PolicyRule(name: "r", condition: PolicyCondition(walletIDs: []), action: .deny)])
        }
        #expect(throws: ApprovalError.invalidRequest(
            "policy rules[0] (\"r\"): when.amountBelow.USD must not be negative (amounts compare by absolute value)")) {
            try PolicySet(rules: [PolicyRule(name: "r", condition: PolicyCondition(amountBelow: [F.usd: -1]), action: .deny)])
        }
    }

    // MARK: Velocity

    @Test func userVelocitySumsThisCurrencyInsideTheWindowIncludingThisTransfer() throws {
        let history = RecordingVelocityLookup()
        let limit = try VelocityLimit(scope: .user, window: .seconds(3600), above: [F.usd: 1_000_000])  // 10,000 USD
        let condition = PolicyCondition(velocity: limit)
        try history.record("-6000", F.usd)  // counts while inside the hour
        try history.record("2", F.btc)  // another currency: not part of the USD sum
        try history.record("9999", F.usd, user: "u-2")  // another user
        history.clock.advance(by: .seconds(1800))
        // 6,000 + 4,000 = 10,000: at the limit, not above it.
        #expect(try !condition.matches(try F.facts("4000", F.usd, time: history.clock.now()), velocity: history))
        #expect(try condition.matches(try F.facts("-4000.01", F.usd, time: history.clock.now()), velocity: history))
        #expect(history.lookups.last?.since == PolicyFixtures.start + .seconds(1800) - .seconds(3600))
        #expect(history.lookups.last?.currency == "USD")

        // Exactly one window after the first transfer it still counts (created at or after the window's start) ...
        history.clock.set(PolicyFixtures.start + .seconds(3600))
        #expect(try condition.matches(try F.facts("4000.01", F.usd, time: history.clock.now()), velocity: history))
        // ... one second later it has left the window.
        history.clock.advance(by: .seconds(1))
        #expect(try !condition.matches(try F.facts("9999.99", F.usd, time: history.clock.now()), velocity: history))
        #expect(try condition.matches(try F.facts("10000.01", F.usd, time: history.clock.now()), velocity: history))
    }

    @Test func userVelocityCountsTransfersAcrossAllTheUsersWallets() throws {
        let history = RecordingVelocityLookup()
        let condition = PolicyCondition(velocity: try VelocityLimit(scope: .user, window: .seconds(86_400), countAbove: 2))
        try history.record("1", F.usd)
        history.clock.advance(by: .seconds(60))
        #expect(try !condition.matches(try F.facts("1", F.btc, time: history.clock.now()), velocity: history))  // 2nd
        try history.record("1", F.btc)
        history.clock.advance(by: .seconds(60))
        #expect(try condition.matches(try F.facts("1", F.eur, time: history.clock.now()), velocity: history))  // 3rd
        #expect(history.lookups.last?.currency == nil)
        #expect(try !condition.matches(try F.facts("1", F.eur, user: "u-2", time: history.clock.now()), velocity: history))
        // A day after the first transfer only the BTC one is left in the window.
        history.clock.set(PolicyFixtures.start + .seconds(86_401))
        #expect(try !condition.matches(try F.facts("1", F.usd, time: history.clock.now()), velocity: history))
    }

    @Test func walletPairVelocityCountsOnlyThisWallet() throws {
        let history = RecordingVelocityLookup()
        let condition = PolicyCondition(velocity: try VelocityLimit(scope: .walletPair, window: .seconds(600),
                                                                    above: [F.btc: 150_000_000], countAbove: 1))
        try history.record("-1", F.btc)
        try history.record("500", F.usd)
        try history.record("500", F.usd)
        history.clock.advance(by: .seconds(599))
        // USD: its pair holds 2 transfers already, the 3rd is above countAbove 1 (USD has no sum limit).
        #expect(try condition.matches(try F.facts("1", F.usd, time: history.clock.now()), velocity: history))
        #expect(history.lookups.last?.currency == "USD")
        // BTC: the second transfer of the pair is already above countAbove 1, whatever its amount.
        #expect(try condition.matches(try F.facts("0.00000001", F.btc, time: history.clock.now()), velocity: history))
        history.clock.advance(by: .seconds(2))  // everything left the window
        #expect(try !condition.matches(try F.facts("1.5", F.btc, time: history.clock.now()), velocity: history))
        #expect(try condition.matches(try F.facts("-1.50000001", F.btc, time: history.clock.now()), velocity: history))
    }

    @Test func walletPairSumsIgnoreOtherCurrenciesAndUsers() throws {
        let history = RecordingVelocityLookup()
        let condition = PolicyCondition(velocity: try VelocityLimit(scope: .walletPair, window: .seconds(600),
                                                                    above: [F.usd: 100_000]))
        try history.record("999", F.usd)
        try history.record("999", F.usd, user: "u-2")
        try history.record("999", F.eur)
        #expect(try !condition.matches(try F.facts("1", F.usd), velocity: history))
        #expect(try condition.matches(try F.facts("1.01", F.usd), velocity: history))
        #expect(try !condition.matches(try F.facts("1000000", F.eur), velocity: history))  // no EUR limit
    }

    @Test func velocityIsLookedUpOnlyWhenEveryOtherPartHolds() throws {
        let history = RecordingVelocityLookup()
        let condition = PolicyCondition(currencies: ["BTC"], velocity: try VelocityLimit(scope: .user,
                                                                                          window: .seconds(60), countAbove: 0))
        #expect(try !condition.matches(try F.facts("1", F.usd), velocity: history))
        #expect(history.lookups.isEmpty)
        #expect(try condition.matches(try F.facts("1", F.btc), velocity: history))
        #expect(history.lookups.count == 1)
    }

    @Test func aFailingLookupIsAnErrorNotADecision() throws {
        let set = try PolicySet(rules: [
            PolicyRule(name: "velocity", condition: PolicyCondition(velocity: try VelocityLimit(
                scope: .user, window: .seconds(60), countAbove: 5)), action: .deny),
            PolicyRule(name: "rest", action: .allow),
        ])
        #expect(throws: ApprovalError.storage("disk on fire")) {
            try set.decide(try F.facts("1", F.usd), velocity: FailingVelocityLookup())
        }
    }

    @Test func velocityLimitsNeedABoundAndAWindow() {
        #expect(throws: ApprovalError.invalidRequest("when.velocity needs above and/or countAbove")) {
            try VelocityLimit(scope: .user, window: .seconds(60))
        }
        #expect(throws: ApprovalError.invalidRequest("when.velocity.countAbove must not be negative, not -1")) {
            try VelocityLimit(scope: .user, window: .seconds(60), countAbove: -1)
        }
        #expect(throws: ApprovalError.self) { try VelocityLimit(scope: .user, window: .zero, countAbove: 1) }
        #expect(throws: ApprovalError.self) { try VelocityLimit(scope: .user, window: .seconds(60), above: [:]) }
        #expect(throws: ApprovalError.self) { try VelocityLimit(scope: .user, window: .seconds(60), above: [F.usd: -1]) }
    }

    // MARK: The example and the demo policy

    @Test func debitsAboveOneBitcoinNeedTwoAdminsWithinTwoHours() throws {
        let set = try PolicySet(rules: [
            PolicyRule(name: "big-btc-debits",
                       condition: PolicyCondition(currencies: ["BTC"], amountAbove: [F.btc: 100_000_000], direction: .debit),
                       action: .require(try requirement(2, roles: [.admin], expiresAfter: .seconds(2 * 3600)))),
            PolicyRule(name: "everything-else", action: .allow),
        ])
        let twoAdminsInTwoHours = PolicyDecision.requireApprovals(
            policy: "big-btc-debits", count: 2, eligibility: ApproverEligibility(roles: [.admin]),
            expiresAfter: .seconds(7200))
        #expect(try set.decide(try F.facts("-1.00000001", F.btc), velocity: noHistory) == twoAdminsInTwoHours)
        #expect(try set.decide(try F.facts("-25", F.btc), velocity: noHistory) == twoAdminsInTwoHours)
        #expect(try set.decide(try F.facts("-1", F.btc), velocity: noHistory) == .allow(policy: "everything-else"))
        #expect(try set.decide(try F.facts("25", F.btc), velocity: noHistory) == .allow(policy: "everything-else"))
        #expect(try set.decide(try F.facts("-250000", F.usd), velocity: noHistory) == .allow(policy: "everything-else"))
    }

    @Test(arguments: [
        ("1000", "USD", false), ("1000.01", "USD", true), ("-1000.01", "USD", true), ("-999.99", "USD", false),
        ("1", "BTC", false), ("1.00000001", "BTC", true), ("-1.00000001", "BTC", true), ("-0.5", "BTC", false),
    ])
    func theDemoPolicyHoldsAmountsAboveAThousandDollarsOrOneBitcoin(amount: String, code: String, held: Bool) throws {
        let demo = try PolicySet.demo(currencies: F.currencies)
        let decision = try demo.decide(try F.facts(amount, try #require(F.currencies[code])), velocity: noHistory)
        let expected: PolicyDecision = held
            ? .requireApprovals(policy: "large-transfers", count: 2,
                                eligibility: ApproverEligibility(roles: [.approver, .admin]), expiresAfter: .seconds(86_400))
            : .allow(policy: "everything-else")
        #expect(decision == expected)
    }

    @Test func theDemoPolicyNeedsUSDAndBTC() {
        #expect(throws: ApprovalError.invalidRequest("the demo policy needs the USD and BTC currencies")) {
            try PolicySet.demo(currencies: ["USD": F.usd])
        }
    }
}
