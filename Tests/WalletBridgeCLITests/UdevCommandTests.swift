import BridgeCore
import Foundation
import Testing
@testable import WalletBridgeCLI

@Suite("udev install")
struct UdevCommandTests {
    /// `<repo>/udev`; this file is `<repo>/Tests/WalletBridgeCLITests/UdevCommandTests.swift`.
    static let repositoryRules = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("udev")

    func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("walletbridge-udev-\(UUID().uuidString)").path
    }

    @Test("The binary's copy of the rules is identical to the files in udev/")
    func embeddedCopyMatchesTheFiles() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.repositoryRules.path).filter { $0.hasSuffix(".rules") }
        #expect(names.sorted() == UdevRules.files.map(\.name).sorted())
        for rules in UdevRules.files {
            let onDisk = try String(contentsOf: Self.repositoryRules.appendingPathComponent(rules.name), encoding: .utf8)
            #expect(onDisk == rules.contents, "\(rules.name) differs from the copy in UdevRules.swift")
        }
    }

    @Test("The rules cover every wallet vendor, for desktops (uaccess) and headless stations (plugdev 0660)")
    func rulesContent() {
        let ledger = UdevRules.ledger.contents
        #expect(ledger.contains(#"KERNEL=="hidraw*", ATTRS{idVendor}=="2c97""#))
        #expect(ledger.contains(#"SUBSYSTEMS=="usb", ATTRS{idVendor}=="2c97""#))
        #expect(ledger.contains("LedgerHQ/udev-rules"))
        let trezor = UdevRules.trezor.contents
        for ids in [#"ATTRS{idVendor}=="534c", ATTRS{idProduct}=="0001""#, #"ATTR{idVendor}=="1209", ATTR{idProduct}=="53c1""#,
                    #"ATTR{idVendor}=="1209", ATTR{idProduct}=="53c0""#] {
            #expect(trezor.contains(ids))
        }
        #expect(trezor.contains("trezor/trezor-common"))
        for rules in UdevRules.files {
            let ruleLines = rules.contents.split(separator: "\n").filter { !$0.hasPrefix("#") && !$0.isEmpty }
            #expect(!ruleLines.isEmpty)
            for line in ruleLines {
                #expect(line.contains(#"TAG+="uaccess""#), "\(rules.name): \(line)")
                #expect(line.contains(#"GROUP="plugdev", MODE="0660""#), "\(rules.name): \(line)")
                #expect(!line.contains("0666"), "\(rules.name): \(line)")
            }
            // uaccess takes effect in 73-seat-late.rules: the files must sort before it.
            #expect(rules.name < "73-seat-late.rules")
        }
    }

    @Test("udev install --dir writes both files (mode 0644) and says it did not reload udev for that directory")
    func installIntoDirectory() async throws {
        let directory = temporaryDirectory() + "/nested/rules.d"
        defer { try? FileManager.default.removeItem(atPath: (directory as NSString).deletingLastPathComponent) }
        let run = await runCLI(["udev", "install", "--dir", directory])
        #expect(run.exitCode == 0, "\(run.stdout)")
        let json = try run.json()
        #expect(json["directory"] == .string(directory))
        let installed = try #require(json["installed"]?.arrayValue).compactMap(\.stringValue)
        #expect(installed == UdevRules.files.map { directory + "/" + $0.name })
        for (path, rules) in zip(installed, UdevRules.files) {
            #expect(try String(contentsOfFile: path, encoding: .utf8) == rules.contents)
            let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
            #expect(mode == 0o644)
        }
        #expect(json["reloaded"] == false)
        #expect(json["reload"]?.stringValue?.contains("udev does not read") == true)
        #expect(run.stderr.contains("Installed"))
    }

    @Test("A directory that cannot be written fails with a message naming it")
    func unwritableDirectory() async throws {
        // A regular file where the directory should be: no user, root included, can create a directory inside it.
        let blocker = temporaryDirectory()
        #expect(FileManager.default.createFile(atPath: blocker, contents: Data("x".utf8)))
        defer { try? FileManager.default.removeItem(atPath: blocker) }
        let run = await runCLI(["udev", "install", "--dir", blocker + "/rules.d"])
        #expect(run.exitCode == 1)
        #expect(run.errorCode == -10 || run.errorCode == -12)
        #expect(run.errorMessage.contains("Cannot write udev rules into \(blocker)/rules.d"))
    }

    @Test("Permission errors carry the sudo hint (code -12)")
    func permissionHint() {
        let denied = NSError(domain: NSCocoaErrorDomain, code: NSFileWriteNoPermissionError,
                             userInfo: [NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(EACCES))])
        let error = UdevInstaller.writeFailure(denied, directory: "/etc/udev/rules.d")
        #expect(error.code == .permissionDenied)
        #expect(error.hint == "Run it as root: sudo walletbridge udev install")
    }
}
