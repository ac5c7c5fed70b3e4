import BridgeCore
import BridgeCrypto
import BridgeDevices
import BridgeSimulator
import Testing
import TestVectors

@Suite("Ledger dashboard APDUs replayed from ledger/dashboard_transcripts.json")
struct LedgerDashboardReplayTests {
    static let file = "ledger/dashboard_transcripts.json"

    /// B0 01 replies and what they decode to (the values the entries' notes spell out).
    @Test(arguments: [
        ("dashboard_get_app_and_version_bolos", AppInfo(name: "BOLOS", version: "1.4.0-rc2", flags: [])),
        ("app_get_app_and_version_bitcoin", AppInfo(name: "Bitcoin", version: "2.1.5-alpha", flags: [0x02])),
        ("app_get_app_and_version_ethereum", AppInfo(name: "Ethereum", version: "1.0.0", flags: [0x00])),
        ("app_get_app_and_version_bitcoin_legacy", AppInfo(name: "Bitcoin", version: "1.3.23", flags: [0x02])),
    ])
    func getAppAndVersion(name: String, expected: AppInfo) throws {
        let channel = try LedgerReplay.channel(Self.file, name)
        #expect(try LedgerReplay.run(LedgerGetAppAndVersion(), on: channel) == expected)
        #expect(channel.isFinished)
    }

    @Test func openAppConstructedEntry() throws {
        let channel = try LedgerReplay.channel(Self.file, "dashboard_open_app_ethereum")
        try LedgerReplay.run(LedgerOpenApp(name: "Ethereum"), on: channel)
        #expect(channel.isFinished)
    }

    @Test func quitAppConstructedEntry() throws {
        let channel = try LedgerReplay.channel(Self.file, "app_quit")
        try LedgerReplay.run(LedgerQuitApp(), on: channel)
        #expect(channel.isFinished)
    }

    /// Every entry is replayed above, except E0 01 (GET OS VERSION): WalletBridge identifies the open app with B0 01
    /// and has no use for the OS version.
    @Test func everyEntryIsCovered() throws {
        let names = try TestVectors.json(Self.file).arrayValue?.map { try $0.string("name") } ?? []
        #expect(Set(names) == [
            "dashboard_get_app_and_version_bolos", "app_get_app_and_version_bitcoin", "app_get_app_and_version_ethereum",
            "app_get_app_and_version_bitcoin_legacy", "dashboard_open_app_ethereum", "app_quit",
            "dashboard_get_os_version_stax",
        ])
    }
}

@Suite("Ledger dashboard operations fed by hand")
struct LedgerDashboardStateMachineTests {
    @Test func getAppAndVersionCommandBytes() throws {
        var operation = LedgerGetAppAndVersion()
        #expect(try operation.start().bytes == [0xB0, 0x01, 0x00, 0x00, 0x00])
        var quit = LedgerQuitApp()
        #expect(try quit.start().bytes == [0xB0, 0xA7, 0x00, 0x00, 0x00])
    }

    @Test(arguments: [
        ("0205424f4c4f5309312e342e302d726332", "format byte 2"),
        ("0105424f4c4f53", "ends inside its version length"),
        ("0105424f4c4f5309312e342e30", "ends inside its version"),
        ("0108457468657265756d05312e302e300200", "ends inside its flags"),
        ("0108457468657265756d05312e302e30010000", "unexpected bytes"),
        ("", "ends inside its format byte"),
    ])
    func malformedAppAndVersion(replyHex: String, problem: String) throws {
        var operation = LedgerGetAppAndVersion()
        _ = try operation.start()
        let reply = APDUResponse(data: try #require(Hex.decode(replyHex)), statusWord: 0x9000)
        LedgerReplay.expectProtocolError(problem) { _ = try operation.handle(reply) }
    }

    @Test func lockedDeviceAnswers5515() throws {
        var operation = LedgerGetAppAndVersion()
        _ = try operation.start()
        #expect(throws: DeviceError.locked) { try operation.handle(APDUResponse(statusWord: 0x5515)) }
    }

    @Test func openAppSendsTheName() throws {
        var operation = LedgerOpenApp(name: "Bitcoin Test")
        #expect(Hex.encode(try operation.start().bytes) == "e0d800000c426974636f696e2054657374")
    }

    @Test func openAppRefusedByTheUser() throws {
        var operation = LedgerOpenApp(name: "Ethereum")
        _ = try operation.start()
        #expect(throws: DeviceError.rejectedOnDevice) { try operation.handle(APDUResponse(statusWord: 0x5501)) }
    }

    @Test(arguments: [UInt16(0x6807), 0x670A, 0x5123])
    func openAppOfAnAppThatIsNotInstalled(statusWord: UInt16) throws {
        var operation = LedgerOpenApp(name: "Ethereum")
        _ = try operation.start()
        #expect(throws: DeviceError.wrongApp(expected: "Ethereum (install it with Ledger Live)", open: "BOLOS")) {
            try operation.handle(APDUResponse(statusWord: statusWord))
        }
    }

    @Test func openAppRefusesABadName() {
        var empty = LedgerOpenApp(name: "")
        #expect(throws: DeviceError.self) { try empty.start() }
        var control = LedgerOpenApp(name: "Eth\nereum")
        #expect(throws: DeviceError.self) { try control.start() }
    }

    @Test func openAndQuitRefuseDataInTheReply() throws {
        var open = LedgerOpenApp(name: "Ethereum")
        _ = try open.start()
        #expect(throws: DeviceError.protocolError("OPEN APP reply should be only a status word, but carries 1 data bytes")) {
            try open.handle(APDUResponse(data: [0x00], statusWord: 0x9000))
        }
        var quit = LedgerQuitApp()
        _ = try quit.start()
        #expect(throws: DeviceError.self) { try quit.handle(APDUResponse(data: [0x01, 0x02], statusWord: 0x9000)) }
    }
}
