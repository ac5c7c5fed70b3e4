// walletbridge-crash-child DB RUN SEED USD_FUNDING BTC_FUNDING
//
// The crash test's child (Tests/BridgeStoreTests/CrashTests.swift): applies transfer orders through ApprovalService on
// the SQLite database DB until it is killed with SIGKILL, and prints `committed <order id>` (one write, flushed)
// right after each order's completion committed. Small transfers apply at once; large ones (the demo policy: above
// 1,000 USD or 1 BTC) wait for two approvals that the child signs with the test operators' keys it holds, and a few
// are rejected instead. On start it finishes what a killed predecessor left: missing wallets or operators, and
// pending orders. Order ids are `r<RUN>-<n>`, so every run's ids are new. Test keys only; never use them for funds.
import BridgeApprovals
import BridgeCore
import BridgeCrypto
import BridgeStore
import Foundation
import TestVectors


/// The test operators and their device keys: `[0; 31] || number`.
let operators: [(name: String, role: OperatorRole, keyNumber: UInt8)] = [
    ("alice", .approver, 1), ("bob", .admin, 2), ("carol", .approver, 3),
]
let users = ["u-1", "u-2", "u-3"]

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("walletbridge-crash-child: \(message)\n".utf8))
    exit(1)
}

/// One line on stdout in one write, so a kill never leaves half of it in the pipe.
func report(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

func key(_ number: UInt8) throws -> PrivateKey {
    try PrivateKey([UInt8](repeating: 0, count: 31) + [number])
}

func sign(_ document: JSONValue, with key: PrivateKey) throws -> [UInt8] {
    try EthereumSignature.sign(digest: try TypedData(json: document).digest(), with: key).bytes
}

let arguments = CommandLine.arguments
guard arguments.count == 6, let run = Int(arguments[2]), let seed = UInt64(arguments[3]),
    let usdFunding = Int128(arguments[4]), let btcFunding = Int128(arguments[5])
else {
    fail("usage: walletbridge-crash-child DB RUN SEED USD_FUNDING BTC_FUNDING (funding in minor units)")
}

do {
    let usd = try Currency(code: "USD", decimals: 2)
    let btc = try Currency(code: "BTC", decimals: 8)
    let store = try SQLiteApprovalStore(path: arguments[1])
    let service = ApprovalService(
        store: store, policy: try PolicySet.demo(currencies: ["USD": usd, "BTC": btc]),
        configuration: try ApprovalConfiguration(currencies: [usd, btc], chainID: 1,
                                                 deploymentID: [UInt8](repeating: 0xC7, count: 32)),
        clock: SystemClock()
    )

    // Setup, idempotent: each step is its own transaction, and a kill may have stopped any of them.
    for user in users {
        for (currency, funding) in [("USD", usdFunding), ("BTC", btcFunding)] {
            let existing = try store.transaction { transaction throws(ApprovalError) in
                try transaction.wallet(externalUserID: user, currency: currency)
            }
            if existing == nil {
                try service.createWallet(externalUserID: user, currency: currency, initialBalance: funding)
            }
        }
    }
    var keysByOperatorID: [String: PrivateKey] = [:]
    let enrolled = try service.operators()
    for (name, role, number) in operators {
        let operatorKey = try key(number)
        if let existing = enrolled.first(where: { $0.name == name }) {
            keysByOperatorID[existing.id] = operatorKey
            continue
        }
        let address = EthereumAddress(publicKey: operatorKey.publicKey).checksummed
        let invite = try service.createInvite(role: role, actor: "admin:crash-test")
        let path = "m/44'/60'/\(number)'/0/0"
        let document = try service.enrollmentDocument(name: name, invite: invite, address: address, path: path)
        let record = try service.enroll(name: name, invite: invite, address: address, path: path,
                                        signature: try sign(document, with: operatorKey))
        keysByOperatorID[record.id] = operatorKey
    }

    var random = SeededGenerator(seed: seed)

    /// Signs approvals (or, when `reject`, one rejection) until the order is final; reports it if it completed.
    func decide(_ orderID: String, reject: Bool) throws {
        let (_, decided) = try service.order(id: orderID)
        let undecided = keysByOperatorID.filter { id, _ in !decided.contains { $0.operatorID == id } }
        for (_, operatorKey) in undecided.sorted(by: { $0.key < $1.key }) {
            let decision: ApprovalRecord.Decision = reject ? .reject : .approve
            let reason = reject ? "crash test rejection" : nil
            let document = try service.approvalDocument(orderID: orderID, decision: decision, reason: reason)
            let order = try service.submitDecision(orderID: orderID, decision: decision,
                                                   signature: try sign(document, with: operatorKey), reason: reason)
            if order.status == .completed { report("committed \(orderID)") }
            if order.status.isFinal { return }
        }
    }

    // Finish what the killed predecessor left pending.
    for order in try service.pendingOrders() { try decide(order.orderID, reject: false) }

    for number in 0..<100_000 {
        let orderID = "r\(run)-\(number)"
        let inBTC = Bool.random(using: &random)
        let large = Int.random(in: 0..<4, using: &random) == 0
        let sign = Bool.random(using: &random) ? "" : "-"
        let amount: String
        if inBTC {
            let satoshis = large ? Int64.random(in: 100_000_001...300_000_000, using: &random)
                : Int64.random(in: 1...100_000_000, using: &random)
            amount = sign + MinorUnits.format(Int128(satoshis), decimals: 8)
        } else {
            let cents = large ? Int64.random(in: 100_001...500_000, using: &random) : Int64.random(in: 1...100_000, using: &random)
            amount = sign + MinorUnits.format(Int128(cents), decimals: 2)
        }
        let request = TransferRequest(orderID: orderID, externalUserID: users.randomElement(using: &random) ?? "u-1",
                                      currency: inBTC ? "BTC" : "USD", amount: amount)
        let outcome: TransferOutcome
        do {
            outcome = try service.submitTransfer(request)
        } catch {
            // Debits that do not fit are refused and leave nothing; the next order may be a credit.
            if case .insufficientFunds = error { continue }
            throw error
        }
        switch outcome.order.status {
        case .completed: report("committed \(orderID)")
        case .pendingApproval:
            report("pending \(orderID)")
            try decide(orderID, reject: Int.random(in: 0..<10, using: &random) == 0)
        case .rejected, .expired: break
        }
    }
} catch {
    fail("\(error)")
}
