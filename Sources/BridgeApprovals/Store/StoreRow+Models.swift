import BridgeCore
import BridgeCrypto

// Decoding the session manager's rows, for every store. Columns are read in the order of the matching `...Columns`
// list of each store's transaction files (the same order in both). A value that does not decode (an unknown status, a
// malformed address) is a storage error naming the row: the database was changed behind the service's back.

extension Wallet {
    public init(row: some StoreRow) throws(ApprovalError) {
        self.init(
            id: try row.string(0), kind: try row.enumeration(1, Kind.self), externalUserID: try row.string(2),
            currency: try row.string(3), balance: try row.money(4), held: try row.money(5), createdAt: try row.timestamp(6),
            status: try row.enumeration(7, Status.self), closedAt: try row.optionalTimestamp(8)
        )
    }
}

extension TransferOrder {
    public init(row: some StoreRow) throws(ApprovalError) {
        let orderID = try row.string(0)
        var eligibility: ApproverEligibility?
        if let json = try row.optionalString(8) {
            eligibility = try ApproverEligibility(canonicalJSON: json, orderID: orderID)
        }
        self.init(
            orderID: orderID, externalUserID: try row.string(1), currency: try row.string(2), walletID: try row.string(3),
            amount: try row.money(4), status: try row.enumeration(5, OrderStatus.self), policyName: try row.optionalString(6),
            approvalsRequired: try row.int(7), eligibleApprovers: eligibility, nonce: try row.bytes(9),
            createdAt: try row.timestamp(10), expiresAt: try row.optionalTimestamp(11), decidedAt: try row.optionalTimestamp(12),
            balanceAfter: try row.optionalMoney(13), reason: try row.optionalString(14),
            initiatorOperatorID: try row.optionalString(15)
        )
        policyVersion = try row.optionalInt64(16).flatMap { Int(exactly: $0) }
    }
}

extension ApproverEligibility {
    /// `{"operators":[...],"roles":[...]}` with both arrays sorted, so equal eligibilities store equal text.
    public var canonicalJSON: String {
        let value: JSONValue = [
            "operators": .array(operators.sorted().map(JSONValue.string)),
            "roles": .array(roles.map(\.rawValue).sorted().map(JSONValue.string)),
        ]
        return value.serialized(.canonical)
    }

    public init(canonicalJSON text: String, orderID: String) throws(ApprovalError) {
        let malformed = ApprovalError.storage("order \(orderID) has malformed eligible_approvers: \(text)")
        guard let json = try? JSONValue(parsing: text), let operators = json["operators"]?.arrayValue,
            let roles = json["roles"]?.arrayValue
        else { throw malformed }
        var roleSet: Set<OperatorRole> = []
        for role in roles {
            guard let name = role.stringValue, let parsed = OperatorRole(rawValue: name) else { throw malformed }
            roleSet.insert(parsed)
        }
        var operatorSet: Set<String> = []
        for name in operators {
            guard let name = name.stringValue else { throw malformed }
            operatorSet.insert(name)
        }
        self.init(roles: roleSet, operators: operatorSet)
    }
}

extension ApprovalRecord {
    public init(row: some StoreRow) throws(ApprovalError) {
        self.init(
            orderID: try row.string(0), operatorID: try row.string(1), decision: try row.enumeration(2, Decision.self),
            signature: try row.bytes(3), createdAt: try row.timestamp(4), reason: try row.optionalString(5)
        )
    }
}

extension Operator {
    public init(row: some StoreRow) throws(ApprovalError) {
        let id = try row.string(0)
        let addressText = try row.string(3)
        guard let bytes = Hex.decode(addressText), let address = try? EthereumAddress(bytes: bytes) else {
            throw .storage("operator \(id) has a malformed address \"\(addressText)\"")
        }
        self.init(
            id: id, name: try row.string(1), role: try row.enumeration(2, OperatorRole.self), address: address,
            publicKey: try row.bytes(4), path: try row.string(5), status: try row.enumeration(6, Status.self),
            enrolledAt: try row.timestamp(7), revokedAt: try row.optionalTimestamp(8)
        )
    }
}

extension Invite {
    public init(row: some StoreRow) throws(ApprovalError) {
        self.init(
            codeHash: try row.bytes(0), role: try row.enumeration(1, OperatorRole.self), createdAt: try row.timestamp(2),
            expiresAt: try row.timestamp(3), usedAt: try row.optionalTimestamp(4), usedByOperatorID: try row.optionalString(5)
        )
    }
}

extension LoginChallenge {
    public init(row: some StoreRow) throws(ApprovalError) {
        self.init(
            nonce: try row.bytes(0), operatorID: try row.string(1), issuedAt: try row.timestamp(2),
            expiresAt: try row.timestamp(3), usedAt: try row.optionalTimestamp(4)
        )
    }
}

extension OperatorSession {
    public init(row: some StoreRow) throws(ApprovalError) {
        self.init(
            tokenHash: try row.bytes(0), operatorID: try row.string(1), createdAt: try row.timestamp(2),
            expiresAt: try row.timestamp(3), lastUsedAt: try row.timestamp(4), boundIP: try row.optionalString(5),
            revokedAt: try row.optionalTimestamp(6)
        )
    }
}

extension AuditEvent {
    public init(row: some StoreRow) throws(ApprovalError) {
        let sequence = try row.int64(0)
        let payloadText = try row.string(4)
        guard let payload = try? JSONValue(parsing: payloadText) else {
            throw .storage("audit event \(sequence) has a payload that is not JSON")
        }
        self.init(
            sequence: sequence, time: try row.timestamp(1), actor: try row.string(2), kind: try row.string(3),
            payload: payload, previousHash: try row.bytes(5), hash: try row.bytes(6)
        )
    }
}

extension OutboxMessage {
    public init(row: some StoreRow) throws(ApprovalError) {
        self.init(
            id: try row.int64(0), event: try row.string(1), body: try row.string(2), createdAt: try row.timestamp(3),
            nextAttemptAt: try row.timestamp(4), attempts: try row.int(5), deliveredAt: try row.optionalTimestamp(6),
            failedAt: try row.optionalTimestamp(7)
        )
    }
}

