import BridgeApprovals
import BridgeCore
import Testing

@Suite("Policy configuration JSON")
struct PolicyParsingTests {
    typealias F = PolicyFixtures

    /// The example of the documentation (and the README).
    static let documentedExample = """
        {"default":"deny","rules":[{"name":"big-btc-debits","when":{"currencies":["BTC"],"direction":"debit",
        "amountAbove":{"BTC":"1"}},"then":{"require":{"approvals":2,"roles":["admin"],"expiresAfterSeconds":7200}}},
        {"name":"velocity","when":{"velocity":{"scope":"user","windowSeconds":86400,"above":{"USD":"10000"}}},
        "then":{"require":{"approvals":1,"roles":["approver","admin"]}}},{"name":"everything-else","then":"allow"}]}
        """

    func parse(_ text: String) throws -> PolicySet {
        try PolicySet(json: try JSONValue(parsing: text), currencies: F.currencies)
    }

    @Test func theDocumentedExampleReadsAsTheRulesItDescribes() throws {
        let parsed = try parse(Self.documentedExample)
        let expected = try PolicySet(rules: [
            PolicyRule(name: "big-btc-debits",
                       condition: PolicyCondition(currencies: ["BTC"], amountAbove: [F.btc: 100_000_000], direction: .debit),
                       action: .require(try ApprovalRequirement(approvals: 2, from: ApproverEligibility(roles: [.admin]),
                                                                expiresAfter: .seconds(7200)))),
            PolicyRule(name: "velocity",
                       condition: PolicyCondition(velocity: try VelocityLimit(scope: .user, window: .seconds(86_400),
                                                                              above: [F.usd: 1_000_000])),
                       action: .require(try ApprovalRequirement(approvals: 1,
                                                                from: ApproverEligibility(roles: [.approver, .admin])))),
            PolicyRule(name: "everything-else", action: .allow),
        ], defaultDecision: .deny)
        #expect(parsed == expected)
        #expect(parsed.rules.map(\.name) == ["big-btc-debits", "velocity", "everything-else"])
    }

    @Test func theDocumentedExampleDecidesAsDocumented() throws {
        let set = try parse(Self.documentedExample)
        let history = RecordingVelocityLookup()
        try history.record("9000", F.usd)
        history.clock.advance(by: .seconds(3600))
        let now = history.clock.now()
        #expect(try set.decide(try F.facts("-1.5", F.btc, time: now), velocity: history) == .requireApprovals(
            policy: "big-btc-debits", count: 2, eligibility: ApproverEligibility(roles: [.admin]),
            expiresAfter: .seconds(7200)))
        #expect(try set.decide(try F.facts("1000.01", F.usd, time: now), velocity: history) == .requireApprovals(
            policy: "velocity", count: 1, eligibility: ApproverEligibility(roles: [.approver, .admin]),
            expiresAfter: .seconds(86_400)))
        #expect(try set.decide(try F.facts("1000", F.usd, time: now), velocity: history) == .allow(policy: "everything-else"))
    }

    @Test func everyConditionAndActionSurvivesARoundTrip() throws {
        let text = """
            {"rules":[
             {"name":"blocked","when":{"externalUserIDs":["u-9","u-666"],"walletIDs":["w-1"]},"then":"deny"},
             {"name":"band","when":{"amountAbove":{"USD":"100","BTC":0.5},"amountBelow":{"USD":"200.5"},
               "direction":"credit","currencies":["USD","BTC"]},"then":{"require":{"approvals":2,
               "operators":["bob","alice"],"roles":["approver"]}}},
             {"name":"pair","when":{"velocity":{"scope":"walletPair","windowSeconds":600,"countAbove":3,
               "above":{"BTC":"2"}}},"then":{"require":{"approvals":1,"operators":["carol"],"expiresAfterSeconds":60}}},
             {"name":"rest","when":{},"then":"allow"}],"default":"allow"}
            """
        let set = try parse(text)
        #expect(set.defaultDecision == .allow)
        #expect(set.rules[1].condition.amountAbove == [F.usd: 10_000, F.btc: 50_000_000])
        #expect(set.rules[1].condition.amountBelow == [F.usd: 20_050])
        #expect(set.rules[3].condition.isUnconditional)
        let again = try PolicySet(json: set.json, currencies: F.currencies)
        #expect(again == set)
        #expect(again.json == set.json)
        // Through text as well, the way a config file is written and read back.
        #expect(try parse(set.json.serialized(.canonical)) == set)
        #expect(set.json["rules"]?.arrayValue?[1].serialized(.canonical) == """
            {"name":"band","then":{"require":{"approvals":2,"expiresAfterSeconds":86400,"operators":["alice","bob"],\
            "roles":["approver"]}},"when":{"amountAbove":{"BTC":"0.50000000","USD":"100.00"},\
            "amountBelow":{"USD":"200.50"},"currencies":["BTC","USD"],"direction":"credit"}}
            """)
    }

    @Test func theDemoPolicyRoundTripsToo() throws {
        let demo = try PolicySet.demo(currencies: F.currencies)
        #expect(try PolicySet(json: demo.json, currencies: F.currencies) == demo)
        #expect(demo.json.serialized(.canonical) == """
            {"default":"deny","rules":[{"name":"large-transfers","then":{"require":{"approvals":2,\
            "expiresAfterSeconds":86400,"roles":["admin","approver"]}},"when":{"amountAbove":{"BTC":"1.00000000",\
            "USD":"1000.00"}}},{"name":"everything-else","then":"allow"}]}
            """)
    }

    @Test func leftOutDefaultsAreDenyAndTwentyFourHours() throws {
        let set = try parse(#"{"rules":[{"name":"r","then":{"require":{"approvals":1,"roles":["admin"]}}}]}"#)
        #expect(set.defaultDecision == .deny)
        guard case .require(let requirement) = set.rules[0].action else {
            Issue.record("expected a require action, got \(set.rules[0].action)")
            return
        }
        #expect(requirement.expiresAfter == .seconds(86_400))
    }

    @Test func theFingerprintDependsOnMeaningNotSpelling() throws {
        let plain = try parse(#"{"rules":[{"name":"r","when":{"amountAbove":{"BTC":"1"}},"then":"deny"}]}"#)
        let respelled = try parse(#"{"rules":[{"then":"deny","when":{"amountAbove":{"BTC":1.0}},"name":"r"}],"default":"deny"}"#)
        let changed = try parse(#"{"rules":[{"name":"r","when":{"amountAbove":{"BTC":"1.00000001"}},"then":"deny"}]}"#)
        let renamed = try parse(#"{"rules":[{"name":"s","when":{"amountAbove":{"BTC":"1"}},"then":"deny"}]}"#)
        #expect(plain.fingerprint.count == 64)
        #expect(plain.fingerprint.allSatisfy { "0123456789abcdef".contains($0) })
        #expect(plain.fingerprint == respelled.fingerprint)
        #expect(plain.fingerprint != changed.fingerprint)
        #expect(plain.fingerprint != renamed.fingerprint)
        let canonical = #"{"default":"deny","rules":[{"name":"r","then":"deny","when":{"amountAbove":{"BTC":"1.00000000"}}}]}"#
        #expect(plain.json.serialized(.canonical) == canonical)
        // SHA-256 of exactly that text (computed with `printf %s '<canonical>' | sha256sum`).
        #expect(plain.fingerprint == "6ff1e65b4ad725abdd21a11104b58d6efd246e720b36084c00f4787c34f3ad9a")
    }

    /// Each mistake is refused with `invalid_request` naming the rule and the field.
    @Test(arguments: [
        (#"[]"#, "policy: must be an object, not array"),
        (#"{"rules":[],"default":"maybe"}"#, #"policy: default must be "deny" or "allow", not "maybe""#),
        (#"{}"#, "policy: rules is missing"),
        (#"{"rules":{}}"#, "policy: rules must be an array, not object"),
        (#"{"rules":[],"rulez":[]}"#, "policy: rulez is not a known field (known: default, rules)"),
        (#"{"rules":["allow"]}"#, "policy rules[0]: must be an object, not string"),
        (#"{"rules":[{"then":"allow"}]}"#, "policy rules[0]: name is missing"),
        (#"{"rules":[{"name":7,"then":"allow"}]}"#, "policy rules[0]: name must be a string, not number"),
        (#"{"rules":[{"name":"a","then":"allow"},{"name":"a","then":"deny"}]}"#,
         #"policy rules[1] ("a"): name is already used"#),
        (#"{"rules":[{"name":"default","then":"allow"}]}"#, #"policy rules[0] ("default"): name "default" is reserved"#),
        (#"{"rules":[{"name":"a","wen":{},"then":"allow"}]}"#, #"policy rules[0] ("a"): wen is not a known field"#),
        (#"{"rules":[{"name":"a","when":{"amountabove":{}},"then":"allow"}]}"#,
         #"policy rules[0] ("a"): when.amountabove is not a known field"#),
        (#"{"rules":[{"name":"a","when":[],"then":"allow"}]}"#, #"policy rules[0] ("a"): when must be an object, not array"#),
        (#"{"rules":[{"name":"a"}]}"#, #"policy rules[0] ("a"): then is missing"#),
        (#"{"rules":[{"name":"a","then":"approve"}]}"#, #"policy rules[0] ("a"): then must be "allow", "deny" or"#),
        (#"{"rules":[{"name":"a","then":{"allow":{}}}]}"#, #"policy rules[0] ("a"): then.allow is not a known field"#),
        (#"{"rules":[{"name":"a","then":{"require":{"roles":["admin"]}}}]}"#,
         #"policy rules[0] ("a"): then.require.approvals is missing"#),
        (#"{"rules":[{"name":"a","then":{"require":{"approvals":"2","roles":["admin"]}}}]}"#,
         #"policy rules[0] ("a"): then.require.approvals must be a whole number, not "2""#),
        (#"{"rules":[{"name":"a","then":{"require":{"approvals":0,"roles":["admin"]}}}]}"#,
         #"policy rules[0] ("a"): then.require: approvals must be between 1 and 100, not 0"#),
        (#"{"rules":[{"name":"a","then":{"require":{"approvals":1,"roles":["root"]}}}]}"#,
         #"policy rules[0] ("a"): then.require.roles "root" is not a role"#),
        (#"{"rules":[{"name":"a","then":{"require":{"approvals":1}}}]}"#,
         #"policy rules[0] ("a"): then.require: roles or operators must name who may approve"#),
        (#"{"rules":[{"name":"a","then":{"require":{"approvals":2,"operators":["alice"]}}}]}"#,
         #"policy rules[0] ("a"): then.require: 2 approvals can never be met by the 1 named operators alone"#),
        (#"{"rules":[{"name":"a","then":{"require":{"approvals":1,"roles":["admin"],"expiresAfterSeconds":0}}}]}"#,
         #"policy rules[0] ("a"): then.require: expiresAfterSeconds must be a whole number of seconds from 1"#),
        (#"{"rules":[{"name":"a","then":{"require":{"approvals":1,"roles":["admin"],"expiresAfterSeconds":1.5}}}]}"#,
         #"policy rules[0] ("a"): then.require.expiresAfterSeconds must be a whole number, not 1.5"#),
        (#"{"rules":[{"name":"a","then":{"require":{"approvals":1,"roles":["admin"],"expiresIn":60}}}]}"#,
         #"policy rules[0] ("a"): then.require.expiresIn is not a known field"#),
        (#"{"rules":[{"name":"a","when":{"currencies":["BTX"]},"then":"deny"}]}"#,
         #"policy rules[0] ("a"): when.currencies unknown currency "BTX" (known: BTC, EUR, USD)"#),
        (#"{"rules":[{"name":"a","when":{"currencies":[]},"then":"deny"}]}"#,
         #"policy rules[0] ("a"): when.currencies is empty and would match nothing"#),
        (#"{"rules":[{"name":"a","when":{"currencies":"BTC"},"then":"deny"}]}"#,
         #"policy rules[0] ("a"): when.currencies must be an array of strings, not string"#),
        (#"{"rules":[{"name":"a","when":{"externalUserIDs":[1]},"then":"deny"}]}"#,
         #"policy rules[0] ("a"): when.externalUserIDs must be an array of strings; found number"#),
        (#"{"rules":[{"name":"a","when":{"amountAbove":{"BTC":"1.000000001"}},"then":"deny"}]}"#,
         #"policy rules[0] ("a"): when.amountAbove.BTC is invalid: "1.000000001" has more precision than the currency's 8"#),
        (#"{"rules":[{"name":"a","when":{"amountAbove":{"GBP":"1"}},"then":"deny"}]}"#,
         #"policy rules[0] ("a"): when.amountAbove.GBP is an unknown currency"#),
        (#"{"rules":[{"name":"a","when":{"amountBelow":{"USD":"-5"}},"then":"deny"}]}"#,
         #"policy rules[0] ("a"): when.amountBelow.USD must not be negative"#),
        (#"{"rules":[{"name":"a","when":{"amountAbove":{"USD":true}},"then":"deny"}]}"#,
         #"policy rules[0] ("a"): when.amountAbove.USD must be a decimal string such as "1000", not boolean"#),
        (#"{"rules":[{"name":"a","when":{"amountAbove":{}},"then":"deny"}]}"#,
         #"policy rules[0] ("a"): when.amountAbove is empty"#),
        (#"{"rules":[{"name":"a","when":{"direction":"sideways"},"then":"deny"}]}"#,
         #"policy rules[0] ("a"): when.direction must be "credit" or "debit", not "sideways""#),
        (#"{"rules":[{"name":"ok","then":"allow"},{"name":"v","when":{"velocity":{"scope":"team","windowSeconds":60,"countAbove":1}},"then":"deny"}]}"#,
         #"policy rules[1] ("v"): when.velocity.scope must be "user" or "walletPair", not "team""#),
        (#"{"rules":[{"name":"v","when":{"velocity":{"scope":"user","countAbove":1}},"then":"deny"}]}"#,
         #"policy rules[0] ("v"): when.velocity.windowSeconds is missing"#),
        (#"{"rules":[{"name":"v","when":{"velocity":{"scope":"user","windowSeconds":0,"countAbove":1}},"then":"deny"}]}"#,
         #"policy rules[0] ("v"): when.velocity.windowSeconds must be a whole number of seconds from 1 to 31622400"#),
        (#"{"rules":[{"name":"v","when":{"velocity":{"scope":"user","windowSeconds":60}},"then":"deny"}]}"#,
         #"policy rules[0] ("v"): when.velocity needs above and/or countAbove"#),
        (#"{"rules":[{"name":"v","when":{"velocity":{"scope":"user","windowSeconds":60,"countAbove":-1}},"then":"deny"}]}"#,
         #"policy rules[0] ("v"): when.velocity.countAbove must not be negative"#),
        (#"{"rules":[{"name":"v","when":{"velocity":{"scope":"user","windowSeconds":60,"above":{"USD":"1.001"}}},"then":"deny"}]}"#,
         #"policy rules[0] ("v"): when.velocity.above.USD is invalid"#),
        (#"{"rules":[{"name":"v","when":{"velocity":{"scope":"user","windowSeconds":60,"count":1}},"then":"deny"}]}"#,
         #"policy rules[0] ("v"): when.velocity.count is not a known field"#),
    ])
    func mistakesNameTheRuleAndTheField(text: String, expected: String) throws {
        let json = try JSONValue(parsing: text)
        #expect {
            try PolicySet(json: json, currencies: F.currencies)
        } throws: { error in
            guard case .invalidRequest(let why) = error as? ApprovalError else { return false }
            let matches = why.hasPrefix(expected)
            if !matches { Issue.record("message was: \(why)") }
            return matches
        }
    }
}
