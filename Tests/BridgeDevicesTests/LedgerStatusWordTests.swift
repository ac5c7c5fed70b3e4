import BridgeCore
import BridgeCrypto
import BridgeDevices
import Testing

@Suite("Ledger status words map to contract codes")
struct LedgerStatusWordTests {
    let ethereum = LedgerStatusWord.Context(app: "Ethereum", openApp: "Bitcoin")

    @Test(arguments: [
        (UInt16(0x5515), ErrorCode.deviceLocked), (0x6982, .deviceLocked), (0x6985, .rejectedOnDevice),
        (0x5501, .rejectedOnDevice), (0x6D00, .wrongApp), (0x6E00, .wrongApp), (0x6E01, .wrongApp), (0x6D02, .wrongApp),
        (0x6511, .wrongApp), (0x6807, .wrongApp), (0x5502, .deviceNotInitialized), (0x6901, .busy),
        (0x6A82, .notSupported), (0x6B00, .protocolError), (0x6A80, .badArgument), (0x1234, .protocolError),
    ])
    func codes(statusWord: UInt16, code: ErrorCode) {
        #expect(LedgerStatusWord.error(for: statusWord, context: ethereum).code == code)
    }

    @Test func wrongAppNamesBothApps() {
        let error = LedgerStatusWord.error(for: 0x6E00, context: ethereum)
        #expect(error == .wrongApp(expected: "Ethereum", open: "Bitcoin"))
        #expect(error.message == "The Ethereum app is needed, but Bitcoin is open")
        #expect(error.hint.contains("Open the Ethereum app"))
    }

    @Test func invalidDataOnTypedDataNamesTheSetting() {
        let hashed = LedgerStatusWord.error(for: 0x6A80, context: .init(app: "Ethereum", typedDataMode: .hashed))
        #expect(hashed.code == .deviceSettingsRefuse)
        #expect(hashed.hint.contains("Blind signing"))
        let full = LedgerStatusWord.error(for: 0x6A80, context: .init(app: "Ethereum", typedDataMode: .full))
        #expect(full.code == .deviceSettingsRefuse)
        #expect(full.hint.contains("Raw messages"))
    }

    @Test func pathEncoding() throws {
        let path = try DerivationPath(parsing: "m/44'/60'/0'/0/0")
        #expect(Hex.encode(try path.ledgerEncoded()) == "058000002c8000003c800000000000000000000000")
        #expect(try DerivationPath(ledgerEncoded: try path.ledgerEncoded()[...]) == path)
        #expect(throws: DeviceError.self) { try DerivationPath(indexes: Array(repeating: 0, count: 11)).ledgerEncoded() }
        #expect(throws: DeviceError.self) { try DerivationPath(ledgerEncoded: [0x02, 0, 0, 0, 1][...]) }
    }
}
