import BridgeApprovals
import BridgeCore
import BridgeCrypto
import Testing

@Suite("EIP-712 approval documents")
struct ApprovalTypedDataTests {
    let typedData: ApprovalTypedData
    let order: TransferOrder

    init() throws {
        typedData = try ApprovalTypedData(chainID: 7, deploymentID: Harness.deploymentID)
        order = TransferOrder(
            orderID: "ord-1", externalUserID: "alice", currency: "USD", walletID: "w00000001", amount: -150_000,
            status: .pendingApproval, policyName: "large", approvalsRequired: 2, eligibleApprovers: nil,
            nonce: [UInt8](repeating: 0xAB, count: 32), createdAt: Timestamp(secondsSinceEpoch: 1_795_000_000),
            expiresAt: Timestamp(millisecondsSinceEpoch: 1_795_007_200_999))
    }

    @Test func theDomainIsWalletBridgeVersion1WithTheChainAndDeploymentSalt() throws {
        let document = typedData.document(.transferApproval, message: typedData.transferMessage(for: order, decimals: 2))
        #expect(document["domain"]?.objectValue == [
            "name": "WalletBridge", "version": "1", "chainId": 7, "salt": .string("0x" + String(repeating: "d5", count: 32)),
        ])
        #expect(document["primaryType"] == "TransferApproval")
        let domainTypes = try #require(document["types"]?["EIP712Domain"]?.arrayValue)
        #expect(domainTypes.compactMap { $0["name"]?.stringValue } == ["name", "version", "chainId", "salt"])
        #expect(domainTypes.compactMap { $0["type"]?.stringValue } == ["string", "string", "uint256", "bytes32"])
    }

    @Test func theTransferApprovalCarriesTheStoredOrder() throws {
        let message = typedData.transferMessage(for: order, decimals: 2)
        #expect(message == [
            "orderId": "ord-1", "externalUserId": "alice", "wallet": "w00000001", "currency": "USD",
            "amount": "-1500.00", "direction": "debit", "policy": "large",
            "nonce": .string("0x" + String(repeating: "ab", count: 32)), "expiresAt": 1_795_007_200,
        ])
        let document = typedData.document(.transferApproval, message: message)
        let fields = try #require(document["types"]?["TransferApproval"]?.arrayValue)
        #expect(fields.compactMap { $0["name"]?.stringValue } == [
            "orderId", "externalUserId", "wallet", "currency", "amount", "direction", "policy", "nonce", "expiresAt",
        ])
        #expect(fields.last?["type"] == "uint64")
        let rejection = typedData.transferMessage(for: order, decimals: 2, rejectionReason: "no")
        #expect(rejection["reason"] == "no")
        let rejectionFields = typedData.document(.transferRejection, message: rejection)["types"]?["TransferRejection"]
        #expect(rejectionFields?.arrayValue?.count == 10)
    }

    @Test(arguments: ApprovalTypedData.Kind.allCases)
    func theFastDigestEqualsTypedDataOverTheFullDocument(kind: ApprovalTypedData.Kind) throws {
        let key = try Harness.key(9)
        let challenge = LoginChallenge(nonce: [UInt8](repeating: 3, count: 32), operatorID: "op", issuedAt: order.createdAt,
                                       expiresAt: order.createdAt + .seconds(300))
        let message: JSONObject = switch kind {
        case .transferApproval: typedData.transferMessage(for: order, decimals: 2)
        case .transferRejection: typedData.transferMessage(for: order, decimals: 2, rejectionReason: "too big")
        case .enrollment: typedData.enrollmentMessage(name: "alice", invite: "abc", address: Harness.address(key), path: "m/44'/60'/0'/0/0")
        case .login: typedData.loginMessage(operatorAddress: Harness.address(key), challenge: challenge)
        case .operatorRevocation:
            typedData.operatorRevocationMessage(operatorAddress: Harness.address(key), name: "bob", reason: "lost device",
                                                nonce: challenge.nonce, expiresAt: challenge.expiresAt)
        case .policyChange: typedData.policyChangeMessage(for: PolicyVersion(
            version: 2, policyJSON: "{}", hash: [UInt8](repeating: 0xAB, count: 32), status: .proposed, proposedBy: "op",
            createdAt: order.createdAt, expiresAt: order.createdAt + .seconds(86400), nonce: [UInt8](repeating: 5, count: 32)))
        }
        let document = typedData.document(kind, message: message)
        let reference = try TypedData(json: document).digest()
        #expect(try typedData.digest(kind, message: message) == reference)
        // The document survives a trip through JSON text, as devices and the CLI receive it.
        #expect(try TypedData(jsonText: document.serialized()).digest() == reference)
    }

    @Test func theOperatorRevocationIsFlatFieldsADeviceShowsOneByOne() throws {
        let key = try Harness.key(9)
        let message = typedData.operatorRevocationMessage(
            operatorAddress: Harness.address(key), name: "bob", reason: "lost device",
            nonce: [UInt8](repeating: 0x5A, count: 32), expiresAt: Timestamp(millisecondsSinceEpoch: 1_795_000_300_999))
        #expect(message == [
            "operator": .string(Harness.address(key).checksummed), "name": "bob", "reason": "lost device",
            "nonce": .string("0x" + String(repeating: "5a", count: 32)), "expiresAt": 1_795_000_300,
        ])
        let document = typedData.document(.operatorRevocation, message: message)
        #expect(document["primaryType"] == "OperatorRevocation")
        let fields = try #require(document["types"]?["OperatorRevocation"]?.arrayValue)
        #expect(fields.compactMap { $0["name"]?.stringValue } == ["operator", "name", "reason", "nonce", "expiresAt"])
        #expect(fields.compactMap { $0["type"]?.stringValue } == ["address", "string", "string", "bytes32", "uint64"])
    }

    @Test func anotherDeploymentOrChainChangesEveryDigest() throws {
        let message = typedData.transferMessage(for: order, decimals: 2)
        let otherSalt = try ApprovalTypedData(chainID: 7, deploymentID: [UInt8](repeating: 1, count: 32))
        let otherChain = try ApprovalTypedData(chainID: 8, deploymentID: Harness.deploymentID)
        let digest = try typedData.digest(.transferApproval, message: message)
        #expect(try otherSalt.digest(.transferApproval, message: message) != digest)
        #expect(try otherChain.digest(.transferApproval, message: message) != digest)
    }

    @Test func aDeploymentIDMustBe32Bytes() {
        let failure = approvalError { _ = try ApprovalTypedData(chainID: 1, deploymentID: [1, 2, 3]) }
        #expect(failure == .invalidRequest("the deployment id must be 32 bytes (the EIP-712 salt), got 3"))
    }

    @Test func theDeploymentIDIsCreatedOnceAndKeptWithTheData() throws {
        let store = InMemoryApprovalStore()
        let clock = ManualClock()
        let first = try ApprovalConfiguration.loadOrCreateDeploymentID(store: store, clock: clock)
        #expect(first.count == 32)
        #expect(try ApprovalConfiguration.loadOrCreateDeploymentID(store: store, clock: clock) == first)
        let stored = try store.transaction { transaction throws(ApprovalError) in
            try transaction.metadata(ApprovalConfiguration.deploymentIDKey)
        }
        #expect(stored == Hex.encode(first))
        let verification = try ApprovalService.verifyAuditChain(store: store)
        #expect(verification.ok && verification.events == 1)
        // A different database gets a different id.
        #expect(try ApprovalConfiguration.loadOrCreateDeploymentID(store: InMemoryApprovalStore(), clock: clock) != first)
    }

    @Test func currenciesAreLookedUpByCode() throws {
        let configuration = try ApprovalConfiguration(currencies: [Harness.usd, Harness.btc], deploymentID: Harness.deploymentID)
        #expect(configuration.currenciesByCode == ["USD": Harness.usd, "BTC": Harness.btc])
        #expect(try configuration.currency("BTC") == Harness.btc)
        #expect(approvalError { _ = try configuration.currency("usd") } == .currencyNotSupported("usd"))
        #expect(approvalError { _ = try ApprovalConfiguration(currencies: [Harness.usd, Harness.usd], deploymentID: Harness.deploymentID) }
            == .invalidRequest("a currency code is listed twice"))
        #expect(configuration.sessionTTL == .seconds(8 * 3600))
        #expect(configuration.idleTimeout == .seconds(30 * 60))
        #expect(configuration.inviteLifetime == .seconds(24 * 3600))
        #expect(configuration.loginChallengeLifetime == .seconds(300))
    }

    @Test func amountsKeepExactlyTheCurrencysDecimals() {
        let btcOrder = TransferOrder(
            orderID: "b", externalUserID: "u", currency: "BTC", walletID: "w", amount: 150_000_000, status: .pendingApproval,
            policyName: nil, approvalsRequired: 1, eligibleApprovers: nil, nonce: [UInt8](repeating: 0, count: 32),
            createdAt: order.createdAt, expiresAt: order.expiresAt)
        let message = typedData.transferMessage(for: btcOrder, decimals: 8)
        #expect(message["amount"] == "1.50000000")
        #expect(message["direction"] == "credit")
        #expect(message["policy"] == "")
    }
}
