import BridgeCore
import BridgeCrypto
import BridgeDevices
import BridgeSimulator
import TestVectors
import Testing

/// The simulated Ledger answers every Speculos-seed recording byte for byte.
@Suite("Simulated Ledger: recorded transcripts")
struct SimulatedLedgerTranscriptTests {
    @Test func everyRecordedEthereumAppExchange() throws {
        let entries = try #require(try TestVectors.json("ledger/recorded_eth_app_1_22_0.json").arrayValue)
        #expect(entries.count == 23)
        var compared = 0
        for entry in entries {
            let settings = entry["input"]?["app_settings"]
            guard let blindSigning = settings?["blind_signing"]?.boolValue,
                let rawMessages = settings?["raw_eip712_messages"]?.boolValue
            else {
                Issue.record("\(entry["name"]?.stringValue ?? "?") has no app_settings")
                continue
            }
            let device = try SimulatorTest.device(.init(
                approval: SimulatorTest.approval(of: entry), app: .ethereum, blindSigning: blindSigning,
                rawMessages: rawMessages))
            compared += try SimulatorTest.replay(entry, on: device)
        }
        #expect(compared > 100)
    }

    @Test func everyRecordedBitcoinAppExchange() throws {
        let entries = try #require(try TestVectors.json("ledger/recorded_btc_app_2_4_6.json").arrayValue)
        #expect(entries.count == 8)
        for entry in entries {
            let device = try SimulatorTest.device(.init(approval: SimulatorTest.approval(of: entry), app: .bitcoin))
            try SimulatorTest.replay(entry, on: device)
        }
    }

    @Test(arguments: ["eth_sign_tx_eip1559", "eth_sign_tx_eip2930_two_chunks", "eth_sign_eip712_full_permit"])
    func speculosSeedEthereumTranscript(_ name: String) throws {
        let entries = try #require(try TestVectors.json("ledger/eth_app_transcripts.json").arrayValue)
        let entry = try #require(entries.first { $0["name"]?.stringValue == name }, "\(name) is missing")
        // The permit recording was made against app 1.0.0, which its B0 01 reports.
        let version = name == "eth_sign_eip712_full_permit" ? "1.0.0" : nil
        try SimulatorTest.replay(entry, on: try SimulatorTest.device(.init(app: .ethereum, appVersion: version)))
    }

    @Test func speculosSeedBitcoinTestTranscripts() throws {
        let entries = try #require(try TestVectors.json("ledger/btc_app_transcripts.json").arrayValue)
        let speculos = entries.filter { $0["name"]?.stringValue?.hasPrefix("btc_new_") == true }
        #expect(speculos.count == 3)
        for entry in speculos {
            try SimulatorTest.replay(entry, on: try SimulatorTest.device(.init(app: .bitcoinTest)))
        }
    }

    @Test func constructedDashboardTranscripts() throws {
        let entries = try #require(try TestVectors.json("ledger/dashboard_transcripts.json").arrayValue)
        let openApp = try #require(entries.first { $0["name"]?.stringValue == "dashboard_open_app_ethereum" })
        let device = try SimulatorTest.device(.init(app: .dashboard))
        try SimulatorTest.replay(openApp, on: device)
        #expect(device.openApp == .ethereum)
        let quit = try #require(entries.first { $0["name"]?.stringValue == "app_quit" })
        try SimulatorTest.replay(quit, on: device)
        #expect(device.openApp == .dashboard)
    }
}
