import BridgeApprovals
import BridgeCore
import BridgeCrypto
import BridgeDevices
import BridgeServer
import BridgeSimulator
import BridgeStore
import FoundationEssentials

/// `serve --demo`: demo wallets, a stored API key, and two operators whose simulated Ledgers enrol through the real
/// enrolment flow (the device signs the EIP-712 Enrollment). Everything here is for demos: the simulator's seed is
/// public.
enum DemoService {
    static let apiKeyMetadata = "demo.api_key"

    /// The demo operators: CONTRACT section 3, "Demo defaults".
    static let operators: [(name: String, path: String, role: OperatorRole)] = [
        ("alice", "m/44'/60'/0'/0/0", .admin),
        ("bob", "m/44'/60'/1'/0/0", .approver),
    ]

    static let wallets: [(user: String, currency: String, balance: String)] = [
        ("demo-alice", "USD", "5000.00"), ("demo-alice", "BTC", "2.5"), ("demo-bob", "USD", "250.00"),
        ("demo-bob", "BTC", "0.05"),
    ]

    /// The demo's API key: created on the first start and kept in the database, so a restart prints the same one.
    static func apiKey(in store: any ApprovalStore) throws(ApprovalError) -> String {
        try store.transaction { transaction throws(ApprovalError) in
            if let key = try transaction.metadata(apiKeyMetadata) { return key }
            let key = "demo_" + Hex.encode(try ApprovalService.secureRandomBytes(16))
            try transaction.setMetadata(apiKeyMetadata, key)
            return key
        }
    }

    /// Creates what is missing: wallets, then operators enrolled with simulated Ledgers.
    static func seed(_ service: ApprovalService, io: CommandIO) async throws {
        for wallet in wallets where !(try hasWallet(service, user: wallet.user, currency: wallet.currency)) {
            let currency = try service.configuration.currency(wallet.currency)
            do {
                try service.createWallet(externalUserID: wallet.user, currency: wallet.currency,
                                         initialBalance: try MinorUnits.parse(wallet.balance, decimals: currency.decimals),
                                         actor: "demo")
            } catch {
                // Several instances starting together on one PostgreSQL database: another one created it first.
                guard try hasWallet(service, user: wallet.user, currency: wallet.currency) else { throw error }
            }
        }
        let enrolled = Set(try service.operators().map(\.name))
        for demoOperator in operators where !enrolled.contains(demoOperator.name) {
            let device = LedgerDevice(
                channel: LedgerHIDChannel(link: SimulatedLedgerLink(device: try SimulatedLedger())),
                descriptor: DeviceDescriptor(id: "sim:ledger", family: .ledger, model: "simulated", transport: "sim",
                                             path: "in-process"))
            let path = try DerivationPath(parsing: demoOperator.path)
            let address = try await device.address(AddressRequest(path: path), OperationOptions()).address
            let invite = try service.createInvite(role: demoOperator.role, actor: "demo")
            let document = try service.enrollmentDocument(name: demoOperator.name, invite: invite, address: address,
                                                          path: demoOperator.path)
            let signed = try await device.signTypedData(path: path, typedData: try TypedData(json: document), mode: .full,
                                                        OperationOptions())
            do {
                _ = try service.enroll(name: demoOperator.name, invite: invite, address: address, path: demoOperator.path,
                                       signature: signed.signature.bytes)
            } catch {
                guard try service.operators().contains(where: { $0.name == demoOperator.name }) else { throw error }
                continue  // enrolled by another instance starting at the same time
            }
            io.progress("Demo operator \(demoOperator.name) (\(demoOperator.role.rawValue)) enrolled with a simulated Ledger at \(demoOperator.path).")
        }
    }

    private static func hasWallet(_ service: ApprovalService, user: String, currency: String) throws(ApprovalError) -> Bool {
        do {
            _ = try service.wallet(externalUserID: user, currency: currency)
            return true
        } catch {
            if case .accountNotFound = error { return false }
            throw error
        }
    }

    /// What `serve --demo` prints on standard error: commands that work as printed, signatures included.
    static func guidance(url: String, apiKey: String, executable: String = DemoService.invocation()) -> [String] {
        func signed(_ body: String) -> String {
            let object = (try? JSONValue(parsing: body))?.objectValue ?? JSONObject()
            return CRMRequestSignature.signature(of: object, apiKey: apiKey)
        }
        let list = #"{"skip":0,"limit":20}"#
        let small = #"{"external_user_id":"demo-alice","currency":"USD","amount":-25.50,"order_id":"demo-small-0001"}"#
        let large = #"{"external_user_id":"demo-alice","currency":"USD","amount":-1500.00,"order_id":"demo-large-0001"}"#
        return [
            "WARNING: demo mode. The operators' simulated Ledgers use Speculos's PUBLIC test seed; never use this for real money.",
            "The CRM's view (every request carries the API key; requests with a body also its signature):",
            "  curl -s -X POST \(url)/wallets -H 'key: \(apiKey)' -H 'signature: \(signed(list))' -H 'content-type: application/json' -d '\(list)'",
            "  curl -s '\(url)/wallets/getOne?external_user_id=demo-alice&currency=USD' -H 'key: \(apiKey)'",
            "A small transfer applies at once (200):",
            "  curl -s -X PATCH \(url)/wallets/balance -H 'key: \(apiKey)' -H 'signature: \(signed(small))' -H 'content-type: application/json' -d '\(small)'",
            "A large one waits for two operator approvals (202):",
            "  curl -s -X PATCH \(url)/wallets/balance -H 'key: \(apiKey)' -H 'signature: \(signed(large))' -H 'content-type: application/json' -d '\(large)'",
            "The operators approve it on their (simulated) Ledgers:",
            "  \(executable) operator pending --server \(url) --transport sim:ledger --path \"m/44'/60'/0'/0/0\"",
            "  \(executable) operator approve demo-large-0001 --server \(url) --transport sim:ledger --path \"m/44'/60'/0'/0/0\"",
            "  \(executable) operator approve demo-large-0001 --server \(url) --transport sim:ledger --path \"m/44'/60'/1'/0/0\"",
            "Or in the browser: start the local bridge to the simulated Ledger, open the console, sign in, approve:",
            "  \(executable) bridge --transport sim:ledger --allow-origin \(url)",
            "  \(url)/console/",
            "Then the order is completed:",
            "  curl -s '\(url)/wallets/order?order_id=demo-large-0001' -H 'key: \(apiKey)'",
            "Health and metrics: curl -s \(url)/health ; curl -s \(url)/metrics",
            "Stop with Ctrl-C (SIGINT) or SIGTERM.",
        ]
    }

    /// How a pasted command reaches this binary: `walletbridge` when that name on the PATH is this very file (after
    /// `make install`), otherwise this binary's absolute path (`make run` runs it from `.build/`), so the printed
    /// commands work as printed either way.
    static func invocation(path: String = ProcessInfo.processInfo.environment["PATH"] ?? "") -> String {
        let own = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        for directory in path.split(separator: ":") {
            let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent("walletbridge").path
            guard FileManager.default.isExecutableFile(atPath: candidate) else { continue }
            let resolved = URL(fileURLWithPath: candidate).resolvingSymlinksInPath().path
            return resolved == URL(fileURLWithPath: own).resolvingSymlinksInPath().path ? "walletbridge" : own
        }
        return own
    }
}
