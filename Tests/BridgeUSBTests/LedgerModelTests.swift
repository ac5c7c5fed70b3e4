import BridgeUSB
import Testing

/// The model behind a product id, per ../shared/reference/ledger.md section 1.1 (device-sdk-ts
/// StaticDeviceModelDataSource.ts, ledger-live devices/src/index.ts).
@Suite("Ledger model from the USB product id")
struct LedgerModelTests {
    @Test("A running device: the high byte is the model, the low byte its interfaces", arguments: [
        (UInt16(0x1011), LedgerModel.nanos), (0x4011, .nanox), (0x4015, .nanox), (0x5011, .nanosp), (0x5015, .nanosp),
        (0x6011, .stax), (0x7011, .flex), (0x8011, .apex), (0x40FF, .nanox), (0x1000, .nanos),
    ])
    func highByte(productID: UInt16, model: LedgerModel) {
        #expect(LedgerModel.identify(productID: productID) == model)
        #expect(LedgerModel.name(forProductID: productID) == model.rawValue)
    }

    @Test("Bootloader and old firmware: the exact legacy product id", arguments: [
        (UInt16(0x0000), LedgerModel.blue), (0x0001, .nanos), (0x0004, .nanox), (0x0005, .nanosp), (0x0006, .stax),
        (0x0007, .flex), (0x0008, .apex),
    ])
    func legacy(productID: UInt16, model: LedgerModel) {
        #expect(LedgerModel.identify(productID: productID) == model)
        #expect(model.legacyProductID == productID)
    }

    @Test("Product ids no known model uses stay unknown, named by their high byte")
    func unknown() {
        // 0x30 is the SDK's HW2 (ledger-live's stale Flex "europa"); 0x90 the SDK's Apex M; 0x0002/0x0003/0x0009 are
        // no model's legacy PID.
        for productID: UInt16 in [0x3000, 0x3011, 0x9011, 0xA000, 0x0002, 0x0003, 0x0009] {
            #expect(LedgerModel.identify(productID: productID) == nil, "0x\(String(productID, radix: 16))")
        }
        #expect(LedgerModel.name(forProductID: 0x3011) == "unknown-0x3000")
        #expect(LedgerModel.name(forProductID: 0x9011) == "unknown-0x9000")
        #expect(LedgerModel.name(forProductID: 0x0002) == "unknown-0x0000")
    }

    @Test("Model names as enumerate prints them")
    func names() {
        #expect(LedgerModel.allCases.map(\.rawValue) == ["blue", "nanos", "nanox", "nanosp", "stax", "flex", "apex"])
        #expect(LedgerModel.nanosp.displayName == "Ledger Nano S Plus")
        #expect(LedgerModel.vendorID == 0x2C97)
    }
}
