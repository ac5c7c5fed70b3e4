import Foundation
import ProcessTestSupport

/// Where Debian's `chromium` and `chromium-driver` are, and why the suite cannot run without them.
enum BrowserTools {
    static let repository = TestPrograms.repository
    static let walletbridge = TestPrograms.walletbridge

    /// The Chromium executable. Debian's `/usr/bin/chromium` is a shell wrapper around `/usr/lib/chromium/chromium`;
    /// chromedriver is given the real binary so the browser it tracks is the process it started.
    static let chromium: String? = {
        let real = "/usr/lib/chromium/chromium"
        if FileManager.default.isExecutableFile(atPath: real) { return real }
        return TestPrograms.onPath("chromium") ?? TestPrograms.onPath("chromium-browser")
    }()

    static let chromedriver: String? = TestPrograms.onPath("chromedriver")

    /// Why the suite cannot run here, or nil when it can. A missing browser skips the suite with this reason; a missing
    /// `walletbridge` binary is a failure instead (`swift test` builds it), reported by the harness.
    static let missingReason: String? = {
        var missing: [String] = []
        if chromium == nil { missing.append("chromium") }
        if chromedriver == nil { missing.append("chromedriver") }
        guard !missing.isEmpty else { return nil }
        return "\(missing.joined(separator: " and ")) not found: install the Debian packages chromium and chromium-driver (`make deps` does)"
    }()

    static func freePort() throws -> UInt16 { try TestPrograms.freePort() }
}
