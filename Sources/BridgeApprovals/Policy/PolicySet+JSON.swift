import BridgeCore

extension PolicySet {
    /// Reads a policy set from its JSON configuration.
    ///
    /// ```json
    /// {
    ///   "default": "deny",
    ///   "rules": [
    ///     {
    ///       "name": "big-btc-debits",
    ///       "when": {"currencies": ["BTC"], "direction": "debit", "amountAbove": {"BTC": "1"}},
    ///       "then": {"require": {"approvals": 2, "roles": ["admin"], "expiresAfterSeconds": 7200}}
    ///     },
    ///     {
    ///       "name": "velocity",
    ///       "when": {"velocity": {"scope": "user", "windowSeconds": 86400, "above": {"USD": "10000"}}},
    ///       "then": {"require": {"approvals": 1, "roles": ["approver", "admin"]}}
    ///     },
    ///     {"name": "blocked-user", "when": {"externalUserIDs": ["u-666"]}, "then": "deny"},
    ///     {"name": "everything-else", "then": "allow"}
    ///   ]
    /// }
    /// ```
    ///
    /// - `default`: `"deny"` (when left out) or `"allow"`: the decision when no rule matches.
    /// - `rules`: evaluated in order; the first rule whose `when` holds decides. Each rule has a unique `name` (the
    ///   policy recorded on the order and in the audit chain; `"default"` is reserved), an optional `when` and a
    ///   `then`.
    /// - `when` (left out or `{}`: matches everything; otherwise every part given must hold):
    ///   - `currencies`: currency codes, e.g. `["BTC"]`.
    ///   - `direction`: `"credit"` (amount > 0, into the external wallet) or `"debit"`.
    ///   - `amountAbove` / `amountBelow`: per currency code, a decimal amount as a string (`"1000"`, `"0.5"`; a JSON
    ///     number is read by its exact text too). The transfer's absolute amount must be strictly above / below the
    ///     entry for its currency; a currency without an entry does not match.
    ///   - `externalUserIDs`: the CRM's `external_user_id`s; `walletIDs`: our wallet ids.
    ///   - `velocity`: `{"scope": "user" | "walletPair", "windowSeconds": N, "above": {"USD": "10000"},
    ///     "countAbove": 5}`: matches when, over the last N seconds, the user's transfers (pending or completed)
    ///     including this one sum to more than `above` in this transfer's currency, or number more than
    ///     `countAbove`. `user` counts all of the user's wallets; `walletPair` only this wallet (user + currency).
    ///     Sums are per currency in both scopes.
    /// - `then`: `"allow"`, `"deny"` or `{"require": {"approvals": m, "roles": ["approver", "admin"],
    ///   "operators": ["alice"], "expiresAfterSeconds": 7200}}`: hold the transfer until m distinct eligible
    ///   operators (any operator with one of `roles`, or one of the named `operators`; the initiator never counts)
    ///   approve on their devices, within `expiresAfterSeconds` (default 86400, at most 366 days).
    ///
    /// Unknown keys are errors, so a misspelt condition cannot silently widen a rule; so are unknown currencies,
    /// empty lists and amounts finer than the currency's decimals. Errors are `invalid_request` naming the rule
    /// (`policy rules[1] ("velocity")`) and the field (`when.velocity.windowSeconds`).
    public init(json: JSONValue, currencies: [String: Currency]) throws(ApprovalError) {
        let root = try PolicyObjectReader(json, path: "", context: "policy", allowedKeys: ["default", "rules"])
        let defaultDecision: DefaultDecision
        switch try root.string("default") {
        case nil: defaultDecision = .deny
        case let text?:
            guard let decision = DefaultDecision(rawValue: text) else {
                throw .invalidRequest("policy: default must be \"deny\" or \"allow\", not \"\(text)\"")
            }
            defaultDecision = decision
        }
        guard let rulesJSON = root.object["rules"] else {
            throw .invalidRequest("policy: rules is missing (an array of rules, possibly empty)")
        }
        guard let ruleValues = rulesJSON.arrayValue else {
            throw .invalidRequest("policy: rules must be an array, not \(rulesJSON.typeName)")
        }
        var rules: [PolicyRule] = []
        for (index, ruleJSON) in ruleValues.enumerated() {
            rules.append(try PolicyRule(json: ruleJSON, index: index, currencies: currencies))
        }
        try self.init(rules: rules, defaultDecision: defaultDecision)
    }

    /// The configuration JSON of this set, in the format ``init(json:currencies:)`` reads: lists sorted, amounts
    /// with the currency's decimals, every default written out. Reading it back gives an equal set.
    public var json: JSONValue {
        .object(["default": .string(defaultDecision.rawValue), "rules": .array(rules.map(\.json))])
    }
}

extension PolicyRule {
    init(json: JSONValue, index: Int, currencies: [String: Currency]) throws(ApprovalError) {
        let nameForContext = json["name"]?.stringValue
        let context = PolicySet.context(index: index, name: nameForContext)
        let rule = try PolicyObjectReader(json, path: "", context: context, allowedKeys: ["name", "when", "then"])
        guard let name = try rule.string("name") else { throw .invalidRequest("\(context): name is missing") }
        var condition = PolicyCondition.always
        if let when = try rule.object("when", allowedKeys: PolicyCondition.jsonKeys) {
            condition = try PolicyCondition(reading: when, currencies: currencies)
        }
        guard let then = rule.object["then"] else {
            throw .invalidRequest("\(context): then is missing (\"allow\", \"deny\" or {\"require\": {...}})")
        }
        let action: PolicyAction
        switch then {
        case .string("allow"): action = .allow
        case .string("deny"): action = .deny
        case .object:
            let wrapper = try PolicyObjectReader(then, path: "then", context: context, allowedKeys: ["require"])
            guard let require = try wrapper.object("require", allowedKeys: ApprovalRequirement.jsonKeys) else {
                throw .invalidRequest("\(context): then must be \"allow\", \"deny\" or {\"require\": {...}}")
            }
            action = .require(try ApprovalRequirement(reading: require))
        default:
            throw .invalidRequest("\(context): then must be \"allow\", \"deny\" or {\"require\": {...}}, not "
                + then.serialized())
        }
        self.init(name: name, condition: condition, action: action)
    }

    var json: JSONValue {
        var object = JSONObject()
        object["name"] = .string(name)
        if !condition.isUnconditional { object["when"] = condition.json }
        object["then"] = switch action {
        case .allow: "allow"
        case .deny: "deny"
        case .require(let requirement): .object(["require": requirement.json])
        }
        return .object(object)
    }
}

extension PolicyCondition {
    static let jsonKeys: Set<String> = [
        "currencies", "direction", "amountAbove", "amountBelow", "externalUserIDs", "walletIDs", "velocity",
    ]

    init(reading when: PolicyObjectReader, currencies table: [String: Currency]) throws(ApprovalError) {
        self.init()
        if let codes = try when.stringSet("currencies") {
            for code in codes where table[code] == nil {
                throw when.error("currencies", "unknown currency \"\(code)\" (known: \(Self.known(table)))")
            }
            currencies = codes
        }
        if let text = try when.string("direction") {
            guard let parsed = TransferDirection(rawValue: text) else {
                throw when.error("direction", "must be \"credit\" or \"debit\", not \"\(text)\"")
            }
            direction = parsed
        }
        amountAbove = try when.amounts("amountAbove", currencies: table)
        amountBelow = try when.amounts("amountBelow", currencies: table)
        externalUserIDs = try when.stringSet("externalUserIDs")
        walletIDs = try when.stringSet("walletIDs")
        if let reader = try when.object("velocity", allowedKeys: ["scope", "windowSeconds", "above", "countAbove"]) {
            velocity = try VelocityLimit(reading: reader, currencies: table)
        }
    }

    var json: JSONValue {
        var object = JSONObject()
        if let currencies { object["currencies"] = .sortedStrings(currencies) }
        if let direction { object["direction"] = .string(direction.rawValue) }
        if let amountAbove { object["amountAbove"] = .amounts(amountAbove) }
        if let amountBelow { object["amountBelow"] = .amounts(amountBelow) }
        if let externalUserIDs { object["externalUserIDs"] = .sortedStrings(externalUserIDs) }
        if let walletIDs { object["walletIDs"] = .sortedStrings(walletIDs) }
        if let velocity { object["velocity"] = velocity.json }
        return .object(object)
    }

    static func known(_ table: [String: Currency]) -> String { table.keys.sorted().joined(separator: ", ") }
}

extension VelocityLimit {
    init(reading reader: PolicyObjectReader, currencies: [String: Currency]) throws(ApprovalError) {
        guard let scopeText = try reader.string("scope") else {
            throw reader.error("scope", "is missing (\"user\" or \"walletPair\")")
        }
        guard let scope = Scope(rawValue: scopeText) else {
            throw reader.error("scope", "must be \"user\" or \"walletPair\", not \"\(scopeText)\"")
        }
        guard let windowSeconds = try reader.integer("windowSeconds") else {
            throw reader.error("windowSeconds", "is missing")
        }
        let countAbove = try reader.integer("countAbove")
        let above = try reader.amounts("above", currencies: currencies)
        do {
            try self.init(scope: scope, window: .seconds(windowSeconds), above: above,
                          countAbove: countAbove.map { Int(clamping: $0) })
        } catch {
            throw error.prefixed(reader.context)
        }
    }

    var json: JSONValue {
        var object = JSONObject()
        object["scope"] = .string(scope.rawValue)
        object["windowSeconds"] = .number(JSONNumber(window.components.seconds))
        if let above { object["above"] = .amounts(above) }
        if let countAbove { object["countAbove"] = .number(JSONNumber(countAbove)) }
        return .object(object)
    }
}

extension ApprovalRequirement {
    static let jsonKeys: Set<String> = ["approvals", "roles", "operators", "expiresAfterSeconds"]

    init(reading reader: PolicyObjectReader) throws(ApprovalError) {
        guard let approvals = try reader.integer("approvals") else { throw reader.error("approvals", "is missing") }
        var roles: Set<OperatorRole> = []
        for text in try reader.stringSet("roles") ?? [] {
            guard let role = OperatorRole(rawValue: text) else {
                throw reader.error("roles", "\"\(text)\" is not a role (\"approver\" or \"admin\")")
            }
            roles.insert(role)
        }
        let operators = try reader.stringSet("operators") ?? []
        let expiry = try reader.integer("expiresAfterSeconds").map { Duration.seconds($0) } ?? Self.defaultExpiry
        do {
            try self.init(approvals: Int(clamping: approvals), from: ApproverEligibility(roles: roles, operators: operators),
                          expiresAfter: expiry)
        } catch {
            throw error.prefixed("\(reader.context): then.require")
        }
    }

    var json: JSONValue {
        var object = JSONObject()
        object["approvals"] = .number(JSONNumber(approvals))
        if !from.roles.isEmpty { object["roles"] = .sortedStrings(Set(from.roles.map(\.rawValue))) }
        if !from.operators.isEmpty { object["operators"] = .sortedStrings(from.operators) }
        object["expiresAfterSeconds"] = .number(JSONNumber(expiresAfter.components.seconds))
        return .object(object)
    }
}

extension JSONValue {
    fileprivate static func sortedStrings(_ strings: Set<String>) -> JSONValue {
        .array(strings.sorted().map { .string($0) })
    }

    /// `{"BTC": "1.00000000", "USD": "1000.00"}`: each amount with its currency's decimals.
    fileprivate static func amounts(_ amounts: [Currency: Int128]) -> JSONValue {
        var object = JSONObject()
        for (currency, minorUnits) in amounts.sorted(by: { $0.key.code < $1.key.code }) {
            object[currency.code] = .string(MinorUnits.format(minorUnits, decimals: currency.decimals))
        }
        return .object(object)
    }
}
