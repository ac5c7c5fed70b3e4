import BridgeCore
import BridgeCrypto

/// The EIP-712 documents operators sign on their devices, as `eth_signTypedData_v4` JSON.
///
/// Domain `{name: "WalletBridge", version: "1", chainId, salt: deployment id}`. The service always rebuilds a
/// document from STORED data (the order, the invite, the challenge) and verifies the signature against that; a client
/// never supplies the content that gets verified, so a device that showed something else yields a signature that
/// recovers to a stranger.
public struct ApprovalTypedData: Sendable {
    /// The signed structs.
    public enum Kind: String, Sendable, CaseIterable {
        case transferApproval = "TransferApproval"
        case transferRejection = "TransferRejection"
        case enrollment = "Enrollment"
        case login = "Login"
        case operatorRevocation = "OperatorRevocation"
        case policyChange = "PolicyChange"

        /// Member names and EIP-712 types, in definition order.
        var members: [(name: String, type: String)] {
            let transfer: [(name: String, type: String)] = [
                ("orderId", "string"), ("externalUserId", "string"), ("wallet", "string"), ("currency", "string"),
                ("amount", "string"), ("direction", "string"), ("policy", "string"), ("nonce", "bytes32"),
                ("expiresAt", "uint64"),
            ]
            switch self {
            case .transferApproval: return transfer
            case .transferRejection: return transfer + [("reason", "string")]
            case .enrollment: return [("name", "string"), ("invite", "string"), ("address", "address"), ("path", "string")]
            case .login: return [("operator", "address"), ("nonce", "bytes32"), ("issuedAt", "uint64"), ("expiresAt", "uint64")]
            case .operatorRevocation:
                return [("operator", "address"), ("name", "string"), ("reason", "string"), ("nonce", "bytes32"),
                        ("expiresAt", "uint64")]
            case .policyChange:
                return [("version", "uint64"), ("policyHash", "bytes32"), ("expiresAt", "uint64"), ("nonce", "bytes32")]
            }
        }
    }

    static let domainMembers: [(name: String, type: String)] = [
        ("name", "string"), ("version", "string"), ("chainId", "uint256"), ("salt", "bytes32"),
    ]

    /// The domain object every document carries.
    public let domain: JSONObject
    /// hashStruct(EIP712Domain, domain), computed once.
    public let domainHash: [UInt8]
    /// A parsed schema per kind, so hashing a message does not re-validate the type definitions each time.
    private let schemas: [Kind: TypedData]

    /// Throws `invalid_request` unless `deploymentID` is 32 bytes.
    public init(chainID: UInt64, deploymentID: [UInt8]) throws(ApprovalError) {
        guard deploymentID.count == 32 else {
            throw .invalidRequest("the deployment id must be 32 bytes (the EIP-712 salt), got \(deploymentID.count)")
        }
        domain = [
            "name": "WalletBridge", "version": "1", "chainId": .number(JSONNumber(chainID)),
            "salt": .string(Hex.encodePrefixed(deploymentID)),
        ]
        var schemas: [Kind: TypedData] = [:]
        var domainHash: [UInt8] = []
        do {
            for kind in Kind.allCases {
                let schema = try TypedData(json: Self.document(kind, domain: domain, message: JSONObject()))
                schemas[kind] = schema
                domainHash = try schema.domainHash()
            }
        } catch {
            // The types are constants and the domain was validated above: only a bug gets here.
            throw .invalidRequest("the approval documents' EIP-712 types are invalid: \(error.message)")
        }
        self.schemas = schemas
        self.domainHash = domainHash
    }

    /// The full `eth_signTypedData_v4` document for `message`.
    public func document(_ kind: Kind, message: JSONObject) -> JSONValue {
        Self.document(kind, domain: domain, message: message)
    }

    /// The 32 bytes a device signs for `message`: keccak256(0x19 0x01 || domainHash || hashStruct(kind, message)),
    /// exactly what `TypedData(json: document(kind, message: message)).digest()` gives, without re-reading the types.
    /// Throws `invalid_request` when a value does not fit its type (e.g. a malformed address).
    public func digest(_ kind: Kind, message: JSONObject) throws(ApprovalError) -> [UInt8] {
        guard let schema = schemas[kind] else { throw .invalidRequest("no schema for \(kind.rawValue)") }
        let messageHash: [UInt8]
        do {
            messageHash = try schema.hashStruct(kind.rawValue, .object(message))
        } catch {
            throw .invalidRequest("\(kind.rawValue): \(error.message)")
        }
        var hasher = Keccak256()
        hasher.update([0x19, 0x01] as [UInt8])
        hasher.update(domainHash)
        hasher.update(messageHash)
        return hasher.finalize()
    }

    // MARK: Messages

    /// The `TransferApproval` message for a stored order, or `TransferRejection` when `rejectionReason` is given.
    public func transferMessage(for order: TransferOrder, decimals: Int, rejectionReason: String? = nil) -> JSONObject {
        var message: JSONObject = [
            "orderId": .string(order.orderID),
            "externalUserId": .string(order.externalUserID),
            "wallet": .string(order.walletID),
            "currency": .string(order.currency),
            "amount": .string(MinorUnits.format(order.amount, decimals: decimals)),
            "direction": .string(order.direction.rawValue),
            "policy": .string(order.policyName ?? ""),
            "nonce": .string(Hex.encodePrefixed(order.nonce)),
            "expiresAt": .number(JSONNumber((order.expiresAt ?? order.createdAt).secondsSinceEpoch)),
        ]
        if let rejectionReason { message["reason"] = .string(rejectionReason) }
        return message
    }

    /// The `Enrollment` message: the device proves it holds `address` and accepts the invite under `name`.
    public func enrollmentMessage(name: String, invite: String, address: EthereumAddress, path: String) -> JSONObject {
        ["name": .string(name), "invite": .string(invite), "address": .string(address.checksummed), "path": .string(path)]
    }

    /// The `Login` message for a stored challenge.
    public func loginMessage(operatorAddress: EthereumAddress, challenge: LoginChallenge) -> JSONObject {
        [
            "operator": .string(operatorAddress.checksummed),
            "nonce": .string(Hex.encodePrefixed(challenge.nonce)),
            "issuedAt": .number(JSONNumber(challenge.issuedAt.secondsSinceEpoch)),
            "expiresAt": .number(JSONNumber(challenge.expiresAt.secondsSinceEpoch)),
        ]
    }

    private static func document(_ kind: Kind, domain: JSONObject, message: JSONObject) -> JSONValue {
        func fields(_ members: [(name: String, type: String)]) -> JSONValue {
            .array(members.map { .object(["name": .string($0.name), "type": .string($0.type)]) })
        }
        return [
            "types": .object(JSONObject([("EIP712Domain", fields(domainMembers)), (kind.rawValue, fields(kind.members))])),
            "primaryType": .string(kind.rawValue),
            "domain": .object(domain),
            "message": .object(message),
        ]
    }
}
