import BridgeApprovals
import BridgeCore
import BridgeCrypto
import BridgeDevices
import BridgeSimulator
import Testing

/// What an operator's device shows before it signs a TransferApproval: the document the service builds for an order
/// (`ApprovalTypedData.transferMessage`), signed field by field by the bridge's ``TrezorDevice`` on a simulated core
/// Trezor and by its ``LedgerDevice`` on a simulated Ledger. The last screen before the signature, the one the operator confirms, carries the transfer's amount,
/// currency, external user and order id; declining there signs nothing.
@Suite("What the operator's device shows before it signs a transfer")
struct OperatorDeviceScreenTests {
    let order = TransferOrder(
        orderID: "ORD-2026-0042", externalUserID: "client-7781", currency: "USD", walletID: "w-usd-1", amount: 125_000,
        status: .pendingApproval, policyName: "large", approvalsRequired: 2, eligibleApprovers: nil,
        nonce: Array(repeating: 0xAB, count: 32), createdAt: Timestamp(secondsSinceEpoch: 1_800_000_000),
        expiresAt: Timestamp(secondsSinceEpoch: 1_800_000_600))

    func sign(on simulator: SimulatedTrezor) async throws -> TypedDataSignatureResult {
        let typedData = try ApprovalTypedData(chainID: 1, deploymentID: Array(repeating: 0x11, count: 32))
        let document = typedData.document(.transferApproval, message: typedData.transferMessage(for: order, decimals: 2))
        let device = TrezorDevice(
            link: SimulatedTrezorLink(device: simulator),
            descriptor: DeviceDescriptor(id: "sim", family: .trezor, model: "safe5", transport: "sim", path: "sim:trezor"),
            credentials: TrezorCredentials())
        return try await device.signTypedData(path: try DerivationPath(parsing: "m/44'/60'/0'/0/0"),
                                              typedData: try TypedData(json: document), mode: .full,
                                              OperationOptions(timeout: .seconds(30)))
    }

    @Test("the confirmed screen shows amount, currency, external user and order id; the signature follows it")
    func approvalScreens() async throws {
        let simulator = try SimulatedTrezor(configuration: SimulatedTrezor.Configuration())
        _ = try await sign(on: simulator)
        let confirmed = try #require(simulator.screensShown.last)
        #expect(confirmed.name == "confirm_typed_data_final")
        for line in ["amount: 1250.00", "currency: USD", "externalUserId: client-7781", "orderId: ORD-2026-0042"] {
            #expect(confirmed.lines.contains(line), "\(line) not on \(confirmed.lines)")
        }
        #expect(simulator.screensShown.contains { $0.name == "should_show_domain" && !$0.lines.isEmpty })
    }

    @Test("an operator who reads the transfer and declines: the fields were on screen, nothing is signed")
    func declined() async throws {
        var configuration = SimulatedTrezor.Configuration()
        // YES on the address, domain and struct screens, NO on the final one.
        configuration.scriptedDecisions = [.approve, .approve, .approve, .deny]
        let simulator = try SimulatedTrezor(configuration: configuration)
        await #expect(throws: DeviceError.self) { _ = try await sign(on: simulator) }
        let declinedScreen = try #require(simulator.screensShown.last)
        #expect(declinedScreen.name == "confirm_typed_data_final" && declinedScreen.shows("1250.00"))
    }

    @Test("a Ledger (Ethereum app, clear signing) reviews the same fields before \"Sign typed message\"")
    func ledgerReview() async throws {
        let simulator = try SimulatedLedger(configuration: SimulatedLedger.Configuration())
        let typedData = try ApprovalTypedData(chainID: 1, deploymentID: Array(repeating: 0x11, count: 32))
        let document = typedData.document(.transferApproval, message: typedData.transferMessage(for: order, decimals: 2))
        let device = LedgerDevice(
            channel: LedgerHIDChannel(link: SimulatedLedgerLink(device: simulator)),
            descriptor: DeviceDescriptor(id: "sim", family: .ledger, model: "nanoX", transport: "sim", path: "sim:ledger"))
        _ = try await device.signTypedData(path: try DerivationPath(parsing: "m/44'/60'/0'/0/0"),
                                           typedData: try TypedData(json: document), mode: .full,
                                           OperationOptions(timeout: .seconds(30)))
        let screens = simulator.screensShown
        #expect(screens.last?.title == "Sign typed message")
        let reviewed = screens.flatMap(\.lines)
        for line in ["amount: 1250.00", "currency: USD", "externalUserId: client-7781", "orderId: ORD-2026-0042"] {
            #expect(reviewed.contains(line), "\(line) not reviewed")
        }
    }
}
