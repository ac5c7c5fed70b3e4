import BridgeCore
import BridgeDevices
@testable import BridgeUSB
import Foundation
import Testing

@Suite("HID link")
struct HIDLinkTests {
    @Test("Opening a path with no device behind it fails as a lost connection (code -3)")
    func missingPath() {
        #expect {
            _ = try HIDLink(path: "/dev/hidraw-walletbridge-missing-\(UUID().uuidString)")
        } throws: { error in
            guard let error = error as? DeviceError, case .disconnected(let why) = error else { return false }
            return error.code == .connectionLost && why.contains("no device at /dev/hidraw-walletbridge-missing")
        }
    }

    @Test("A node the user may not open is a permission problem whose hint is the udev rules (code -12)")
    func unreadableNode() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("hidraw-\(UUID().uuidString)").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data(), attributes: [.posixPermissions: 0o000]))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let error = HIDLink.openFailure(path: path, hidapiMessage: "Permission denied")
        if getuid() == 0 {
            // root may open anything, so the node is not the problem: hidapi's message is kept instead.
            #expect(error == .disconnected("cannot open \(path): Permission denied"))
        } else {
            guard case .permissionDenied(let why) = error else {
                Issue.record("expected permissionDenied, got \(error)")
                return
            }
            #expect(why.contains("mode 0"))
            #expect(error.code == .permissionDenied)
            #expect(error.hint.contains("walletbridge udev install"))
        }
    }

    @Test("Read timeouts become whole milliseconds, never 0 (no wait) or -1 (forever) for a positive wait")
    func readTimeouts() {
        #expect(HIDLink.milliseconds(.zero) == 0)
        #expect(HIDLink.milliseconds(.microseconds(1)) == 1)
        #expect(HIDLink.milliseconds(.milliseconds(50)) == 50)
        #expect(HIDLink.milliseconds(.microseconds(50_001)) == 51)
        #expect(HIDLink.milliseconds(.seconds(2)) == 2000)
        #expect(HIDLink.milliseconds(.seconds(Int64.max)) == Int32.max)
    }

    /// Runs only with `WALLETBRIDGE_LEDGER_HID=/dev/hidrawN` naming a connected Ledger (unlocked or not).
    @Test("A real Ledger answers GET APP AND VERSION over hidraw",
          .enabled(if: ProcessInfo.processInfo.environment["WALLETBRIDGE_LEDGER_HID"] != nil,
                   "set WALLETBRIDGE_LEDGER_HID=/dev/hidrawN to run against a real Ledger"))
    func realLedger() throws {
        let path = try #require(ProcessInfo.processInfo.environment["WALLETBRIDGE_LEDGER_HID"])
        let link = try HIDLink(path: path)
        defer { link.close() }
        let channel = LedgerHIDChannel(link: link)
        // B0 01: answered by the dashboard and by every app (ledger.md section 3); 5515 when locked.
        let response = try channel.exchange(try APDUCommand(cla: 0xB0, ins: 0x01), deadline: .now + .seconds(5),
                                            isCancelled: { false })
        #expect(response.statusWord == 0x9000 || response.statusWord == 0x5515, "\(response)")
        if response.isOK {
            #expect(response.data.first == 0x01, "format byte of \(response)")
        }
    }
}
